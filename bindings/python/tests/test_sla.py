"""SLA policies, rules and clocks, and business-hours calendars (by zone
name and from TZif bytes), checked against real engine results; local
times are cross-checked with the standard library's zoneinfo."""

import unittest
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from helpers import EMAIL, contact_center, engine_with_recorder, usher

E = usher.EventType
T = usher.SlaTarget
HOUR = 3600 * 1000
BERLIN_FILE = Path("/usr/share/zoneinfo/Europe/Berlin")


def ms(year, month, day, hour=0, minute=0, zone="Europe/Berlin"):
    """The instant of a local wall-clock time, in ms since the epoch."""
    return int(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).timestamp()) * 1000


class SlaClockTest(unittest.TestCase):
    def setUp(self):
        self.engine, self.recorder = engine_with_recorder()
        contact_center(self.engine)
        self.addCleanup(self.engine.close)
        self.engine.sla_policy_add(1, targets={T.FIRST_RESPONSE: 10000, T.RESOLUTION: 60000},
                                   warnings=[500, 900], pause=[T.RESOLUTION])
        self.engine.sla_policy_add(2, targets={T.FIRST_RESPONSE: 2000})
        self.engine.sla_set_rules([usher.SlaRule(policy=2, min_priority=5)], default_policy=1)

    def test_warnings_breach_and_met_with_exact_times(self):
        self.engine.sla_start(1, channel=EMAIL, queue=1)
        running = self.engine.sla_get(1, T.FIRST_RESPONSE)
        self.assertEqual(running, usher.SlaTargetInfo(
            state=usher.SlaState.RUNNING, policy=1, due_ms=10000, elapsed_ms=0,
            remaining_ms=10000))
        self.engine.advance(20000)  # one jump past both warnings and the breach
        sla = [(e.type, e.reason, e.detail, e.due_ms, e.value) for e in self.recorder.events]
        self.assertEqual(sla, [(E.SLA_WARNING, T.FIRST_RESPONSE, 500, 5000, 5000),
                               (E.SLA_WARNING, T.FIRST_RESPONSE, 900, 9000, 1000),
                               (E.SLA_BREACHED, T.FIRST_RESPONSE, 0, 10000, 0)])
        self.engine.sla_report(1, usher.SlaReport.AGENT_REPLY)
        breached = self.engine.sla_get(1, T.FIRST_RESPONSE)
        self.assertEqual((breached.state, breached.remaining_ms, breached.due_ms),
                         (usher.SlaState.BREACHED, -10000, usher.TIME_NEVER))
        self.recorder.clear()
        self.engine.advance(25000)
        self.engine.sla_report(1, usher.SlaReport.SOLVED)
        self.assertEqual([(e.type, e.reason, e.value) for e in self.recorder.events],
                         [(E.SLA_MET, T.RESOLUTION, 35000)])
        expected = usher.SlaStats(met=(0, 0, 0, 1), breached=(1, 0, 0, 0))
        self.assertEqual(self.engine.sla_policy_stats(1), expected)
        self.assertEqual(self.engine.sla_channel_stats(EMAIL), expected)
        queue = self.engine.queue_get_stats(1)
        self.assertEqual((queue.sla_met, queue.sla_breached), (expected.met, expected.breached))
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_report(1, usher.SlaReport.SOLVED)
        self.assertEqual(caught.exception.name, "USHER_ESTATE")

    def test_pending_customer_pauses_and_rules_choose_the_policy(self):
        self.engine.sla_start(1)
        self.engine.advance(1000)
        self.engine.sla_report(1, usher.SlaReport.PENDING_CUSTOMER)
        self.assertIs(self.engine.sla_get(1, T.RESOLUTION).state, usher.SlaState.PAUSED)
        self.engine.advance(5000)
        self.engine.sla_report(1, usher.SlaReport.RESUMED)
        resolution = self.engine.sla_get(1, T.RESOLUTION)
        self.assertEqual((resolution.elapsed_ms, resolution.due_ms), (1000, 64000))
        # Priority 7 matches the rule of policy 2: a 2 s first response,
        # already exceeded, is breached by the update itself.
        self.recorder.clear()
        self.engine.sla_update(1, priority=7)
        self.assertEqual(self.engine.sla_get(1, T.FIRST_RESPONSE).policy, 2)
        self.assertEqual([(e.type, e.reason, e.due_ms) for e in self.recorder.events],
                         [(E.SLA_BREACHED, T.FIRST_RESPONSE, 5000)])
        self.assertIs(self.engine.sla_get(1, T.RESOLUTION).state, usher.SlaState.INACTIVE)
        self.engine.sla_forget(1)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_get(1, T.RESOLUTION)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")

    def test_policy_errors(self):
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_policy_add(3, targets={})
        self.assertEqual(caught.exception.name, "USHER_EINVAL")  # no target
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_policy_add(3, targets={T.RESOLUTION: 1000}, warnings=[900, 500])
        self.assertEqual(caught.exception.name, "USHER_EINVAL")  # not increasing
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_policy_add(1, targets={T.RESOLUTION: 1000})
        self.assertEqual(caught.exception.name, "USHER_EEXIST")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_set_rules([usher.SlaRule(policy=9)])
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
        self.engine.sla_set_rules([])  # no default: no SLA
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.sla_start(1)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")

    def test_queue_ordered_by_sla_deadline(self):
        self.engine.queue_add(3, order=usher.TicketOrder.SLA_DEADLINE)
        self.engine.sla_start(1)  # due 10 s
        self.engine.sla_start(2, priority=9)  # policy 2: due 2 s
        self.engine.ticket_submit(1, queue=3)
        self.engine.ticket_submit(2, queue=3)
        self.engine.agent_add(10, 1)
        self.engine.agent_set_state(10, usher.AgentState.AVAILABLE)
        self.assertEqual([e.ticket_id for e in self.recorder.of(E.TICKET_ASSIGNED)], [2])


@unittest.skipUnless(BERLIN_FILE.is_file(), "no /usr/share/zoneinfo (tzdata)")
class CalendarTest(unittest.TestCase):
    def setUp(self):
        self.engine, self.recorder = engine_with_recorder(start_ms=ms(2026, 3, 2))
        self.addCleanup(self.engine.close)

    def office_hours(self, calendar):
        weekdays = [usher.OpenHours(day, 9 * 60, 17 * 60) for day in range(1, 6)]
        self.engine.calendar_set_hours(calendar, weekdays)

    def check_office_calendar(self, calendar):
        friday_4pm = ms(2026, 3, 6, 16)
        self.assertEqual(datetime.fromtimestamp(friday_4pm / 1000, timezone.utc).weekday(), 4)
        self.assertEqual(self.engine.calendar_add_business(calendar, friday_4pm, 2 * HOUR),
                         ms(2026, 3, 9, 10))
        self.assertEqual(self.engine.calendar_business_between(
            calendar, friday_4pm, ms(2026, 3, 9, 10)), 2 * HOUR)
        self.assertEqual(self.engine.calendar_next_open(calendar, ms(2026, 3, 7, 12)),
                         ms(2026, 3, 9, 9))
        # Across the change to summer time (29 March): still 09:00 local.
        self.assertEqual(self.engine.calendar_next_open(calendar, ms(2026, 3, 28, 12)),
                         ms(2026, 3, 30, 9))

    def test_calendar_by_zone_name(self):
        self.engine.calendar_add(1, "Europe/Berlin")
        self.office_hours(1)
        self.check_office_calendar(1)
        self.engine.calendar_add_holiday(1, 2026, 3, 9)
        self.assertEqual(self.engine.calendar_next_open(1, ms(2026, 3, 7, 12)),
                         ms(2026, 3, 10, 9))
        self.engine.calendar_add_holiday(1, 2026, 3, 10, 9 * 60, 12 * 60)
        self.assertEqual(self.engine.calendar_next_open(1, ms(2026, 3, 7, 12)),
                         ms(2026, 3, 10, 12))

    def test_calendar_from_tzif_bytes_matches_the_zone_name(self):
        data = BERLIN_FILE.read_bytes()
        self.engine.calendar_add_tzif(2, data)
        self.office_hours(2)
        self.check_office_calendar(2)
        self.engine.calendar_add_tzif(3, bytearray(data))
        self.engine.calendar_add_tzif(4, memoryview(data))
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_add_tzif(5, data[:40])
        self.assertEqual(caught.exception.name, "USHER_ECORRUPT")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_add_tzif(5, b"")
        self.assertEqual(caught.exception.name, "USHER_ECORRUPT")

    def test_calendar_errors(self):
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_add(1, "Nowhere/Atlantis")
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_add(1, "../etc/passwd")
        self.assertEqual(caught.exception.name, "USHER_EINVAL")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_remove(usher.CALENDAR_24_7)
        self.assertEqual(caught.exception.name, "USHER_EINVAL")
        self.engine.calendar_add(1, "UTC")
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_set_hours(1, [(1, 600, 700), (1, 650, 800)])  # overlap
        self.assertEqual(caught.exception.name, "USHER_EINVAL")
        self.engine.calendar_remove(1)
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_next_open(1, 0)
        self.assertEqual(caught.exception.name, "USHER_ENOTFOUND")

    def test_business_time_policy_holds_events_to_open_hours(self):
        self.engine.calendar_add(1, "Europe/Berlin")
        self.office_hours(1)
        self.engine.sla_policy_add(1, targets={T.FIRST_RESPONSE: 4 * HOUR}, calendar=1,
                                   flags=usher.SlaPolicyFlag.HOLD_EVENTS)
        self.engine.sla_policy_add(2, targets={T.FIRST_RESPONSE: 2 * HOUR}, calendar=1,
                                   business=[T.FIRST_RESPONSE])
        self.engine.sla_set_rules([usher.SlaRule(policy=2, queue=2)], default_policy=1)
        self.engine.advance(ms(2026, 3, 6, 16))
        self.engine.sla_start(1)  # calendar time: due Friday 20:00, closed
        self.engine.sla_start(2, queue=2)  # business time: due Monday 10:00
        self.assertEqual(self.engine.sla_get(2, T.FIRST_RESPONSE).due_ms, ms(2026, 3, 9, 10))
        self.engine.advance(ms(2026, 3, 8, 12))
        self.assertEqual(self.recorder.events, [])  # held over the weekend
        self.engine.advance(ms(2026, 3, 9, 11))
        breaches = [(e.ticket_id, e.time_ms, e.due_ms) for e in self.recorder.of(E.SLA_BREACHED)]
        self.assertEqual(breaches, [(1, ms(2026, 3, 9, 9), ms(2026, 3, 6, 20)),
                                    (2, ms(2026, 3, 9, 10), ms(2026, 3, 9, 10))])
        with self.assertRaises(usher.UsherError) as caught:
            self.engine.calendar_remove(1)
        self.assertEqual(caught.exception.name, "USHER_ESTATE")  # in use by a policy


if __name__ == "__main__":
    unittest.main()
