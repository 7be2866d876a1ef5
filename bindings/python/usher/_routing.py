"""Engine methods for queues, tickets, offers and explanations."""

from ctypes import byref, c_int64, c_uint64

from . import _structs as S
from ._convert import fill, settable_fields, skill_array, struct_array, to_record, u32, u64
from ._library import LIB
from .enums import TicketState, Why
from .records import Candidate, Explanation, QueueStats, TicketInfo, WidenStep

_QUEUE_OPTIONS = settable_fields(S.QueueDef)
_TICKET_OPTIONS = settable_fields(S.TicketSpec) - {
    "required", "required_count", "preferred", "preferred_count"}


class RoutingMixin:
    """Queues, tickets, offers and explanations (see Engine)."""

    # ---- queues --------------------------------------------------------------

    def queue_add(self, queue_id, **options):
        """Defines queue queue_id (usher_queue_add). Options (the fields of
        usher_queue_def, defaults from usher_queue_def_init): strategy (a
        Strategy), ageing_rate, tier_weight (up to MAX_TIERS ints),
        service_level_ms, assign_mode (an AssignMode), max_missed_offers,
        offer_timeout_ms, reject_cooldown_ms, repeat_threshold, repeat_flags
        (RepeatFlag bits), repeat_window_ms, repeat_tier, repeat_queue,
        sticky_ms, order (a TicketOrder), sl_window_ms."""
        queue_id = u32("queue_id", queue_id)
        definition = S.QueueDef()
        LIB.usher_queue_def_init(byref(definition))
        fill(definition, options, "queue_add", _QUEUE_OPTIONS)
        self._call(LIB.usher_queue_add, queue_id, byref(definition))

    def queue_remove(self, queue_id):
        """Removes a queue that holds no live ticket (usher_queue_remove)."""
        self._call(LIB.usher_queue_remove, u32("queue_id", queue_id))

    def queue_set_widening(self, queue_id, steps):
        """Sets the queue's widening steps, a sequence of WidenStep (or
        tuples in its field order); empty removes them
        (usher_queue_set_widening)."""
        queue_id = u32("queue_id", queue_id)
        array, count = struct_array("steps", steps, S.WidenStep, WidenStep)
        self._call(LIB.usher_queue_set_widening, queue_id, array, count)

    def queue_get_stats(self, queue_id):
        """The queue's counters, as a QueueStats (usher_queue_get_stats)."""
        out = S.output(S.QueueStats)
        self._call(LIB.usher_queue_get_stats, u32("queue_id", queue_id), byref(out))
        return to_record(QueueStats, out)

    def queue_reset_stats(self, queue_id):
        """Sets the queue's counters to 0 (usher_queue_reset_stats)."""
        self._call(LIB.usher_queue_reset_stats, u32("queue_id", queue_id))

    # ---- tickets -------------------------------------------------------------

    def ticket_submit(self, ticket_id, *, required=(), preferred=(), **options):
        """Submits ticket ticket_id (usher_ticket_submit): assigned at once if
        an agent can take it, else it waits. required / preferred: a mapping
        {skill: level} or (skill, level) pairs (for preferred skills the
        level is the weight). Options (the other fields of usher_ticket_spec,
        defaults from usher_ticket_spec_init): queue (0), channel (0),
        priority (0), tier (0), customer_id (0), created_ms (CREATED_NOW),
        preferred_agent_id (0), preferred_wait_ms (0)."""
        ticket_id = u64("ticket_id", ticket_id)
        spec = S.TicketSpec()
        LIB.usher_ticket_spec_init(byref(spec))
        fill(spec, options, "ticket_submit", _TICKET_OPTIONS)
        required_array, spec.required_count = skill_array("required", required)
        preferred_array, spec.preferred_count = skill_array("preferred", preferred)
        spec.required = required_array  # the arrays outlive the call
        spec.preferred = preferred_array
        self._call(LIB.usher_ticket_submit, ticket_id, byref(spec))

    def ticket_set_priority(self, ticket_id, priority):
        """Sets a live ticket's priority (usher_ticket_set_priority)."""
        self._call(LIB.usher_ticket_set_priority, u64("ticket_id", ticket_id),
                   u32("priority", priority))

    def ticket_set_tier(self, ticket_id, tier):
        """Sets a live ticket's tier (usher_ticket_set_tier)."""
        self._call(LIB.usher_ticket_set_tier, u64("ticket_id", ticket_id), u32("tier", tier))

    def ticket_require(self, ticket_id, skill, level):
        """Adds a required skill to a live ticket or changes its minimum
        level (usher_ticket_require)."""
        self._call(LIB.usher_ticket_require, u64("ticket_id", ticket_id), u32("skill", skill),
                   u32("level", level))

    def ticket_drop_requirement(self, ticket_id, skill):
        """Drops a required skill (usher_ticket_drop_requirement)."""
        self._call(LIB.usher_ticket_drop_requirement, u64("ticket_id", ticket_id),
                   u32("skill", skill))

    def ticket_transfer(self, ticket_id, queue_id):
        """Moves a live ticket to another queue (usher_ticket_transfer)."""
        self._call(LIB.usher_ticket_transfer, u64("ticket_id", ticket_id),
                   u32("queue_id", queue_id))

    def ticket_cancel(self, ticket_id):
        """The customer abandoned a waiting ticket (usher_ticket_cancel)."""
        self._call(LIB.usher_ticket_cancel, u64("ticket_id", ticket_id))

    def ticket_complete(self, ticket_id, flags=0):
        """Ends a live ticket; flags: ReleaseFlag bits for its capacity
        (usher_ticket_complete)."""
        self._call(LIB.usher_ticket_complete, u64("ticket_id", ticket_id), u32("flags", flags))

    def ticket_get(self, ticket_id):
        """A live ticket's state, as a TicketInfo (usher_ticket_get)."""
        out = S.output(S.TicketInfo)
        self._call(LIB.usher_ticket_get, u64("ticket_id", ticket_id), byref(out))
        return to_record(TicketInfo, out, {"state": TicketState})

    # ---- offers --------------------------------------------------------------

    def offer_accept(self, ticket_id, token):
        """Accepts the ticket's offer whose token is `token`
        (usher_offer_accept)."""
        self._call(LIB.usher_offer_accept, u64("ticket_id", ticket_id), u64("token", token))

    def offer_reject(self, ticket_id, token):
        """Rejects the ticket's offer whose token is `token`
        (usher_offer_reject)."""
        self._call(LIB.usher_offer_reject, u64("ticket_id", ticket_id), u64("token", token))

    # ---- explanations --------------------------------------------------------

    def explain(self, ticket_id, agent_id):
        """Whether agent_id may take ticket_id now and if not why, as an
        Explanation (usher_explain)."""
        out = S.output(S.Explanation)
        self._call(LIB.usher_explain, u64("ticket_id", ticket_id), u64("agent_id", agent_id),
                   byref(out))
        return to_record(Explanation, out, {"why": Why})

    def ticket_candidate(self, ticket_id):
        """The agent a waiting ticket would go to now and its score, as a
        Candidate (usher_ticket_candidate; the score hook, if any, is
        called). As in C, UsherError ENOTFOUND when the ticket does not
        exist or no agent could take it now, ESTATE if it is offered or
        assigned."""
        agent = c_uint64()
        score = c_int64()
        self._call(LIB.usher_ticket_candidate, u64("ticket_id", ticket_id), byref(agent),
                   byref(score))
        return Candidate(agent.value, score.value)
