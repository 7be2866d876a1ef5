"""The values the binding passes in and out.

Output records are frozen dataclasses copied out of the C structures (the
engine's memory is never referenced after a call returns); their fields
are the C fields of the same name, with codes turned into enum members.
Input records are NamedTuples: a plain tuple in the same field order, or a
dict with the field names, is accepted wherever one is expected.
"""

from dataclasses import dataclass
from typing import NamedTuple, Tuple, Union

from .constants import MAX_PRIORITY, SLA_ANY
from .enums import (AgentFlag, AgentState, ChannelFlag, EventType, SlaState, TicketState,
                    Why)

__all__ = [
    "Event", "ChannelDef", "AgentInfo", "AgentChannelInfo", "QueueStats", "TicketInfo",
    "SlaTargetInfo", "SlaStats", "Explanation", "Candidate", "StaffingResult",
    "SkillLevel", "WidenStep", "OpenHours", "SlaRule",
]


@dataclass(frozen=True, slots=True)
class Event:
    """One event (usher_event), delivered to the engine's event handler.

    ``type`` is an EventType (or a plain int for a type this binding does
    not know). The meaning of ``value``, ``reason`` and ``detail`` depends
    on the type (see enum usher_event_type in usher.h); fields that do not
    apply are 0. ``seq`` is 1 for the engine's first event, then +1 each.
    """

    type: Union[EventType, int]
    seq: int
    time_ms: int
    ticket_id: int
    agent_id: int
    timer_id: int
    offer_token: int
    value: int
    reason: int
    detail: int
    due_ms: int


@dataclass(frozen=True, slots=True)
class ChannelDef:
    """A channel's definition (usher_channel_get)."""

    flags: ChannelFlag
    cost: int
    max_per_agent: int
    wrapup_ms: int


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """An agent's state and counters (usher_agent_get). Occupancy is
    busy_ms / logged_in_ms."""

    state: AgentState
    away_reason: int
    flags: AgentFlag
    capacity: int
    capacity_used: int
    work_count: int
    wrapup_count: int
    skill_count: int
    load_cap_max: int
    load_cap_window_ms: int
    cooldown_ms: int
    idle_timeout_ms: int
    capped_until_ms: int
    assignments_today: int
    handled_ms: int
    busy_ms: int
    logged_in_ms: int
    missed_offers: int


@dataclass(frozen=True, slots=True)
class AgentChannelInfo:
    """An agent's use of one channel (usher_agent_get_channel). limit is
    LIMIT_DEFAULT's value 2**32 - 1 when only capacity limits the channel."""

    limit: int
    active: int
    wrapping: int
    free: int
    eligible: bool


@dataclass(frozen=True, slots=True)
class QueueStats:
    """A queue's counters (usher_queue_get_stats). sla_met and sla_breached
    are indexed by SlaTarget."""

    waiting: int
    longest_wait_ms: int
    entered: int
    answered: int
    answered_in_sl: int
    answer_wait_ms: int
    abandoned: int
    completed: int
    offered: int
    offers_rejected: int
    offers_expired: int
    window_answered: int
    window_answered_in_sl: int
    sla_met: Tuple[int, ...]
    sla_breached: Tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """A live ticket's state (usher_ticket_get)."""

    state: TicketState
    queue: int
    channel: int
    priority: int
    tier: int
    required_count: int
    preferred_count: int
    customer_id: int
    created_ms: int
    agent_id: int
    assigned_ms: int
    effective_priority: int
    offer_token: int
    offer_expires_ms: int
    preferred_agent_id: int
    preferred_until_ms: int


@dataclass(frozen=True, slots=True)
class SlaTargetInfo:
    """One SLA target of a tracked ticket (usher_sla_get). due_ms is
    TIME_NEVER unless running; remaining_ms is negative once breached."""

    state: SlaState
    policy: int
    due_ms: int
    elapsed_ms: int
    remaining_ms: int


@dataclass(frozen=True, slots=True)
class SlaStats:
    """Targets met and breached, indexed by SlaTarget
    (usher_sla_policy_stats, usher_sla_channel_stats)."""

    met: Tuple[int, ...]
    breached: Tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an agent may or may not take a ticket now (usher_explain)."""

    why: Why
    skill: int
    required_level: int
    agent_level: int
    until_ms: int
    score: int


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """How a queue performs with `agents` agents, in the long run
    (usher_staffing_evaluate, usher_staffing_agents). Probabilities are
    fractions (0.8 is 80 %) of all arriving contacts, except
    answered_service_level (of the answered ones only; equal to
    service_level when nobody hangs up); traffic_erlangs is arrivals per
    second times handle time; asa_s is the mean wait of answered contacts
    in seconds; occupancy the fraction of agent time spent handling."""

    agents: int
    traffic_erlangs: float
    wait_probability: float
    service_level: float
    answered_service_level: float
    asa_s: float
    abandon_probability: float
    occupancy: float


class Candidate(NamedTuple):
    """The agent a waiting ticket would go to now, and its score
    (usher_ticket_candidate)."""

    agent_id: int
    score: int


class SkillLevel(NamedTuple):
    """A skill id with a level: an agent's proficiency, a ticket's minimum
    level, or (preferred skills) a weight."""

    skill: int
    level: int


class WidenStep(NamedTuple):
    """A widening step of a queue (usher_widen_step): at after_ms of waiting
    do `action` (a WidenAction) with `skill` and `value`."""

    after_ms: int
    action: int
    skill: int = 0
    value: int = 0


class OpenHours(NamedTuple):
    """Weekly open hours of a calendar: weekday 0 (Sunday) .. 6, minutes
    after local midnight; close_minute may pass 1440 (overnight)."""

    weekday: int
    open_minute: int
    close_minute: int


class SlaRule(NamedTuple):
    """An SLA policy rule (usher_sla_rule): tickets matching channel, queue,
    tier (SLA_ANY: any) and a priority in min_priority .. max_priority get
    `policy`. Note the field order: policy comes first."""

    policy: int
    channel: int = SLA_ANY
    queue: int = SLA_ANY
    tier: int = SLA_ANY
    min_priority: int = 0
    max_priority: int = MAX_PRIORITY
