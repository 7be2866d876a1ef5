"""Callbacks: re-entering the engine, exceptions raised inside callbacks,
closing the engine from a callback, the scoring hook, and the lifetime
of the C thunks."""

import gc
import unittest

from helpers import CHAT, contact_center, engine_with_recorder, usher

E = usher.EventType


class Boom(Exception):
    pass


class CallbackTest(unittest.TestCase):
    def setUp(self):
        self.engine, self.recorder = engine_with_recorder()
        contact_center(self.engine)
        self.addCleanup(self.engine.close)

    def login(self, *agents, capacity=2):
        for agent in agents:
            self.engine.agent_add(agent, capacity)
            self.engine.agent_set_state(agent, usher.AgentState.AVAILABLE)

    def handle(self, fn):
        """Installs fn after the recorder (emptied): fn(event) runs for every
        event from now on."""
        self.recorder.clear()

        def both(event):
            self.recorder(event)
            fn(event)
        self.engine.set_event_handler(both)

    # ---- re-entrancy ---------------------------------------------------------

    def test_completing_a_ticket_from_its_assigned_event(self):
        self.login(10)

        def complete(event):
            if event.type == E.TICKET_ASSIGNED:
                self.engine.ticket_complete(event.ticket_id, usher.ReleaseFlag.NO_WRAPUP)
        self.handle(complete)
        self.engine.ticket_submit(1, queue=1)
        self.engine.ticket_submit(2, queue=1)
        self.assertEqual([(e.type, e.ticket_id) for e in self.recorder.events],
                         [(E.TICKET_ASSIGNED, 1), (E.TICKET_COMPLETED, 1),
                          (E.TICKET_ASSIGNED, 2), (E.TICKET_COMPLETED, 2)])
        self.assertEqual([e.seq for e in self.recorder.events], [2, 3, 4, 5])
        self.assertEqual(self.engine.agent_get(10).capacity_used, 0)
        with self.assertRaises(usher.UsherError):
            self.engine.ticket_get(1)

    def test_accepting_an_offer_from_its_own_event_and_submitting_more(self):
        self.engine.queue_add(3, assign_mode=usher.AssignMode.OFFER)
        self.login(10, capacity=2)

        def on(event):
            if event.type == E.TICKET_OFFERED:
                self.engine.offer_accept(event.ticket_id, event.offer_token)
                if event.ticket_id == 1:
                    self.engine.ticket_submit(2, queue=3)  # its events follow, in order
        self.handle(on)
        self.engine.ticket_submit(1, queue=3)
        self.assertEqual([(e.type, e.ticket_id) for e in self.recorder.events],
                         [(E.TICKET_OFFERED, 1), (E.TICKET_ASSIGNED, 1),
                          (E.TICKET_OFFERED, 2), (E.TICKET_ASSIGNED, 2)])
        self.assertEqual(self.engine.agent_get(10).work_count, 2)

    def test_replacing_the_handler_inside_a_callback_applies_to_the_next_event(self):
        later = []

        def first(event):
            self.recorder(event)
            self.engine.set_event_handler(later.append)
        self.engine.set_event_handler(first)
        for timer in (1, 2, 3):
            self.engine.timer_set(timer, 10)
        self.engine.advance(10)
        self.assertEqual([e.timer_id for e in self.recorder.events], [1])
        self.assertEqual([e.timer_id for e in later], [2, 3])

    # ---- exceptions inside callbacks -----------------------------------------

    def test_an_exception_is_raised_by_the_delivering_call_after_it_returned(self):
        def on(event):
            if event.timer_id == 2:
                raise Boom("timer 2")
        self.handle(on)
        for timer in (1, 2, 3):
            self.engine.timer_set(timer, timer * 100)
        try:
            self.engine.advance(1000)
            self.fail("no exception")
        except Boom as exc:
            raised = exc
        self.assertEqual(str(raised), "timer 2")
        # The C call completed: every event was delivered, the clock moved.
        self.assertEqual([e.timer_id for e in self.recorder.events], [1, 2, 3])
        self.assertEqual(self.engine.now(), 1000)
        self.assertEqual(self.engine.next_deadline(), usher.TIME_NEVER)
        # The traceback leads to the handler's raise.
        tb = raised.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        self.assertEqual(tb.tb_frame.f_code.co_name, "on")
        # Raised once: the next call is clean.
        self.engine.timer_set(9, 2000)
        self.engine.advance(2000)
        self.assertEqual(self.recorder.events[-1].timer_id, 9)

    def test_the_exception_comes_from_the_method_that_delivered_the_event(self):
        self.login(10)

        def on(event):
            if event.type == E.TICKET_ASSIGNED:
                raise Boom(event.ticket_id)
        self.handle(on)
        with self.assertRaises(Boom):
            self.engine.ticket_submit(1, queue=1)
        self.assertIs(self.engine.ticket_get(1).state, usher.TicketState.ASSIGNED)
        self.engine.advance(5)  # nothing pending any more

    def test_several_exceptions_raise_the_first_with_a_note(self):
        def on(event):
            raise Boom(event.timer_id)
        self.handle(on)
        for timer in (1, 2, 3):
            self.engine.timer_set(timer, 10)
        with self.assertRaises(Boom) as caught:
            self.engine.advance(10)
        self.assertEqual(caught.exception.args, (1,))
        self.assertEqual(len(self.recorder.events), 3)
        self.assertIn("2 more exception(s)", caught.exception.__notes__[0])

    def test_base_exceptions_are_kept_too(self):
        def on(event):
            raise KeyboardInterrupt
        self.handle(on)
        self.engine.timer_set(1, 10)
        with self.assertRaises(KeyboardInterrupt):
            self.engine.advance(10)

    def test_an_error_of_a_nested_call_propagates_out_of_the_handler(self):
        def on(event):
            self.engine.ticket_complete(12345)  # no such ticket
        self.handle(on)
        self.engine.timer_set(1, 10)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.advance(10)
        self.assertEqual((caught.exception.name, caught.exception.function),
                         ("USHER_ENOTFOUND", "usher_ticket_complete"))

    def test_an_error_the_handler_catches_stays_inside(self):
        names = []

        def on(event):
            try:
                self.engine.timer_cancel(777)
            except usher.UsherError as error:
                names.append(error.name)
        self.handle(on)
        self.engine.timer_set(1, 10)
        self.engine.advance(10)
        self.assertEqual(names, ["USHER_ENOTFOUND"])

    # ---- closing from a callback ---------------------------------------------

    def test_close_inside_a_callback_takes_effect_when_the_outer_call_returns(self):
        inside = []

        def on(event):
            self.engine.close()
            inside.append(self.engine.closed)
            try:
                self.engine.now()
            except usher.EngineClosedError as error:
                inside.append(error.name)
        self.handle(on)
        self.engine.timer_set(1, 10)
        self.engine.timer_set(2, 20)
        self.engine.advance(30)  # returns normally
        self.assertEqual(inside, [True, "USHER_ECLOSED"])
        self.assertEqual([e.timer_id for e in self.recorder.events], [1])  # 2 dropped
        self.assertTrue(self.engine.closed)
        self.assertIsNone(self.engine._handle)  # freed once the call returned
        with self.assertRaises(usher.EngineClosedError):
            self.engine.advance(40)

    def test_close_and_raise_in_the_same_callback(self):
        def on(event):
            self.engine.close()
            raise Boom()
        self.handle(on)
        self.engine.timer_set(1, 10)
        with self.assertRaises(Boom):
            self.engine.advance(10)
        self.assertTrue(self.engine.closed)

    def test_leaving_a_with_block_inside_a_callback(self):
        engine = usher.Engine()
        seen = []

        def on(event):
            seen.append(event.timer_id)
            with engine:
                pass
        engine.set_event_handler(on)
        engine.timer_set(1, 1)
        engine.timer_set(2, 1)
        engine.advance(1)
        self.assertEqual(seen, [1])
        self.assertTrue(engine.closed)

    # ---- the score hook ------------------------------------------------------

    def test_the_hook_chooses_the_agent(self):
        self.login(10, 11, 12)
        calls = []

        def prefer_11(ticket, agent, score):
            calls.append((ticket, agent))
            return 10**12 if agent == 11 else score
        self.engine.set_score_hook(prefer_11, candidates=3)
        self.engine.ticket_submit(1, queue=1)
        self.assertEqual([(e.ticket_id, e.agent_id) for e in self.recorder.of(E.TICKET_ASSIGNED)],
                         [(1, 11)])
        self.assertEqual(sorted(calls), [(1, 10), (1, 11), (1, 12)])
        self.engine.set_score_hook(None)
        calls.clear()
        self.engine.ticket_submit(2, queue=1)
        self.assertEqual(calls, [])

    def test_a_failing_hook_leaves_the_strategy_choice_and_raises_after(self):
        self.login(10, 11)  # both idle since 0
        # The hook fails for agent 11 only: if its score were lost (0, say),
        # agent 10 would win; kept, 11 (idle longer) wins.
        failing = ((lambda t, a, s: s if a == 10 else 1 / 0, ZeroDivisionError),
                   (lambda t, a, s: s if a == 10 else "high", TypeError),
                   (lambda t, a, s: s if a == 10 else 2**63, ValueError))
        for i, (hook, error) in enumerate(failing):
            with self.subTest(error=error.__name__):
                # Agent 10 was idle longer until it took ticket i; then 11 is.
                self.engine.advance(1000 * (i + 1))
                self.engine.capacity_reserve(10, 100 + i, CHAT)
                self.engine.capacity_release(100 + i, usher.ReleaseFlag.NO_WRAPUP)
                self.engine.advance(1000 * (i + 1) + 100)  # 10: 100 ms idle, 11: more
                self.engine.set_score_hook(hook, candidates=2)
                self.recorder.clear()
                with self.assertRaises(error):
                    self.engine.ticket_submit(i, queue=1, channel=CHAT)
                assigned = self.recorder.of(E.TICKET_ASSIGNED)
                self.assertEqual([(e.ticket_id, e.agent_id) for e in assigned], [(i, 11)])
                self.engine.set_score_hook(None)
                self.engine.ticket_complete(i, usher.ReleaseFlag.NO_WRAPUP)
                self.engine.advance(1000 * (i + 1) + 500)  # 11 idle since now

    def test_a_hook_failing_in_a_nested_call_raises_from_that_nested_call(self):
        self.engine.agent_add(10, 1)
        self.engine.ticket_submit(1, queue=1)
        self.engine.set_score_hook(lambda t, a, s: 1 / 0, candidates=1)
        caught_inside = []

        def on(event):
            if event.type == E.TIMER:
                try:
                    self.engine.agent_set_state(10, usher.AgentState.AVAILABLE)  # routes
                except ZeroDivisionError as exc:
                    caught_inside.append(exc)
        self.handle(on)
        self.engine.timer_set(1, 10)
        self.engine.advance(10)  # nothing escapes: the handler caught it
        self.assertEqual(len(caught_inside), 1)
        self.assertEqual([(e.ticket_id, e.agent_id) for e in self.recorder.of(E.TICKET_ASSIGNED)],
                         [(1, 10)])

    def test_engine_calls_from_the_hook_fail_with_estate(self):
        self.login(10)
        names = []

        def hook(ticket, agent, score):
            try:
                self.engine.now()
            except usher.UsherError as error:
                names.append(error.name)
            return score
        self.engine.set_score_hook(hook, candidates=1)
        self.engine.ticket_submit(1, queue=1)
        self.assertEqual(names, ["USHER_ESTATE"])
        self.assertEqual(len(self.recorder.of(E.TICKET_ASSIGNED)), 1)

    def test_close_from_the_hook(self):
        self.login(10)

        def hook(ticket, agent, score):
            self.engine.close()
            return score
        self.engine.set_score_hook(hook, candidates=1)
        self.engine.ticket_submit(1, queue=1)  # returns normally
        self.assertTrue(self.engine.closed)
        self.assertEqual(self.recorder.events[-1].type, E.AGENT_STATE)  # no assignment seen
        with self.assertRaises(usher.EngineClosedError):
            self.engine.ticket_get(1)


class ThunkLifetimeTest(unittest.TestCase):
    def test_callbacks_survive_garbage_collection(self):
        seen = []
        engine = usher.Engine()
        self.addCleanup(engine.close)
        engine.set_event_handler(lambda event: seen.append(event.timer_id))
        engine.set_score_hook(lambda t, a, s: s, candidates=1)
        gc.collect()
        for timer in range(1, 51):
            engine.timer_set(timer, timer)
        gc.collect()
        engine.advance(100)
        self.assertEqual(seen, list(range(1, 51)))

    def test_many_engines_with_their_own_handlers(self):
        engines, logs = [], []
        for i in range(20):
            log = []
            engines.append(usher.Engine(on_event=log.append, seed=i))
            logs.append(log)
        gc.collect()
        for i, engine in enumerate(engines):
            engine.timer_set(i, 5)
            engine.advance(5)
            engine.close()
        self.assertEqual([[e.timer_id for e in log] for log in logs], [[i] for i in range(20)])


if __name__ == "__main__":
    unittest.main()
