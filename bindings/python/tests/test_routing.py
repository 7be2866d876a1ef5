"""Skills, channels, agents, capacity, queues, tickets, offers and
explanations through the binding, checked against real routing results."""

import unittest

from helpers import CHAT, EMAIL, VOICE, contact_center, engine_with_recorder, usher

E = usher.EventType


class RoutingTest(unittest.TestCase):
    def setUp(self):
        self.engine, self.recorder = engine_with_recorder()
        self.billing, self.tech = contact_center(self.engine)
        self.addCleanup(self.engine.close)

    def agent(self, agent_id, capacity=3, available=True, **skills):
        self.engine.agent_add(agent_id, capacity)
        self.engine.agent_set_skills(agent_id, {getattr(self, k): v for k, v in skills.items()})
        if available:
            self.engine.agent_set_state(agent_id, usher.AgentState.AVAILABLE)

    def assigned(self):
        return [(e.ticket_id, e.agent_id) for e in self.recorder.of(E.TICKET_ASSIGNED)]

    def test_skills_are_interned_once_and_named(self):
        self.assertEqual((self.billing, self.tech), (0, 1))
        self.assertEqual(self.engine.skill_intern("tech"), self.tech)
        self.assertEqual(self.engine.skill_find("billing"), self.billing)
        self.assertEqual(self.engine.skill_name(self.tech), "tech")
        self.assertEqual(self.engine.skill_count(), 2)
        self.assertEqual(self.engine.skill_intern("Ünïcode"), 2)
        self.assertEqual(self.engine.skill_name(2), "Ünïcode")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.skill_find("sales")
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.skill_intern("x" * (usher.SKILL_NAME_MAX + 1))
        self.assertEqual(caught.exception.name, "USHER_EINVAL")

    def test_channel_definitions_round_trip(self):
        self.engine.channel_add(5, cost=2, max_per_agent=4, wrapup_ms=30000,
                                flags=usher.ChannelFlag.WRAPUP_BLOCKS_AGENT)
        definition = self.engine.channel_get(5)
        self.assertEqual(definition, usher.ChannelDef(
            flags=usher.ChannelFlag.WRAPUP_BLOCKS_AGENT, cost=2, max_per_agent=4,
            wrapup_ms=30000))
        self.assertIs(self.engine.channel_get(VOICE).flags & usher.ChannelFlag.EXCLUSIVE,
                      usher.ChannelFlag.EXCLUSIVE)
        self.engine.channel_remove(5)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.channel_get(5)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")

    def test_best_skill_sends_the_ticket_to_the_strongest_agent(self):
        self.agent(10, billing=3)
        self.agent(11, billing=8)
        self.agent(12, tech=9)
        self.engine.advance(1000)
        self.engine.ticket_submit(100, queue=2, channel=CHAT, required={self.billing: 2})
        self.assertEqual(self.assigned(), [(100, 11)])
        event = self.recorder.of(E.TICKET_ASSIGNED)[0]
        self.assertEqual((event.reason, event.value, event.time_ms), (CHAT, 0, 1000))
        info = self.engine.ticket_get(100)
        self.assertIs(info.state, usher.TicketState.ASSIGNED)
        self.assertEqual((info.agent_id, info.queue, info.channel, info.assigned_ms),
                         (11, 2, CHAT, 1000))
        agent = self.engine.agent_get(11)
        self.assertEqual((agent.capacity_used, agent.work_count, agent.assignments_today),
                         (1, 1, 1))
        self.assertEqual(self.engine.capacity_holder(100), (11, CHAT))

    def test_a_ticket_waits_for_a_skilled_agent_and_explain_says_why(self):
        self.agent(10, billing=2)
        self.engine.ticket_submit(100, queue=1, required=[(self.billing, 5)])
        self.assertIs(self.engine.ticket_get(100).state, usher.TicketState.WAITING)
        why = self.engine.explain(100, 10)
        self.assertIs(why.why, usher.Why.MISSING_SKILL)
        self.assertEqual((why.skill, why.required_level, why.agent_level), (self.billing, 5, 2))
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.ticket_candidate(100)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
        self.engine.agent_set_skill(10, self.billing, 6)  # matching runs inside this call
        self.assertEqual(self.assigned(), [(100, 10)])
        self.assertIs(self.engine.explain(100, 10).why, usher.Why.TICKET_TAKEN)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.ticket_candidate(100)
        self.assertEqual(caught.exception.name, "USHER_ESTATE")

    def test_higher_priority_goes_first_and_priority_can_change(self):
        self.agent(10, capacity=1, available=False)
        self.engine.ticket_submit(1, queue=1, priority=5)
        self.engine.ticket_submit(2, queue=1, priority=10)
        self.engine.ticket_submit(3, queue=1, priority=1, tier=2)
        self.engine.ticket_set_priority(3, 50)
        self.engine.ticket_set_tier(3, 1)
        self.assertEqual(self.engine.ticket_get(3).priority, 50)
        self.assertEqual(self.engine.ticket_get(3).tier, 1)
        self.engine.agent_set_state(10, usher.AgentState.AVAILABLE)
        for expected in (3, 2, 1):
            self.assertEqual(self.assigned()[-1], (expected, 10))
            self.engine.ticket_complete(expected, usher.ReleaseFlag.NO_WRAPUP)
        stats = self.engine.queue_get_stats(1)
        self.assertEqual((stats.entered, stats.answered, stats.completed, stats.waiting),
                         (3, 3, 3, 0))
        self.assertEqual(len(stats.sla_met), 4)

    def test_offers_are_leases_answered_with_their_token(self):
        self.engine.queue_add(3, assign_mode=usher.AssignMode.OFFER, offer_timeout_ms=5000,
                              reject_cooldown_ms=60000)
        self.agent(10)
        self.agent(11)
        self.engine.ticket_submit(100, queue=3)
        offered = self.recorder.of(E.TICKET_OFFERED)
        self.assertEqual(len(offered), 1)
        first = offered[0]
        self.assertEqual(first.value, 5000)  # expires at
        self.assertIs(self.engine.ticket_get(100).state, usher.TicketState.OFFERED)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.offer_accept(100, first.offer_token + 1)
        self.assertEqual(caught.exception.name, "USHER_ETOKEN")
        self.engine.offer_reject(100, first.offer_token)
        self.assertEqual(len(self.recorder.of(E.OFFER_REJECTED)), 1)
        second = self.recorder.of(E.TICKET_OFFERED)[1]  # to the other agent at once
        self.assertNotEqual(second.agent_id, first.agent_id)
        self.engine.offer_accept(100, second.offer_token)
        self.assertEqual(self.assigned(), [(100, second.agent_id)])
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.offer_accept(100, second.offer_token)
        self.assertEqual(caught.exception.name, "USHER_ESTATE")
        stats = self.engine.queue_get_stats(3)
        self.assertEqual((stats.offered, stats.offers_rejected), (2, 1))

    def test_an_unanswered_offer_expires(self):
        self.engine.queue_add(3, assign_mode=usher.AssignMode.OFFER, offer_timeout_ms=5000)
        self.agent(10)
        self.engine.ticket_submit(100, queue=3)
        self.engine.advance(5000)
        expired = self.recorder.of(E.OFFER_EXPIRED)
        self.assertEqual([(e.ticket_id, e.agent_id, e.value, e.time_ms) for e in expired],
                         [(100, 10, 1, 5000)])
        self.assertEqual(self.engine.agent_get(10).missed_offers, 1)

    def test_transfer_cancel_and_complete_with_wrapup(self):
        self.engine.channel_add(4, wrapup_ms=2000)
        self.engine.ticket_submit(1, queue=1, channel=4)
        self.engine.ticket_submit(2, queue=1)
        self.engine.ticket_transfer(1, 2)
        self.assertEqual([(e.ticket_id, e.value) for e in self.recorder.of(E.TICKET_TRANSFERRED)],
                         [(1, 2)])
        self.engine.advance(700)
        self.engine.ticket_cancel(2)
        self.assertEqual([(e.ticket_id, e.value) for e in self.recorder.of(E.TICKET_ABANDONED)],
                         [(2, 700)])
        self.agent(10)
        self.assertEqual(self.assigned(), [(1, 10)])
        self.engine.advance(1000)
        self.engine.ticket_complete(1)
        completed = self.recorder.of(E.TICKET_COMPLETED)
        self.assertEqual([(e.ticket_id, e.agent_id, e.value) for e in completed], [(1, 10, 300)])
        self.assertEqual(self.engine.agent_get(10).wrapup_count, 1)
        self.engine.advance(3000)
        ended = self.recorder.of(E.WRAPUP_ENDED)
        self.assertEqual([(e.agent_id, e.ticket_id, e.value, e.time_ms) for e in ended],
                         [(10, 1, 4, 3000)])
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.ticket_complete(1)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
        self.assertEqual(self.engine.queue_get_stats(2).abandoned, 0)
        self.assertEqual(self.engine.queue_get_stats(1).abandoned, 1)
        self.engine.queue_reset_stats(1)
        self.assertEqual(self.engine.queue_get_stats(1).abandoned, 0)

    def test_requirements_change_on_a_waiting_ticket(self):
        self.agent(10, billing=3)
        self.engine.ticket_submit(1, queue=1, required={self.billing: 5, self.tech: 1})
        self.engine.ticket_require(1, self.billing, 2)
        self.assertEqual(self.assigned(), [])
        self.engine.ticket_drop_requirement(1, self.tech)
        self.assertEqual(self.assigned(), [(1, 10)])

    def test_widening_lowers_a_level_after_a_wait(self):
        self.engine.queue_add(3)
        self.engine.queue_set_widening(3, [
            usher.WidenStep(after_ms=10000, action=usher.WidenAction.LOWER_LEVEL,
                            skill=self.tech, value=2),
        ])
        self.agent(10, tech=3)
        self.engine.ticket_submit(1, queue=3, required={self.tech: 7})
        why = self.engine.explain(1, 10)
        self.assertIs(why.why, usher.Why.WIDENING_PENDING)
        self.assertEqual(why.until_ms, 10000)
        self.engine.advance(10000)
        widened = self.recorder.of(E.TICKET_WIDENED)
        self.assertEqual([(e.ticket_id, e.value, e.reason) for e in widened],
                         [(1, 0, usher.WidenAction.LOWER_LEVEL)])
        self.assertEqual(self.assigned(), [(1, 10)])

    def test_agents_state_skills_channels_and_iteration(self):
        self.agent(10, capacity=4, available=False, billing=4, tech=2)
        self.agent(11, capacity=2, available=False)
        self.assertEqual(sorted(self.engine.agents()), [10, 11])
        self.assertEqual(self.engine.agent_get_skills(10), {self.billing: 4, self.tech: 2})
        self.engine.agent_drop_skill(10, self.tech)
        self.assertEqual(self.engine.agent_get_skills(10), {self.billing: 4})
        self.engine.agent_set_state(10, usher.AgentState.AWAY, 7)
        info = self.engine.agent_get(10)
        self.assertEqual((info.state, info.away_reason, info.skill_count),
                         (usher.AgentState.AWAY, 7, 1))
        states = self.recorder.of(E.AGENT_STATE)
        self.assertEqual([(e.agent_id, e.value, e.reason) for e in states],
                         [(10, usher.AgentState.AWAY, 7)])
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.agent_set_state(10, usher.AgentState.AWAY, 7)
        self.assertEqual(caught.exception.name, "USHER_ESTATE")
        self.engine.agent_set_capacity(10, 6)
        self.engine.agent_set_channel_limit(10, CHAT, 2)
        channel = self.engine.agent_get_channel(10, CHAT)
        self.assertEqual((channel.limit, channel.active, channel.free, channel.eligible),
                         (2, 0, 2, False))  # away: not eligible
        self.engine.agent_remove(11)
        self.assertEqual(list(self.engine.agents()), [10])

    def test_host_capacity_is_reserved_returned_on_logout_and_released(self):
        self.agent(10, capacity=2)
        self.engine.capacity_reserve(10, 500, EMAIL)
        self.assertEqual(self.engine.capacity_holder(500), (10, EMAIL))
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.capacity_reserve(10, 501, VOICE)  # exclusive, agent busy
        self.assertEqual(caught.exception.name, "USHER_ESTATE")
        self.engine.agent_set_state(10, usher.AgentState.OFFLINE)
        returned = self.recorder.of(E.WORK_RETURNED)
        self.assertEqual([(e.ticket_id, e.agent_id, e.value, e.reason) for e in returned],
                         [(500, 10, EMAIL, usher.ReturnReason.LOGOUT)])
        self.engine.capacity_release(500, usher.ReleaseFlag.NO_WRAPUP)
        self.assertEqual(self.engine.agent_get(10).capacity_used, 0)

    def test_load_cap_and_new_day(self):
        self.agent(10, capacity=5)
        self.engine.agent_set_load_cap(10, 2, 60000)
        self.engine.ticket_submit(1, queue=1)
        self.engine.ticket_submit(2, queue=1)
        reached = self.recorder.of(E.LOAD_CAP_REACHED)
        self.assertEqual([(e.agent_id, e.value, e.reason) for e in reached],
                         [(10, 60000, usher.LoadCap.WINDOW)])
        self.engine.ticket_submit(3, queue=1)
        self.assertIs(self.engine.explain(3, 10).why, usher.Why.LOAD_CAP)
        self.assertTrue(self.engine.agent_get(10).flags & usher.AgentFlag.AT_LOAD_CAP)
        self.engine.advance(60000)
        self.assertEqual(len(self.recorder.of(E.LOAD_CAP_CLEARED)), 1)
        self.assertEqual(self.assigned(), [(1, 10), (2, 10), (3, 10)])
        self.engine.agents_new_day()
        self.assertEqual(self.engine.agent_get(10).assignments_today, 0)

    def test_idle_timeout_cooldown_and_activity(self):
        self.agent(10)
        self.engine.agent_set_idle_timeout(10, 5000)
        self.engine.advance(4000)
        self.engine.agent_activity(10)
        self.engine.advance(8999)
        self.assertIs(self.engine.agent_get(10).state, usher.AgentState.AVAILABLE)
        self.engine.advance(9000)
        info = self.engine.agent_get(10)
        self.assertEqual((info.state, info.away_reason),
                         (usher.AgentState.AWAY, usher.AwayReason.IDLE))
        self.engine.agent_set_cooldown(10, 1000)
        self.assertEqual(self.engine.agent_get(10).cooldown_ms, 1000)

    def test_repeat_contacts_escalate(self):
        self.engine.queue_add(3, repeat_threshold=2, repeat_window_ms=3600000,
                              repeat_flags=usher.RepeatFlag.RAISE_TIER, repeat_tier=5)
        self.engine.ticket_submit(1, queue=3, customer_id=77)
        self.engine.ticket_submit(2, queue=3, customer_id=77)
        escalated = self.recorder.of(E.TICKET_ESCALATED)
        self.assertEqual([(e.ticket_id, e.value, e.reason) for e in escalated],
                         [(2, 2, usher.RepeatFlag.RAISE_TIER)])
        self.assertEqual(self.engine.ticket_get(2).tier, 5)

    def test_queue_removal_requires_an_empty_queue(self):
        self.engine.ticket_submit(1, queue=1)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.queue_remove(1)
        self.assertEqual(caught.exception.name, "USHER_ESTATE")
        self.engine.ticket_cancel(1)
        self.engine.queue_remove(1)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.ticket_submit(2, queue=1)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")


if __name__ == "__main__":
    unittest.main()
