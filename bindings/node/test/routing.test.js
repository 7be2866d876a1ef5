'use strict';
// Skills, channels, agents, capacity, queues, tickets, offers and
// explanations through the binding.

const test = require('node:test');
const assert = require('node:assert/strict');
const { usher, recordingEngine, routingEngine, types } = require('./helpers');

const { Status, AgentState, ChannelFlag, ReleaseFlag, AssignMode, TicketState, WidenAction, Why, Limits, Strategy } =
    usher;

test('skills: intern, find, name, count', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    assert.equal(engine.internSkill('billing'), 0);
    assert.equal(engine.internSkill('tech'), 1);
    assert.equal(engine.internSkill('billing'), 0);
    assert.equal(engine.findSkill('tech'), 1);
    assert.equal(engine.skillName(1), 'tech');
    assert.equal(engine.skillCount(), 2);
    assert.throws(() => engine.findSkill('sales'), { code: Status.ENOTFOUND });
    assert.throws(() => engine.internSkill(''), { code: Status.EINVAL });
    assert.throws(() => engine.internSkill('x'.repeat(64)), { code: Status.EINVAL });
    const longest = 'é'.repeat(31) + 'x'; // 63 bytes of UTF-8
    assert.equal(engine.skillName(engine.internSkill(longest)), longest);
});

test('channels: defaults, definition, removal', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    engine.addChannel(0);
    assert.deepEqual(engine.getChannel(0), { flags: 0, cost: 1, maxPerAgent: 0, wrapupMs: 0n });
    engine.addChannel(3, { flags: ChannelFlag.EXCLUSIVE, cost: 5, maxPerAgent: 1, wrapupMs: 30000 });
    assert.deepEqual(engine.getChannel(3), { flags: ChannelFlag.EXCLUSIVE, cost: 5, maxPerAgent: 1, wrapupMs: 30000n });
    assert.throws(() => engine.addChannel(3), { code: Status.EEXIST });
    assert.throws(() => engine.addChannel(16), { code: Status.EINVAL });
    engine.removeChannel(3);
    assert.throws(() => engine.getChannel(3), { code: Status.ENOTFOUND });
});

test('agents: skills, state, capacity, limits, caps, iteration', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    ['billing', 'tech', 'sales'].forEach((name) => engine.internSkill(name));
    engine.addChannel(0, { cost: 1 });
    engine.addAgent(1, 4);
    engine.addAgent(2n, 2);
    engine.setAgentSkills(1, [{ skill: 2, level: 3 }, { skill: 0, level: 7 }]);
    engine.setAgentSkill(1, 1, 9);
    engine.dropAgentSkill(1, 2);
    assert.deepEqual(engine.getAgentSkills(1), [{ skill: 0, level: 7 }, { skill: 1, level: 9 }]);
    engine.setAgentSkills(1, []);
    assert.deepEqual(engine.getAgentSkills(1), []);
    const many = Array.from({ length: 20 }, (_, i) => ({ skill: engine.internSkill(`s${i}`), level: 1 + (i % 10) }));
    engine.setAgentSkills(2, many);
    assert.deepEqual(engine.getAgentSkills(2), many); // more than the first buffer holds
    assert.throws(() => engine.setAgentSkills(1, [{ skill: 0, level: 11 }]), { code: Status.EINVAL });

    engine.setAgentCapacity(1, 6);
    engine.setAgentChannelLimit(1, 0, 2);
    engine.setAgentLoadCap(1, 10, 3600000);
    engine.setAgentCooldown(1, 60000);
    engine.setAgentIdleTimeout(1, 300000);
    engine.setAgentState(1, AgentState.AWAY, 4);
    engine.agentActivity(1);
    const info = engine.getAgent(1);
    assert.equal(info.state, AgentState.AWAY);
    assert.equal(info.awayReason, 4);
    assert.equal(info.capacity, 6);
    assert.equal(info.loadCapMax, 10);
    assert.equal(info.loadCapWindowMs, 3600000n);
    assert.equal(info.cooldownMs, 60000n);
    assert.equal(info.idleTimeoutMs, 300000n);
    assert.equal(info.skillCount, 0);
    assert.deepEqual(engine.getAgentChannel(1, 0), { limit: 2, active: 0, wrapping: 0, free: 2, eligible: false });
    engine.setAgentState(1, AgentState.AVAILABLE);
    assert.equal(engine.getAgentChannel(1, 0).eligible, true);
    engine.setAgentChannelLimit(1, 0, Limits.LIMIT_DEFAULT);
    assert.equal(engine.getAgentChannel(1, 0).limit, Limits.LIMIT_DEFAULT); // capacity only
    assert.deepEqual(events.map((e) => [e.type, e.agentId, e.value, e.reason]),
        [['AGENT_STATE', 1n, BigInt(AgentState.AWAY), 4], ['AGENT_STATE', 1n, BigInt(AgentState.AVAILABLE), 0]]);
    assert.throws(() => engine.setAgentState(1, AgentState.AVAILABLE), { code: Status.ESTATE });

    assert.deepEqual([...engine.agents()].sort(), [1n, 2n]);
    engine.agentsNewDay();
    engine.removeAgent(2);
    assert.deepEqual([...engine.agents()], [1n]);
    assert.throws(() => engine.addAgent(1, 1), { code: Status.EEXIST });
});

test('capacity reserved and released by the host, with wrap-up', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    engine.addChannel(2, { wrapupMs: 1000 });
    engine.addAgent(1, 2);
    engine.setAgentState(1, AgentState.AVAILABLE);
    engine.reserveCapacity(1, 500, 2);
    assert.deepEqual(engine.capacityHolder(500), { agentId: 1n, channel: 2 });
    assert.equal(engine.getAgent(1).capacityUsed, 1);
    engine.releaseCapacity(500);
    assert.throws(() => engine.capacityHolder(500), { code: Status.ENOTFOUND });
    assert.equal(engine.getAgent(1).wrapupCount, 1);
    engine.advance(1000);
    assert.equal(engine.getAgent(1).capacityUsed, 0);
    engine.reserveCapacity(1, 501, 2);
    engine.releaseCapacity(501, ReleaseFlag.NO_WRAPUP);
    assert.equal(engine.getAgent(1).capacityUsed, 0);
    assert.deepEqual(types(events), ['AGENT_STATE', 'WRAPUP_ENDED']);
    assert.throws(() => engine.releaseCapacity(501, 8), { code: Status.EINVAL });
});

test('queues: definition, stats, reset, removal', (t) => {
    const { engine } = routingEngine({ agents: [], queue: { tierWeight: [0, 50], serviceLevelMs: 5000 } });
    t.after(() => engine.close());
    assert.throws(() => engine.addQueue(1), { code: Status.EEXIST });
    assert.throws(() => engine.addQueue(2, { strategy: 9 }), { code: Status.EINVAL });
    engine.submitTicket(1, { queue: 1 });
    engine.advance(3000);
    let stats = engine.getQueueStats(1);
    assert.equal(stats.waiting, 1n);
    assert.equal(stats.longestWaitMs, 3000n);
    assert.equal(stats.entered, 1n);
    assert.throws(() => engine.removeQueue(1), { code: Status.ESTATE });
    engine.cancelTicket(1);
    stats = engine.getQueueStats(1);
    assert.equal(stats.abandoned, 1n);
    assert.equal(stats.waiting, 0n);
    assert.deepEqual(stats.slaMet, [0n, 0n, 0n, 0n]);
    engine.resetQueueStats(1);
    assert.equal(engine.getQueueStats(1).abandoned, 0n);
    engine.removeQueue(1);
    assert.throws(() => engine.getQueueStats(1), { code: Status.ENOTFOUND });
});

test('tickets: submit with a spec, change, transfer, complete', (t) => {
    const { engine, events } = routingEngine({ agents: [] });
    t.after(() => engine.close());
    engine.internSkill('tech'); // skill 1
    engine.internSkill('sales'); // skill 2
    engine.addQueue(2);
    engine.advance(10000);
    engine.submitTicket(42, {
        queue: 1, channel: 0, priority: 10, tier: 1, required: [{ skill: 0, level: 4 }],
        preferred: [{ skill: 1, weight: 20 }], customerId: 9007199254740993n, createdMs: 4000,
    });
    let info = engine.getTicket(42);
    assert.equal(info.state, TicketState.WAITING);
    assert.equal(info.queue, 1);
    assert.equal(info.priority, 10);
    assert.equal(info.tier, 1);
    assert.equal(info.requiredCount, 1);
    assert.equal(info.preferredCount, 1);
    assert.equal(info.customerId, 9007199254740993n);
    assert.equal(info.createdMs, 4000n);
    // priority 10, waited 6 s at the default ageing rate of 1000: 10000 + 6000 milli-points
    assert.equal(info.effectivePriority, 16000n);
    engine.setTicketPriority(42, 20);
    engine.setTicketTier(42, 2);
    assert.throws(() => engine.requireSkill(42, 1, 2), { code: Status.ESTATE }); // preferred
    assert.throws(() => engine.requireSkill(42, 7, 2), { code: Status.ENOTFOUND });
    engine.requireSkill(42, 2, 2);
    engine.dropRequirement(42, 0);
    info = engine.getTicket(42);
    assert.deepEqual([info.priority, info.tier, info.requiredCount], [20, 2, 1]);
    assert.throws(() => engine.submitTicket(42, { queue: 1 }), { code: Status.EEXIST });

    engine.transferTicket(42, 2);
    assert.equal(engine.getTicket(42).queue, 2);
    engine.addAgent(7, 1);
    engine.setAgentSkill(7, 2, 2);
    engine.setAgentState(7, AgentState.AVAILABLE);
    info = engine.getTicket(42);
    assert.equal(info.state, TicketState.ASSIGNED);
    assert.equal(info.agentId, 7n);
    assert.throws(() => engine.cancelTicket(42), { code: Status.ESTATE });
    engine.completeTicket(42);
    assert.throws(() => engine.completeTicket(42), { code: Status.ENOTFOUND });
    assert.deepEqual(events.map((e) => [e.type, e.ticketId]), [
        ['TICKET_TRANSFERRED', 42n], ['AGENT_STATE', 0n], ['TICKET_ASSIGNED', 42n], ['TICKET_COMPLETED', 42n],
    ]);
    assert.equal(events[0].value, 2n); // the new queue
});

test('offers: accept, reject with a cool-down, wrong token', (t) => {
    const { engine, events } = routingEngine({
        queue: { assignMode: AssignMode.OFFER, offerTimeoutMs: 20000, rejectCooldownMs: 30000 },
    });
    t.after(() => engine.close());
    engine.submitTicket(10, { queue: 1 });
    const [offer] = events;
    assert.equal(offer.type, 'TICKET_OFFERED');
    assert.equal(offer.agentId, 7n);
    assert.equal(offer.value, 20000n); // expires at
    const info = engine.getTicket(10);
    assert.equal(info.state, TicketState.OFFERED);
    assert.equal(info.offerToken, offer.offerToken);
    assert.throws(() => engine.acceptOffer(10, offer.offerToken + 1n), { code: Status.ETOKEN });
    assert.equal(engine.explain(10, 7).why, Why.TICKET_TAKEN);
    engine.advance(2500);
    engine.rejectOffer(10, offer.offerToken);
    assert.equal(engine.getTicket(10).state, TicketState.WAITING);
    const why = engine.explain(10, 7);
    assert.equal(why.why, Why.REJECT_COOLDOWN);
    assert.equal(why.untilMs, 32500n);
    engine.advance(32500); // offered again
    const again = events[events.length - 1];
    assert.equal(again.type, 'TICKET_OFFERED');
    engine.acceptOffer(10, again.offerToken);
    assert.equal(engine.getTicket(10).state, TicketState.ASSIGNED);
    assert.throws(() => engine.rejectOffer(10, again.offerToken), { code: Status.ESTATE });
    assert.deepEqual(types(events), ['TICKET_OFFERED', 'OFFER_REJECTED', 'TICKET_OFFERED', 'TICKET_ASSIGNED']);
    const stats = engine.getQueueStats(1);
    assert.equal(stats.offered, 2n);
    assert.equal(stats.offersRejected, 1n);
});

test('widening steps fire in order and change the ticket', (t) => {
    const { engine, events } = routingEngine({ agents: [] });
    t.after(() => engine.close());
    engine.setQueueWidening(1, [
        { afterMs: 1000, action: WidenAction.RAISE_PRIORITY, value: 5 },
        { afterMs: 2000, action: WidenAction.LOWER_LEVEL, skill: 0, value: 2 },
    ]);
    assert.throws(() => engine.setQueueWidening(1, [{ afterMs: 5, action: 99 }]), { code: Status.EINVAL });
    engine.submitTicket(1, { queue: 1, required: [{ skill: 0, level: 6 }] });
    assert.throws(() => engine.setQueueWidening(1, []), { code: Status.ESTATE });
    engine.addAgent(7, 1);
    engine.setAgentSkill(7, 0, 3);
    engine.setAgentState(7, AgentState.AVAILABLE);
    const why = engine.explain(1, 7);
    assert.equal(why.why, Why.WIDENING_PENDING);
    assert.deepEqual([why.skill, why.requiredLevel, why.agentLevel, why.untilMs], [0, 6, 3, 2000n]);
    engine.advance(2000);
    assert.deepEqual(events.slice(1).map((e) => [e.type, e.value, e.reason]), [
        ['TICKET_WIDENED', 0n, WidenAction.RAISE_PRIORITY],
        ['TICKET_WIDENED', 1n, WidenAction.LOWER_LEVEL],
        ['TICKET_ASSIGNED', 2000n, 0],
    ]);
    assert.equal(engine.getTicket(1).priority, 5);
});

test('explanations and the candidate', (t) => {
    const { engine } = routingEngine({ agents: [7], queue: { strategy: Strategy.MOST_FREE } });
    t.after(() => engine.close());
    engine.internSkill('tech');
    engine.addAgent(8, 1);
    engine.submitTicket(1, { queue: 1, required: [{ skill: 1, level: 3 }] });
    assert.deepEqual(engine.explain(1, 7),
        { why: Why.MISSING_SKILL, skill: 1, requiredLevel: 3, agentLevel: 0, untilMs: 0n, score: 0n });
    assert.equal(engine.explain(1, 8).why, Why.OFFLINE);
    assert.throws(() => engine.explain(1, 99), { code: Status.ENOTFOUND });
    assert.throws(() => engine.ticketCandidate(1), { code: Status.ENOTFOUND }); // nobody can take it
    engine.setAgentSkill(7, 1, 3); // now 7 takes it at once
    assert.equal(engine.getTicket(1).agentId, 7n);
    assert.throws(() => engine.ticketCandidate(1), { code: Status.ESTATE });
});

test('a preferred agent: the ticket waits for them, others are told until when', (t) => {
    const { engine } = routingEngine({ agents: [7, 8] });
    t.after(() => engine.close());
    engine.reserveCapacity(8, 900, 0); // 8 is busy
    engine.advance(1000);
    engine.submitTicket(1, { queue: 1, preferredAgentId: 8, preferredWaitMs: 5000 });
    const info = engine.getTicket(1);
    assert.equal(info.state, TicketState.WAITING);
    assert.equal(info.preferredAgentId, 8n);
    assert.equal(info.preferredUntilMs, 6000n);
    const why = engine.explain(1, 7);
    assert.equal(why.why, Why.WAITING_FOR_PREFERRED);
    assert.equal(why.untilMs, 6000n);
});
