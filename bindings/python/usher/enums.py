"""The enumerations of include/usher.h as IntEnum and IntFlag classes.

Each class mirrors one C enum; a member's name is the C constant without
its prefix (``USHER_EVENT_TIMER`` is ``EventType.TIMER``). Values are the
C values, which the library keeps fixed forever. Every function of the
binding accepts these members or plain ints.
"""

from enum import IntEnum, IntFlag

__all__ = [
    "Status", "EventType", "ChannelFlag", "AgentState", "AwayReason", "ReturnReason",
    "LoadCap", "AgentFlag", "ReleaseFlag", "Strategy", "AssignMode", "TicketOrder",
    "RepeatFlag", "WidenAction", "TicketState", "SlaTarget", "SlaPolicyFlag",
    "SlaReport", "SlaState", "Why",
]


class Status(IntEnum):
    """enum usher_status_code: what a fallible C function returned."""

    OK = 0
    ENOMEM = -1
    EINVAL = -2
    ENOTFOUND = -3
    EEXIST = -4
    ESTATE = -5
    ELIMIT = -6
    ECORRUPT = -7
    ECLOSED = -8
    ETOKEN = -9
    EINTERNAL = -10


class EventType(IntEnum):
    """enum usher_event_type: what an Event reports (see usher.h for the
    meaning of each event's fields)."""

    TIMER = 1
    AGENT_STATE = 2
    WORK_RETURNED = 3
    WRAPUP_ENDED = 4
    LOAD_CAP_REACHED = 5
    LOAD_CAP_CLEARED = 6
    TICKET_ASSIGNED = 7
    TICKET_REQUEUED = 8
    TICKET_TRANSFERRED = 9
    TICKET_ABANDONED = 10
    TICKET_COMPLETED = 11
    TICKET_OFFERED = 12
    OFFER_REJECTED = 13
    OFFER_EXPIRED = 14
    TICKET_WIDENED = 15
    TICKET_ESCALATED = 16
    SLA_WARNING = 17
    SLA_BREACHED = 18
    SLA_MET = 19


class ChannelFlag(IntFlag):
    """enum usher_channel_flag: a channel's behaviour bits."""

    EXCLUSIVE = 1
    INTERRUPTS = 2
    WRAPUP_BLOCKS_AGENT = 4


class AgentState(IntEnum):
    """enum usher_agent_state: an agent's presence."""

    OFFLINE = 0
    AVAILABLE = 1
    AWAY = 2


class AwayReason(IntEnum):
    """enum usher_away_reason: the away reasons the engine sets itself
    (host-defined reasons are ints >= 0)."""

    IDLE = -1
    NO_ANSWER = -2


class ReturnReason(IntEnum):
    """enum usher_return_reason: why work went back (WORK_RETURNED,
    TICKET_REQUEUED)."""

    LOGOUT = 1
    REMOVED = 2


class LoadCap(IntEnum):
    """enum usher_load_cap: which load cap a LOAD_CAP_* event is about."""

    WINDOW = 1
    COOLDOWN = 2


class AgentFlag(IntFlag):
    """enum usher_agent_flag: AgentInfo.flags bits."""

    AT_LOAD_CAP = 1
    COOLING_DOWN = 2
    WRAPUP_BLOCKED = 4
    EXCLUSIVE = 8


class ReleaseFlag(IntFlag):
    """enum usher_release_flag: how work ends (capacity_release,
    ticket_complete)."""

    HEAVY = 1
    NO_WRAPUP = 2


class Strategy(IntEnum):
    """enum usher_strategy: how a queue chooses among eligible agents."""

    LONGEST_IDLE = 0
    MOST_FREE = 1
    BEST_SKILL = 2
    FEWEST_ASSIGNMENTS = 3
    ROUND_ROBIN = 4
    RANDOM = 5


class AssignMode(IntEnum):
    """enum usher_assign_mode: assign at once or offer first."""

    DIRECT = 0
    OFFER = 1


class TicketOrder(IntEnum):
    """enum usher_ticket_order: how a queue orders its waiting tickets."""

    PRIORITY = 0
    SLA_DEADLINE = 1


class RepeatFlag(IntFlag):
    """enum usher_repeat_flag: how a repeat contact is escalated."""

    RAISE_TIER = 1
    MOVE_QUEUE = 2


class WidenAction(IntEnum):
    """enum usher_widen_action: what a widening step does."""

    LOWER_LEVEL = 1
    DROP_PREFERRED = 2
    OVERFLOW_GROUP = 3
    RAISE_PRIORITY = 4
    MOVE_QUEUE = 5


class TicketState(IntEnum):
    """enum usher_ticket_state: a live ticket's state."""

    WAITING = 1
    ASSIGNED = 2
    OFFERED = 3


class SlaTarget(IntEnum):
    """enum usher_sla_target: the four SLA targets."""

    FIRST_RESPONSE = 0
    NEXT_RESPONSE = 1
    PERIODIC_UPDATE = 2
    RESOLUTION = 3


class SlaPolicyFlag(IntFlag):
    """enum usher_sla_policy_flag: an SLA policy's behaviour bits."""

    HOLD_EVENTS = 1


class SlaReport(IntEnum):
    """enum usher_sla_report: what happened to a tracked ticket."""

    AGENT_REPLY = 1
    CUSTOMER_MESSAGE = 2
    PENDING_CUSTOMER = 3
    RESUMED = 4
    SOLVED = 5
    REOPENED = 6


class SlaState(IntEnum):
    """enum usher_sla_state: the state of one SLA target of a ticket."""

    INACTIVE = 0
    RUNNING = 1
    PAUSED = 2
    MET = 3
    BREACHED = 4
    STOPPED = 5


class Why(IntEnum):
    """enum usher_why: why an agent may or may not take a ticket now."""

    ELIGIBLE = 0
    TICKET_TAKEN = 1
    OFFLINE = 2
    AWAY = 3
    LOAD_CAP = 4
    COOLING_DOWN = 5
    EXCLUSIVE_BUSY = 6
    WRAPUP = 7
    NO_CAPACITY = 8
    MISSING_SKILL = 9
    WIDENING_PENDING = 10
    REJECT_COOLDOWN = 11
    WAITING_FOR_PREFERRED = 12


def as_enum(enum_class, value):
    """The member of enum_class with this value, or the plain int when the
    library reports a value this binding does not know (newer library)."""
    try:
        return enum_class(value)
    except ValueError:
        return value
