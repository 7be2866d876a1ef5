'use strict';
// Shared by the test files (not a test file itself: the suite runs
// test/*.test.js).

const usher = require('..');

/** A new engine whose events are recorded in engine.events (plain array). */
function recordingEngine(opts = {}) {
    const events = [];
    const engine = new usher.Engine({ ...opts, onEvent: (event) => events.push(event) });
    return { engine, events };
}

/** The types of the events, in order. */
const types = (events) => events.map((event) => event.type);

/**
 * An engine with skill "billing" (id 0), channel 0 (chat, cost 1), queue 1
 * and available agents `agents` (capacity 1, billing at level 5).
 */
function routingEngine({ agents = [7], queue = {} } = {}) {
    const { engine, events } = recordingEngine();
    engine.internSkill('billing');
    engine.addChannel(0, { cost: 1 });
    engine.addQueue(1, queue);
    for (const id of agents) {
        engine.addAgent(id, 1);
        engine.setAgentSkill(id, 0, 5);
        engine.setAgentState(id, usher.AgentState.AVAILABLE);
    }
    events.length = 0;
    return { engine, events };
}

/** Calls fn and returns what it threw (fails the test if nothing was thrown). */
function thrown(fn) {
    try {
        fn();
    } catch (err) {
        return err;
    }
    throw new Error('expected an exception');
}

module.exports = { usher, recordingEngine, routingEngine, types, thrown };
