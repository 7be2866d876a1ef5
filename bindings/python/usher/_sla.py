"""Engine methods for business-hours calendars and SLA tracking."""

from collections.abc import Mapping
from ctypes import byref, c_uint64

from . import _structs as S
from ._convert import blob, fill, settable_fields, struct_array, text, to_record, u32, u64
from ._library import LIB
from .constants import CALENDAR_24_7, MAX_SLA_WARNINGS, SLA_NO_POLICY, SLA_TARGETS
from .enums import SlaState
from .records import OpenHours, SlaRule, SlaStats, SlaTargetInfo

_SPEC_OPTIONS = settable_fields(S.SlaSpec)


def _target(name, value):
    target = u32(name, value)
    if target >= SLA_TARGETS:
        raise ValueError(f"{name} must be an SlaTarget (0 .. {SLA_TARGETS - 1}), got {target}")
    return target


def _mask(name, targets):
    if isinstance(targets, (str, bytes)) or not hasattr(targets, "__iter__"):
        raise TypeError(f"{name} must be an iterable of SlaTarget, not {type(targets).__name__}")
    mask = 0
    for target in targets:
        mask |= 1 << _target(f"{name} item", target)
    return mask


class SlaMixin:
    """Business-hours calendars and SLA tracking (see Engine)."""

    # ---- calendars -----------------------------------------------------------

    def calendar_add(self, calendar_id, zone):
        """Creates calendar calendar_id (not 0) in IANA time zone `zone`, e.g.
        "Europe/Berlin", read from /usr/share/zoneinfo; open all week until
        its hours are set (usher_calendar_add)."""
        self._call(LIB.usher_calendar_add, u32("calendar_id", calendar_id), text("zone", zone))

    def calendar_add_tzif(self, calendar_id, tzif):
        """As calendar_add, with the zone's TZif data as a bytes-like object
        (usher_calendar_add_tzif)."""
        calendar_id = u32("calendar_id", calendar_id)
        data = blob("tzif", tzif)
        self._call(LIB.usher_calendar_add_tzif, calendar_id, data, len(data))

    def calendar_remove(self, calendar_id):
        """Removes a calendar no SLA policy uses (usher_calendar_remove)."""
        self._call(LIB.usher_calendar_remove, u32("calendar_id", calendar_id))

    def calendar_set_hours(self, calendar_id, hours):
        """Replaces the calendar's weekly open hours with a sequence of
        OpenHours (or (weekday, open_minute, close_minute) tuples)
        (usher_calendar_set_hours)."""
        calendar_id = u32("calendar_id", calendar_id)
        array, count = struct_array("hours", hours, S.OpenHours, OpenHours)
        self._call(LIB.usher_calendar_set_hours, calendar_id, array, count)

    def calendar_add_holiday(self, calendar_id, year, month, day, from_minute=0,
                             to_minute=1440):
        """Closes the calendar on a local date, from from_minute to to_minute
        after local midnight (the whole day by default)
        (usher_calendar_add_holiday)."""
        self._call(LIB.usher_calendar_add_holiday, u32("calendar_id", calendar_id),
                   u32("year", year), u32("month", month), u32("day", day),
                   u32("from_minute", from_minute), u32("to_minute", to_minute))

    def calendar_add_business(self, calendar_id, from_ms, business_ms):
        """The instant at which business_ms of open time have passed from
        from_ms on; TIME_NEVER if beyond CALENDAR_TIME_MAX
        (usher_calendar_add_business)."""
        out = c_uint64()
        self._call(LIB.usher_calendar_add_business, u32("calendar_id", calendar_id),
                   u64("from_ms", from_ms), u64("business_ms", business_ms), byref(out))
        return out.value

    def calendar_business_between(self, calendar_id, from_ms, to_ms):
        """The open time between from_ms and to_ms
        (usher_calendar_business_between)."""
        out = c_uint64()
        self._call(LIB.usher_calendar_business_between, u32("calendar_id", calendar_id),
                   u64("from_ms", from_ms), u64("to_ms", to_ms), byref(out))
        return out.value

    def calendar_next_open(self, calendar_id, at_ms):
        """The first instant at or after at_ms when the calendar is open
        (usher_calendar_next_open)."""
        out = c_uint64()
        self._call(LIB.usher_calendar_next_open, u32("calendar_id", calendar_id),
                   u64("at_ms", at_ms), byref(out))
        return out.value

    # ---- SLA policies and rules ----------------------------------------------

    def sla_policy_add(self, policy_id, *, targets, business=(), pause=(),
                       calendar=CALENDAR_24_7, warnings=(), flags=0):
        """Defines SLA policy policy_id (usher_sla_policy_add).

        targets: a mapping {SlaTarget: ms}; business: the targets that count
        business time of `calendar`; pause: the targets "pending customer"
        pauses; warnings: up to MAX_SLA_WARNINGS thresholds in per mille,
        increasing; flags: SlaPolicyFlag bits.
        """
        policy_id = u32("policy_id", policy_id)
        if not isinstance(targets, Mapping):
            raise TypeError(f"targets must be a mapping {{SlaTarget: ms}}, "
                            f"not {type(targets).__name__}")
        definition = S.SlaPolicyDef()
        LIB.usher_sla_policy_def_init(byref(definition))
        for target, ms in targets.items():
            index = _target("targets key", target)
            definition.target_mask |= 1 << index
            definition.target_ms[index] = u64("targets value", ms)
        definition.business_mask = _mask("business", business)
        definition.pause_mask = _mask("pause", pause)
        if isinstance(warnings, (str, bytes)) or not hasattr(warnings, "__len__"):
            raise TypeError(f"warnings must be a sequence of ints, not {type(warnings).__name__}")
        if len(warnings) > MAX_SLA_WARNINGS:
            raise ValueError(f"warnings holds at most {MAX_SLA_WARNINGS} thresholds, "
                             f"got {len(warnings)}")
        fill(definition, {"calendar": calendar, "flags": flags, "warning_permille": warnings},
             "sla_policy_add", {"calendar", "flags", "warning_permille"})
        definition.warning_count = len(warnings)
        self._call(LIB.usher_sla_policy_add, policy_id, byref(definition))

    def sla_set_rules(self, rules, default_policy=SLA_NO_POLICY):
        """Replaces the policy rules (a sequence of SlaRule, first match wins)
        and the default policy (SLA_NO_POLICY: no SLA for tickets no rule
        matches) (usher_sla_set_rules)."""
        array, count = struct_array("rules", rules, S.SlaRule, SlaRule)
        self._call(LIB.usher_sla_set_rules, array, count, u32("default_policy", default_policy))

    # ---- SLA tracking --------------------------------------------------------

    def _sla_spec(self, options, function):
        spec = S.SlaSpec()
        LIB.usher_sla_spec_init(byref(spec))
        fill(spec, options, function, _SPEC_OPTIONS)
        return spec

    def sla_start(self, ticket_id, **options):
        """Starts tracking ticket ticket_id (usher_sla_start). Options (the
        fields of usher_sla_spec, defaults from usher_sla_spec_init):
        channel, queue, tier, priority (0), created_ms (CREATED_NOW)."""
        ticket_id = u64("ticket_id", ticket_id)
        spec = self._sla_spec(options, "sla_start")
        self._call(LIB.usher_sla_start, ticket_id, byref(spec))

    def sla_update(self, ticket_id, **options):
        """The ticket's channel, queue, tier or priority changed: its policy
        is chosen again (usher_sla_update; options as for sla_start; the
        ones not given are the defaults, not the ticket's old values)."""
        ticket_id = u64("ticket_id", ticket_id)
        spec = self._sla_spec(options, "sla_update")
        self._call(LIB.usher_sla_update, ticket_id, byref(spec))

    def sla_report(self, ticket_id, what):
        """Reports what happened to a tracked ticket now, an SlaReport
        (usher_sla_report)."""
        self._call(LIB.usher_sla_report, u64("ticket_id", ticket_id), u32("what", what))

    def sla_forget(self, ticket_id):
        """Stops tracking the ticket, without events (usher_sla_forget)."""
        self._call(LIB.usher_sla_forget, u64("ticket_id", ticket_id))

    def sla_get(self, ticket_id, target):
        """The ticket's SLA target `target`, as an SlaTargetInfo
        (usher_sla_get)."""
        out = S.output(S.SlaTargetInfo)
        self._call(LIB.usher_sla_get, u64("ticket_id", ticket_id), u32("target", target),
                   byref(out))
        return to_record(SlaTargetInfo, out, {"state": SlaState})

    def sla_policy_stats(self, policy_id):
        """Targets met and breached under a policy, as SlaStats
        (usher_sla_policy_stats)."""
        out = S.output(S.SlaStats)
        self._call(LIB.usher_sla_policy_stats, u32("policy_id", policy_id), byref(out))
        return to_record(SlaStats, out)

    def sla_channel_stats(self, channel):
        """Targets met and breached by the tickets of a channel, as SlaStats
        (usher_sla_channel_stats)."""
        out = S.output(S.SlaStats)
        self._call(LIB.usher_sla_channel_stats, u32("channel", channel), byref(out))
        return to_record(SlaStats, out)
