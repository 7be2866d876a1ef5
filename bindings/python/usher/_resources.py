"""Engine methods for skills, channels, agents and capacity."""

from ctypes import byref, c_size_t, c_uint32, c_uint64, create_string_buffer

from . import _structs as S
from ._convert import fill, i32, settable_fields, skill_array, text, to_record, u32, u64
from ._library import LIB
from .constants import SKILL_NAME_MAX
from .enums import AgentFlag, AgentState, ChannelFlag, Status
from .errors import UsherError
from .records import AgentChannelInfo, AgentInfo, ChannelDef

_CHANNEL_OPTIONS = settable_fields(S.ChannelDef)


class ResourcesMixin:
    """Skills, channels, agents and capacity (see Engine)."""

    # ---- skills --------------------------------------------------------------

    def skill_intern(self, name):
        """The id of skill `name` (str or bytes, 1 .. SKILL_NAME_MAX bytes in
        UTF-8), created if new (usher_skill_intern)."""
        out = c_uint32()
        self._call(LIB.usher_skill_intern, text("name", name), byref(out))
        return out.value

    def skill_find(self, name):
        """The id of the existing skill `name` (usher_skill_find)."""
        out = c_uint32()
        self._call(LIB.usher_skill_find, text("name", name), byref(out))
        return out.value

    def skill_name(self, skill_id):
        """The name of skill skill_id, as str (usher_skill_name; bytes that
        are not UTF-8 come back as surrogate escapes)."""
        buf = create_string_buffer(SKILL_NAME_MAX + 1)
        self._call(LIB.usher_skill_name, u32("skill_id", skill_id), buf, len(buf))
        return buf.value.decode("utf-8", "surrogateescape")

    def skill_count(self):
        """How many skills exist; their ids are 0 .. count - 1
        (usher_skill_count)."""
        out = c_uint32()
        self._call(LIB.usher_skill_count, byref(out))
        return out.value

    # ---- channels ------------------------------------------------------------

    def channel_add(self, channel, **options):
        """Defines channel number `channel` (0 .. MAX_CHANNELS - 1)
        (usher_channel_add). Options, defaults from usher_channel_def_init:
        flags (ChannelFlag bits, 0), cost (1), max_per_agent (0: no limit
        but capacity), wrapup_ms (0)."""
        channel = u32("channel", channel)
        definition = S.ChannelDef()
        LIB.usher_channel_def_init(byref(definition))
        fill(definition, options, "channel_add", _CHANNEL_OPTIONS)
        self._call(LIB.usher_channel_add, channel, byref(definition))

    def channel_remove(self, channel):
        """Removes a channel definition (usher_channel_remove)."""
        self._call(LIB.usher_channel_remove, u32("channel", channel))

    def channel_get(self, channel):
        """A channel's definition, as a ChannelDef (usher_channel_get)."""
        out = S.output(S.ChannelDef)
        self._call(LIB.usher_channel_get, u32("channel", channel), byref(out))
        return to_record(ChannelDef, out, {"flags": ChannelFlag})

    # ---- agents --------------------------------------------------------------

    def agent_add(self, agent_id, capacity):
        """Adds agent agent_id, offline, with `capacity` units
        (usher_agent_add)."""
        self._call(LIB.usher_agent_add, u64("agent_id", agent_id), u32("capacity", capacity))

    def agent_remove(self, agent_id):
        """Removes an agent; the work it holds is handed back
        (usher_agent_remove)."""
        self._call(LIB.usher_agent_remove, u64("agent_id", agent_id))

    def agent_set_capacity(self, agent_id, capacity):
        """Sets an agent's total capacity (usher_agent_set_capacity)."""
        self._call(LIB.usher_agent_set_capacity, u64("agent_id", agent_id),
                   u32("capacity", capacity))

    def agent_set_channel_limit(self, agent_id, channel, limit):
        """Sets the most tickets of `channel` the agent holds at once;
        LIMIT_DEFAULT for the channel's own (usher_agent_set_channel_limit)."""
        self._call(LIB.usher_agent_set_channel_limit, u64("agent_id", agent_id),
                   u32("channel", channel), u32("limit", limit))

    def agent_set_skill(self, agent_id, skill, level):
        """Gives the agent `skill` at `level`, or changes the level
        (usher_agent_set_skill)."""
        self._call(LIB.usher_agent_set_skill, u64("agent_id", agent_id), u32("skill", skill),
                   u32("level", level))

    def agent_drop_skill(self, agent_id, skill):
        """Takes `skill` from the agent (usher_agent_drop_skill)."""
        self._call(LIB.usher_agent_drop_skill, u64("agent_id", agent_id), u32("skill", skill))

    def agent_set_skills(self, agent_id, skills):
        """Replaces all the agent's skills (usher_agent_set_skills). skills:
        a mapping {skill: level} or an iterable of (skill, level) pairs;
        empty drops them all."""
        agent_id = u64("agent_id", agent_id)
        array, count = skill_array("skills", skills)
        self._call(LIB.usher_agent_set_skills, agent_id, array, count)

    def agent_get_skills(self, agent_id):
        """The agent's skills as a dict {skill: level} in increasing skill id
        (usher_agent_get_skills)."""
        agent_id = u64("agent_id", agent_id)
        count = c_size_t()
        self._call(LIB.usher_agent_get_skills, agent_id, None, 0, byref(count))
        if count.value == 0:
            return {}
        array = (S.SkillLevel * count.value)()
        self._call(LIB.usher_agent_get_skills, agent_id, array, count.value, byref(count))
        return {item.skill: item.level for item in array[:count.value]}

    def agent_set_state(self, agent_id, state, reason=0):
        """Moves an agent to `state` (an AgentState); `reason` is the away
        reason (>= 0) for AWAY, else 0 (usher_agent_set_state)."""
        self._call(LIB.usher_agent_set_state, u64("agent_id", agent_id), i32("state", state),
                   i32("reason", reason))

    def agent_set_load_cap(self, agent_id, max_assignments, window_ms):
        """Caps the agent at max_assignments in any rolling window_ms; 0, 0
        turns it off (usher_agent_set_load_cap)."""
        self._call(LIB.usher_agent_set_load_cap, u64("agent_id", agent_id),
                   u32("max_assignments", max_assignments), u64("window_ms", window_ms))

    def agent_set_cooldown(self, agent_id, cooldown_ms):
        """Sets the agent's cool-down after a heavy ticket
        (usher_agent_set_cooldown)."""
        self._call(LIB.usher_agent_set_cooldown, u64("agent_id", agent_id),
                   u64("cooldown_ms", cooldown_ms))

    def agent_set_idle_timeout(self, agent_id, idle_ms):
        """Sets the agent's idle timeout; 0 turns it off
        (usher_agent_set_idle_timeout)."""
        self._call(LIB.usher_agent_set_idle_timeout, u64("agent_id", agent_id),
                   u64("idle_ms", idle_ms))

    def agent_activity(self, agent_id):
        """Reports activity of the agent now (usher_agent_activity)."""
        self._call(LIB.usher_agent_activity, u64("agent_id", agent_id))

    def agent_get(self, agent_id):
        """The agent's state and counters, as an AgentInfo (usher_agent_get)."""
        out = S.output(S.AgentInfo)
        self._call(LIB.usher_agent_get, u64("agent_id", agent_id), byref(out))
        return to_record(AgentInfo, out, {"state": AgentState, "flags": AgentFlag})

    def agent_get_channel(self, agent_id, channel):
        """The agent's use of `channel`, as an AgentChannelInfo
        (usher_agent_get_channel)."""
        out = S.output(S.AgentChannelInfo)
        self._call(LIB.usher_agent_get_channel, u64("agent_id", agent_id),
                   u32("channel", channel), byref(out))
        return to_record(AgentChannelInfo, out, {"eligible": bool})

    def agents(self):
        """Iterates over the agent ids (usher_agent_next), in the engine's
        deterministic order. Agents added or removed meanwhile may or may not
        be seen; every other agent is seen once."""
        cursor = c_uint64(0)
        agent = c_uint64()
        while True:
            try:
                self._call(LIB.usher_agent_next, byref(cursor), byref(agent))
            except UsherError as exc:
                if exc.code == Status.ENOTFOUND:
                    return
                raise
            yield agent.value

    def agents_new_day(self):
        """Sets every agent's assignments_today to 0 (usher_agents_new_day)."""
        self._call(LIB.usher_agents_new_day)

    # ---- capacity ------------------------------------------------------------

    def capacity_reserve(self, agent_id, ticket_id, channel):
        """Reserves one ticket of `channel` at the agent for host work
        ticket_id (usher_capacity_reserve)."""
        self._call(LIB.usher_capacity_reserve, u64("agent_id", agent_id),
                   u64("ticket_id", ticket_id), u32("channel", channel))

    def capacity_release(self, ticket_id, flags=0):
        """Ends host work ticket_id; flags: ReleaseFlag bits
        (usher_capacity_release)."""
        self._call(LIB.usher_capacity_release, u64("ticket_id", ticket_id), u32("flags", flags))

    def capacity_holder(self, ticket_id):
        """(agent_id, channel) where ticket_id holds capacity
        (usher_capacity_holder)."""
        agent = c_uint64()
        channel = c_uint32()
        self._call(LIB.usher_capacity_holder, u64("ticket_id", ticket_id), byref(agent),
                   byref(channel))
        return agent.value, channel.value
