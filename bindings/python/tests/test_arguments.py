"""Wrong argument types and values are refused in Python, before any C call,
and leave the engine unchanged."""

import unittest

from helpers import CHAT, EMAIL, contact_center, engine_with_recorder, usher


class ArgumentTest(unittest.TestCase):
    def setUp(self):
        self.engine, self.recorder = engine_with_recorder()
        self.billing, self.tech = contact_center(self.engine)
        self.addCleanup(self.engine.close)

    def assertNothingChanged(self):
        self.assertEqual(list(self.engine.agents()), [])
        self.assertEqual(self.engine.queue_get_stats(1).entered, 0)
        self.assertEqual(self.recorder.events, [])

    def test_non_integers_raise_type_error(self):
        for bad in ("7", 7.0, 1.5, None, True, [7], b"7"):
            with self.subTest(value=bad):
                with self.assertRaises(TypeError):
                    self.engine.agent_add(bad, 1)  # an id
                with self.assertRaises(TypeError):
                    self.engine.agent_add(7, bad)  # a count
                with self.assertRaises(TypeError):
                    self.engine.advance(bad)
                with self.assertRaises(TypeError):
                    self.engine.ticket_submit(1, queue=bad)
        self.assertNothingChanged()

    def test_values_outside_the_c_type_raise_value_error(self):
        cases = [
            lambda: self.engine.agent_add(-1, 1),  # uint64_t id
            lambda: self.engine.agent_add(2**64, 1),
            lambda: self.engine.agent_add(2**200, 1),
            lambda: self.engine.agent_add(1, -1),  # uint32_t capacity
            lambda: self.engine.agent_add(1, 2**32),
            lambda: self.engine.advance(-5),
            lambda: self.engine.agent_set_state(1, 2**31),  # int32_t state
            lambda: self.engine.agent_set_state(1, 1, -2**31 - 1),
            lambda: self.engine.ticket_submit(-1, queue=1),
            lambda: self.engine.ticket_submit(1, queue=1, priority=-1),
            lambda: self.engine.ticket_submit(1, queue=1, required={self.billing: 2**32}),
            lambda: self.engine.queue_add(3, tier_weight=[0] * 9),  # more than MAX_TIERS
            lambda: self.engine.sla_policy_add(1, targets={4: 1000}),  # no such target
            lambda: self.engine.sla_policy_add(1, targets={0: 1000}, warnings=[1, 2, 3, 4, 5]),
        ]
        for i, call in enumerate(cases):
            with self.subTest(case=i):
                with self.assertRaises(ValueError):
                    call()
        self.assertNothingChanged()

    def test_the_largest_values_of_each_c_type_reach_c(self):
        # In range for ctypes: the C library answers (here: out of its own
        # ranges or unknown), so the value went through unchanged.
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.advance(2**64 - 1)
        self.assertEqual(caught.exception.name, "USHER_EINVAL")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.agent_get(2**64 - 1)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
        self.engine.agent_add(2**64 - 1, 1)
        self.assertEqual(list(self.engine.agents()), [2**64 - 1])

    def test_enum_members_and_index_ints_are_accepted(self):
        class Index:
            def __index__(self):
                return 5

        self.engine.agent_add(Index(), 3)
        self.engine.agent_set_state(5, usher.AgentState.AVAILABLE)
        self.assertIs(self.engine.agent_get(5).state, usher.AgentState.AVAILABLE)

    def test_unknown_options_raise_type_error(self):
        with self.assertRaises(TypeError):
            self.engine.queue_add(3, strategy=0, speed=1)
        with self.assertRaises(TypeError):
            self.engine.ticket_submit(1, queue=1, struct_size=10)
        with self.assertRaises(TypeError):
            self.engine.ticket_submit(1, queue=1, required_count=3)
        with self.assertRaises(TypeError):
            self.engine.channel_add(5, reserved=1)
        with self.assertRaises(TypeError):
            self.engine.sla_start(1, reserved=0)
        with self.assertRaises(TypeError):
            self.engine.ticket_submit(1, queue=1, reserved=0)  # the explicit padding
        with self.assertRaises(usher.UsherError):
            self.engine.queue_get_stats(3)  # not created by the refused call

    def test_skill_lists_of_the_wrong_shape(self):
        self.engine.agent_add(1, 1)
        for bad in (5, "billing", [(self.billing,)], [(self.billing, 2, 3)], [self.billing]):
            with self.subTest(skills=bad):
                with self.assertRaises(TypeError):
                    self.engine.agent_set_skills(1, bad)
        with self.assertRaises(TypeError):
            self.engine.agent_set_skills(1, {"billing": 3})  # names are not ids
        self.assertEqual(self.engine.agent_get_skills(1), {})

    def test_text_arguments(self):
        for bad in (5, None, ["billing"]):
            with self.assertRaises(TypeError):
                self.engine.skill_intern(bad)
        with self.assertRaises(ValueError):
            self.engine.skill_intern("bill\0ing")  # C would cut it at the NUL
        with self.assertRaises(TypeError):
            self.engine.calendar_add_tzif(1, "not bytes")
        self.assertEqual(self.engine.skill_count(), 2)
        self.assertEqual(self.engine.skill_intern(b"billing"), self.billing)

    def test_records_of_the_wrong_shape(self):
        for bad in (5, [5], [(1, 2)], [{"weekday": 1}], {"weekday": 1}):
            with self.subTest(hours=bad):
                with self.assertRaises(TypeError):
                    self.engine.calendar_set_hours(0, bad)
        with self.assertRaises(ValueError):
            self.engine.calendar_set_hours(0, [usher.OpenHours(1, -1, 60)])
        with self.assertRaises(TypeError):
            self.engine.sla_set_rules([usher.SlaRule(policy="gold")])

    def test_callbacks_must_be_callable(self):
        with self.assertRaises(TypeError):
            self.engine.set_event_handler(42)
        with self.assertRaises(TypeError):
            self.engine.set_score_hook("best")
        with self.assertRaises(TypeError):
            usher.Engine(on_event=3)
        with self.assertRaises(ValueError):
            self.engine.set_score_hook(lambda t, a, s: s, candidates=-1)

    def test_channel_numbers(self):
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.channel_add(usher.MAX_CHANNELS)  # the library's own range
        self.assertEqual(caught.exception.name, "USHER_EINVAL")
        self.assertEqual(self.engine.channel_get(CHAT).max_per_agent, 3)
        self.assertEqual(self.engine.channel_get(EMAIL).cost, 1)


if __name__ == "__main__":
    unittest.main()
