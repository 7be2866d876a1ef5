"""ctypes mirrors of the structures of include/usher.h.

Field names, types and order are the header's exactly:
bindings/python/tests/test_layout.py compiles a C program that prints every
size and offset and compares them with these classes. ``_c_name_`` is the C type name for that test.
"""

from ctypes import (POINTER, Structure, c_double, c_int32, c_int64, c_uint32, c_uint64, c_void_p,
                    sizeof)

from .constants import MAX_SLA_WARNINGS, MAX_TIERS, SLA_TARGETS


class Config(Structure):
    _c_name_ = "usher_config"
    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_uint32),
        ("seed", c_uint64),
        ("start_ms", c_uint64),
        # const usher_allocator *: always NULL from Python (the C allocator).
        ("allocator", c_void_p),
    ]


class Event(Structure):
    _c_name_ = "usher_event"
    _fields_ = [
        ("struct_size", c_uint32),
        ("type", c_int32),
        ("seq", c_uint64),
        ("time_ms", c_uint64),
        ("ticket_id", c_uint64),
        ("agent_id", c_uint64),
        ("timer_id", c_uint64),
        ("offer_token", c_uint64),
        ("value", c_int64),
        ("reason", c_int32),
        ("detail", c_uint32),
        ("due_ms", c_uint64),
    ]


class ChannelDef(Structure):
    _c_name_ = "usher_channel_def"
    _fields_ = [
        ("struct_size", c_uint32),
        ("flags", c_uint32),
        ("cost", c_uint32),
        ("max_per_agent", c_uint32),
        ("wrapup_ms", c_uint64),
    ]


class SkillLevel(Structure):
    _c_name_ = "usher_skill_level"
    _fields_ = [("skill", c_uint32), ("level", c_uint32)]


class AgentInfo(Structure):
    _c_name_ = "usher_agent_info"
    _fields_ = [
        ("struct_size", c_uint32),
        ("state", c_int32),
        ("away_reason", c_int32),
        ("flags", c_uint32),
        ("capacity", c_uint32),
        ("capacity_used", c_uint32),
        ("work_count", c_uint32),
        ("wrapup_count", c_uint32),
        ("skill_count", c_uint32),
        ("load_cap_max", c_uint32),
        ("load_cap_window_ms", c_uint64),
        ("cooldown_ms", c_uint64),
        ("idle_timeout_ms", c_uint64),
        ("capped_until_ms", c_uint64),
        ("assignments_today", c_uint64),
        ("handled_ms", c_uint64),
        ("busy_ms", c_uint64),
        ("logged_in_ms", c_uint64),
        ("missed_offers", c_uint64),
    ]


class AgentChannelInfo(Structure):
    _c_name_ = "usher_agent_channel_info"
    _fields_ = [
        ("struct_size", c_uint32),
        ("limit", c_uint32),
        ("active", c_uint32),
        ("wrapping", c_uint32),
        ("free", c_uint32),
        ("eligible", c_uint32),
    ]


class QueueDef(Structure):
    _c_name_ = "usher_queue_def"
    _fields_ = [
        ("struct_size", c_uint32),
        ("strategy", c_uint32),
        ("ageing_rate", c_uint32),
        ("tier_weight", c_uint32 * MAX_TIERS),
        ("reserved", c_uint32),
        ("service_level_ms", c_uint64),
        ("assign_mode", c_uint32),
        ("max_missed_offers", c_uint32),
        ("offer_timeout_ms", c_uint64),
        ("reject_cooldown_ms", c_uint64),
        ("repeat_threshold", c_uint32),
        ("repeat_flags", c_uint32),
        ("repeat_window_ms", c_uint64),
        ("repeat_tier", c_uint32),
        ("repeat_queue", c_uint32),
        ("sticky_ms", c_uint64),
        ("order", c_uint32),
        ("reserved2", c_uint32),
        ("sl_window_ms", c_uint64),
    ]


class WidenStep(Structure):
    _c_name_ = "usher_widen_step"
    _fields_ = [
        ("after_ms", c_uint64),
        ("action", c_uint32),
        ("skill", c_uint32),
        ("value", c_uint32),
        ("reserved", c_uint32),
    ]


class QueueStats(Structure):
    _c_name_ = "usher_queue_stats"
    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_uint32),
        ("waiting", c_uint64),
        ("longest_wait_ms", c_uint64),
        ("entered", c_uint64),
        ("answered", c_uint64),
        ("answered_in_sl", c_uint64),
        ("answer_wait_ms", c_uint64),
        ("abandoned", c_uint64),
        ("completed", c_uint64),
        ("offered", c_uint64),
        ("offers_rejected", c_uint64),
        ("offers_expired", c_uint64),
        ("window_answered", c_uint64),
        ("window_answered_in_sl", c_uint64),
        ("sla_met", c_uint64 * SLA_TARGETS),
        ("sla_breached", c_uint64 * SLA_TARGETS),
    ]


class TicketSpec(Structure):
    _c_name_ = "usher_ticket_spec"
    _fields_ = [
        ("struct_size", c_uint32),
        ("queue", c_uint32),
        ("channel", c_uint32),
        ("priority", c_uint32),
        ("tier", c_uint32),
        ("required_count", c_uint32),
        ("required", POINTER(SkillLevel)),
        ("preferred_count", c_uint32),
        ("reserved", c_uint32),  # explicit padding, left 0
        ("preferred", POINTER(SkillLevel)),
        ("customer_id", c_uint64),
        ("created_ms", c_uint64),
        ("preferred_agent_id", c_uint64),
        ("preferred_wait_ms", c_uint64),
    ]


class TicketInfo(Structure):
    _c_name_ = "usher_ticket_info"
    _fields_ = [
        ("struct_size", c_uint32),
        ("state", c_uint32),
        ("queue", c_uint32),
        ("channel", c_uint32),
        ("priority", c_uint32),
        ("tier", c_uint32),
        ("required_count", c_uint32),
        ("preferred_count", c_uint32),
        ("customer_id", c_uint64),
        ("created_ms", c_uint64),
        ("agent_id", c_uint64),
        ("assigned_ms", c_uint64),
        ("effective_priority", c_int64),
        ("offer_token", c_uint64),
        ("offer_expires_ms", c_uint64),
        ("preferred_agent_id", c_uint64),
        ("preferred_until_ms", c_uint64),
    ]


class OpenHours(Structure):
    _c_name_ = "usher_open_hours"
    _fields_ = [
        ("weekday", c_uint32),
        ("open_minute", c_uint32),
        ("close_minute", c_uint32),
    ]


class SlaPolicyDef(Structure):
    _c_name_ = "usher_sla_policy_def"
    _fields_ = [
        ("struct_size", c_uint32),
        ("flags", c_uint32),
        ("target_mask", c_uint32),
        ("business_mask", c_uint32),
        ("pause_mask", c_uint32),
        ("calendar", c_uint32),
        ("target_ms", c_uint64 * SLA_TARGETS),
        ("warning_count", c_uint32),
        ("warning_permille", c_uint32 * MAX_SLA_WARNINGS),
        ("reserved", c_uint32),  # explicit padding, left 0
    ]


class SlaRule(Structure):
    _c_name_ = "usher_sla_rule"
    _fields_ = [
        ("channel", c_uint32),
        ("queue", c_uint32),
        ("tier", c_uint32),
        ("min_priority", c_uint32),
        ("max_priority", c_uint32),
        ("policy", c_uint32),
    ]


class SlaSpec(Structure):
    _c_name_ = "usher_sla_spec"
    _fields_ = [
        ("struct_size", c_uint32),
        ("channel", c_uint32),
        ("queue", c_uint32),
        ("tier", c_uint32),
        ("priority", c_uint32),
        ("reserved", c_uint32),
        ("created_ms", c_uint64),
    ]


class SlaTargetInfo(Structure):
    _c_name_ = "usher_sla_target_info"
    _fields_ = [
        ("struct_size", c_uint32),
        ("state", c_uint32),
        ("policy", c_uint32),
        ("reserved", c_uint32),
        ("due_ms", c_uint64),
        ("elapsed_ms", c_uint64),
        ("remaining_ms", c_int64),
    ]


class SlaStats(Structure):
    _c_name_ = "usher_sla_stats"
    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_uint32),
        ("met", c_uint64 * SLA_TARGETS),
        ("breached", c_uint64 * SLA_TARGETS),
    ]


class Explanation(Structure):
    _c_name_ = "usher_explanation"
    _fields_ = [
        ("struct_size", c_uint32),
        ("why", c_int32),
        ("skill", c_uint32),
        ("required_level", c_uint32),
        ("agent_level", c_uint32),
        ("reserved", c_uint32),
        ("until_ms", c_uint64),
        ("score", c_int64),
    ]


class StaffingInput(Structure):
    _c_name_ = "usher_staffing_input"
    _fields_ = [
        ("struct_size", c_uint32),
        ("agents", c_uint32),
        ("arrivals_per_hour", c_double),
        ("handle_time_s", c_double),
        ("answer_within_s", c_double),
        ("patience_s", c_double),
    ]


class StaffingResult(Structure):
    _c_name_ = "usher_staffing_result"
    _fields_ = [
        ("struct_size", c_uint32),
        ("agents", c_uint32),
        ("traffic_erlangs", c_double),
        ("wait_probability", c_double),
        ("service_level", c_double),
        ("answered_service_level", c_double),
        ("asa_s", c_double),
        ("abandon_probability", c_double),
        ("occupancy", c_double),
    ]


# Every structure, for the layout test.
ALL = (Config, Event, ChannelDef, SkillLevel, AgentInfo, AgentChannelInfo, QueueDef,
       WidenStep, QueueStats, TicketSpec, TicketInfo, OpenHours, SlaPolicyDef, SlaRule,
       SlaSpec, SlaTargetInfo, SlaStats, Explanation, StaffingInput, StaffingResult)


def output(struct_class):
    """A zeroed output structure whose struct_size says its size."""
    out = struct_class()
    out.struct_size = sizeof(struct_class)
    return out
