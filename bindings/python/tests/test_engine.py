"""The engine's lifecycle, errors, clock and host timers."""

import dataclasses
import unittest
import weakref

from helpers import Recorder, engine_with_recorder, usher


class VersionAndStatusTest(unittest.TestCase):
    def test_version_of_the_loaded_library(self):
        self.assertEqual(usher.version(), "0.1.0")
        self.assertEqual(usher.version_number(), usher.VERSION_NUMBER)

    def test_status_names_and_messages_come_from_the_library(self):
        self.assertEqual(usher.status_name(usher.Status.ENOMEM), "USHER_ENOMEM")
        self.assertEqual(usher.strerror(usher.Status.ENOMEM), "out of memory")
        self.assertEqual(usher.status_name(-9), "USHER_ETOKEN")
        self.assertEqual(usher.status_name(-1234), "USHER_E_UNKNOWN")
        self.assertEqual(usher.strerror(-1234), "unknown status")

    def test_error_carries_code_status_name_message_and_function(self):
        with usher.Engine() as engine:
            with self.assertRaises(usher.UsherError) as caught:
                engine.timer_cancel(99)
        error = caught.exception
        self.assertEqual(error.code, -3)
        self.assertIs(error.status, usher.Status.ENOTFOUND)
        self.assertEqual(error.name, "USHER_ENOTFOUND")
        self.assertEqual(error.message, "no such object")
        self.assertEqual(error.function, "usher_timer_cancel")
        self.assertEqual(str(error), "usher_timer_cancel: no such object (USHER_ENOTFOUND)")

    def test_a_failed_call_changes_nothing(self):
        with usher.Engine() as engine:
            engine.agent_add(1, 2)
            with self.assertRaises(usher.UsherError) as caught:
                engine.agent_add(1, 5)
            self.assertEqual(caught.exception.name, "USHER_EEXIST")
            with self.assertRaises(usher.UsherError) as caught:
                engine.agent_add(2, 0)  # zero capacity
            self.assertEqual(caught.exception.name, "USHER_EINVAL")
            self.assertEqual(engine.agent_get(1).capacity, 2)
            self.assertEqual(list(engine.agents()), [1])


class CheckTest(unittest.TestCase):
    def test_check_passes_on_a_working_engine_and_refuses_a_closed_one(self):
        engine = usher.Engine()
        engine.check()  # empty
        engine.channel_add(0)
        engine.queue_add(1)
        engine.agent_add(7, 2)
        engine.agent_set_state(7, usher.AgentState.AVAILABLE)
        engine.ticket_submit(100, queue=1, channel=0)
        engine.ticket_submit(101, queue=1, channel=0)
        engine.ticket_submit(102, queue=1, channel=0)  # waits: capacity 2
        engine.advance(60000)
        self.assertIsNone(engine.check())
        self.assertEqual(usher.status_name(usher.Status.EINTERNAL), "USHER_EINTERNAL")
        engine.close()
        with self.assertRaises(usher.EngineClosedError):
            engine.check()


class LifecycleTest(unittest.TestCase):
    def test_context_manager_closes_the_engine(self):
        with usher.Engine() as engine:
            self.assertFalse(engine.closed)
        self.assertTrue(engine.closed)
        self.assertIn("closed", repr(engine))

    def test_a_closed_engine_raises_engine_closed_error_from_every_kind_of_call(self):
        engine = usher.Engine()
        engine.close()
        engine.close()  # again: nothing
        calls = [
            lambda: engine.advance(1), engine.now, engine.next_deadline,
            lambda: engine.timer_set(1, 2), lambda: engine.skill_intern("x"),
            lambda: engine.agent_add(1, 1), lambda: engine.agent_get(1),
            lambda: list(engine.agents()), lambda: engine.queue_add(1),
            lambda: engine.ticket_submit(1), lambda: engine.sla_get(1, 0),
            lambda: engine.calendar_add(1, "UTC"), lambda: engine.set_event_handler(print),
            lambda: engine.set_score_hook(None), lambda: engine.explain(1, 2),
        ]
        for call in calls:
            with self.assertRaises(usher.EngineClosedError) as caught:
                call()
            self.assertEqual(caught.exception.name, "USHER_ECLOSED")
            self.assertEqual(caught.exception.code, usher.Status.ECLOSED)
            self.assertIsInstance(caught.exception, usher.UsherError)

    def test_config_seed_and_start_time(self):
        with usher.Engine(seed=7, start_ms=5000) as engine:
            self.assertEqual(engine.now(), 5000)
        with self.assertRaises(usher.UsherError) as caught:
            usher.Engine(start_ms=usher.TIME_MAX + 1)
        self.assertEqual(caught.exception.name, "USHER_EINVAL")

    def test_an_unclosed_engine_is_freed_as_soon_as_it_is_unreferenced(self):
        engine, recorder = engine_with_recorder()
        engine.set_score_hook(lambda ticket, agent, score: score)
        engine.timer_set(1, 10)
        ref = weakref.ref(engine)
        del engine  # the thunks hold it weakly: no cycle keeps it alive
        self.assertIsNone(ref())
        self.assertEqual(recorder.events, [])


class ClockAndTimerTest(unittest.TestCase):
    def test_timers_fire_in_deadline_order_across_a_jump_with_their_own_times(self):
        engine, recorder = engine_with_recorder()
        with engine:
            self.assertEqual(engine.next_deadline(), usher.TIME_NEVER)
            engine.timer_set(2, 90000)
            engine.timer_set(1, 30000)
            self.assertEqual(engine.next_deadline(), 30000)
            self.assertEqual(engine.timer_due(2), 90000)
            engine.advance(120000)
            self.assertEqual(engine.now(), 120000)
        self.assertEqual([(e.type, e.seq, e.timer_id, e.time_ms) for e in recorder.events],
                         [(usher.EventType.TIMER, 1, 1, 30000),
                          (usher.EventType.TIMER, 2, 2, 90000)])

    def test_time_never_goes_backwards_and_cancelled_timers_do_not_fire(self):
        engine, recorder = engine_with_recorder()
        with engine:
            engine.advance(1000)
            engine.advance(10)
            self.assertEqual(engine.now(), 1000)
            engine.timer_set(5, 2000)
            engine.timer_cancel(5)
            with self.assertRaises(usher.UsherError) as caught:
                engine.timer_due(5)
            self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
            engine.advance(5000)
            with self.assertRaises(usher.UsherError) as caught:
                engine.advance(usher.TIME_MAX + 1)
            self.assertEqual(caught.exception.name, "USHER_EINVAL")
        self.assertEqual(recorder.events, [])

    def test_events_are_frozen_copies(self):
        engine, recorder = engine_with_recorder()
        with engine:
            engine.timer_set(3, 0)
            engine.advance(1)
        event = recorder.events[0]
        with self.assertRaises(dataclasses.FrozenInstanceError):
            event.timer_id = 4
        self.assertEqual(event, dataclasses.replace(event))

    def test_handler_can_be_replaced_and_removed(self):
        first, second = Recorder(), Recorder()
        with usher.Engine(on_event=first) as engine:
            engine.timer_set(1, 10)
            engine.advance(10)
            engine.set_event_handler(second)
            engine.timer_set(2, 20)
            engine.advance(20)
            engine.set_event_handler(None)
            engine.timer_set(3, 30)
            engine.advance(30)
        self.assertEqual([e.timer_id for e in first.events], [1])
        self.assertEqual([e.timer_id for e in second.events], [2])


if __name__ == "__main__":
    unittest.main()
