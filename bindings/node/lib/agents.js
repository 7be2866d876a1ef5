'use strict';
// Engine methods for skills, channels, agents and capacity.

const { call } = require('./engine');
const { defaults } = require('./ffi');
const { ChannelDef, AgentInfo, AgentChannelInfo, toJs, toC, blank, skillLevels } = require('./types');
const { u32, i32, u64, string, big } = require('./convert');
const { Status } = require('./constants');

const SKILL_NAME_BUFFER = 64; // USHER_SKILL_NAME_MAX + 1

module.exports = {
    // ---- skills ----

    /** The id of skill `name`, created if new. */
    internSkill(name) {
        const out = [0];
        call(this, 'usher_skill_intern', string('name', name), out);
        return out[0];
    },

    /** The id of the existing skill `name` (UsherError ENOTFOUND if none). */
    findSkill(name) {
        const out = [0];
        call(this, 'usher_skill_find', string('name', name), out);
        return out[0];
    },

    skillName(skillId) {
        const buf = Buffer.alloc(SKILL_NAME_BUFFER);
        call(this, 'usher_skill_name', u32('skillId', skillId), buf, buf.length);
        return buf.toString('utf8', 0, buf.indexOf(0));
    },

    /** How many skills exist; their ids are 0 .. count - 1. */
    skillCount() {
        const out = [0];
        call(this, 'usher_skill_count', out);
        return out[0];
    },

    // ---- channels ----

    /** Defines channel `channel`: { flags, cost, maxPerAgent, wrapupMs }, defaults from usher_channel_def_init. */
    addChannel(channel, def) {
        const c = toC(ChannelDef, 'channel definition', defaults('usher_channel_def_init'), def);
        call(this, 'usher_channel_add', u32('channel', channel), c);
    },

    removeChannel(channel) {
        call(this, 'usher_channel_remove', u32('channel', channel));
    },

    /** { flags, cost, maxPerAgent, wrapupMs } */
    getChannel(channel) {
        const out = blank(ChannelDef);
        call(this, 'usher_channel_get', u32('channel', channel), out);
        return toJs(ChannelDef, out);
    },

    // ---- agents ----

    addAgent(agentId, capacity) {
        call(this, 'usher_agent_add', u64('agentId', agentId), u32('capacity', capacity));
    },

    removeAgent(agentId) {
        call(this, 'usher_agent_remove', u64('agentId', agentId));
    },

    setAgentCapacity(agentId, capacity) {
        call(this, 'usher_agent_set_capacity', u64('agentId', agentId), u32('capacity', capacity));
    },

    /** limit: 0 .. capacity, or Limits.LIMIT_DEFAULT for the channel's own. */
    setAgentChannelLimit(agentId, channel, limit) {
        call(this, 'usher_agent_set_channel_limit', u64('agentId', agentId), u32('channel', channel),
            u32('limit', limit));
    },

    setAgentSkill(agentId, skill, level) {
        call(this, 'usher_agent_set_skill', u64('agentId', agentId), u32('skill', skill), u32('level', level));
    },

    dropAgentSkill(agentId, skill) {
        call(this, 'usher_agent_drop_skill', u64('agentId', agentId), u32('skill', skill));
    },

    /** Replaces the agent's skills with [{ skill, level }, ...]. */
    setAgentSkills(agentId, skills) {
        const id = u64('agentId', agentId);
        const list = skillLevels('skills', skills, 'level');
        call(this, 'usher_agent_set_skills', id, list.length ? list : null, list.length);
    },

    /** [{ skill, level }, ...] in increasing skill id. */
    getAgentSkills(agentId) {
        const id = u64('agentId', agentId);
        let room = 16;
        for (;;) {
            const out = Array.from({ length: room }, () => ({}));
            const count = [0];
            call(this, 'usher_agent_get_skills', id, out, room, count);
            const n = Number(count[0]);
            if (n <= room) return out.slice(0, n).map(({ skill, level }) => ({ skill, level }));
            room = n; // skills were added meanwhile (from a callback): ask again
        }
    },

    /** state: an AgentState value; reason: the away reason (>= 0), 0 otherwise. */
    setAgentState(agentId, state, reason = 0) {
        call(this, 'usher_agent_set_state', u64('agentId', agentId), i32('state', state), i32('reason', reason));
    },

    setAgentLoadCap(agentId, maxAssignments, windowMs) {
        call(this, 'usher_agent_set_load_cap', u64('agentId', agentId), u32('maxAssignments', maxAssignments),
            u64('windowMs', windowMs));
    },

    setAgentCooldown(agentId, cooldownMs) {
        call(this, 'usher_agent_set_cooldown', u64('agentId', agentId), u64('cooldownMs', cooldownMs));
    },

    setAgentIdleTimeout(agentId, idleMs) {
        call(this, 'usher_agent_set_idle_timeout', u64('agentId', agentId), u64('idleMs', idleMs));
    },

    agentActivity(agentId) {
        call(this, 'usher_agent_activity', u64('agentId', agentId));
    },

    /** The agent's state and counters (usher_agent_info, camelCase; 64-bit fields BigInt). */
    getAgent(agentId) {
        const out = blank(AgentInfo);
        call(this, 'usher_agent_get', u64('agentId', agentId), out);
        return toJs(AgentInfo, out);
    },

    /** { limit, active, wrapping, free, eligible (boolean) } */
    getAgentChannel(agentId, channel) {
        const out = blank(AgentChannelInfo);
        call(this, 'usher_agent_get_channel', u64('agentId', agentId), u32('channel', channel), out);
        const info = toJs(AgentChannelInfo, out);
        return { ...info, eligible: info.eligible !== 0 };
    },

    /** Iterates over the agents' ids (BigInt), as usher_agent_next does. */
    *agents() {
        const cursor = [0n];
        const id = [0];
        for (;;) {
            try {
                call(this, 'usher_agent_next', cursor, id);
            } catch (err) {
                if (err.code === Status.ENOTFOUND && err.function === 'usher_agent_next') return; // the end
                throw err;
            }
            yield big(id[0]);
        }
    },

    agentsNewDay() {
        call(this, 'usher_agents_new_day');
    },

    // ---- capacity ----

    reserveCapacity(agentId, ticketId, channel) {
        call(this, 'usher_capacity_reserve', u64('agentId', agentId), u64('ticketId', ticketId),
            u32('channel', channel));
    },

    /** flags: ReleaseFlag bits. */
    releaseCapacity(ticketId, flags = 0) {
        call(this, 'usher_capacity_release', u64('ticketId', ticketId), u32('flags', flags));
    },

    /** { agentId, channel } where the ticket holds capacity. */
    capacityHolder(ticketId) {
        const agent = [0];
        const channel = [0];
        call(this, 'usher_capacity_holder', u64('ticketId', ticketId), agent, channel);
        return { agentId: big(agent[0]), channel: channel[0] };
    },
};
