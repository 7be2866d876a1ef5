'use strict';
// Callbacks into JavaScript: re-entrant calls, exceptions thrown by the
// host's handler or scoring hook (kept, then rethrown by the Engine method
// whose C call delivered them), and closing from inside a callback.

const test = require('node:test');
const assert = require('node:assert/strict');
const { state } = require('../lib/dispatch');
const { usher, recordingEngine, routingEngine, types, thrown } = require('./helpers');

const { UsherError, Status, AssignMode, TicketState, Limits } = usher;

test('a handler that completes a ticket on TICKET_ASSIGNED', (t) => {
    const { engine, events } = routingEngine();
    t.after(() => engine.close());
    engine.onEvent = (event) => {
        events.push(event);
        if (event.type === 'TICKET_ASSIGNED') engine.completeTicket(event.ticketId);
    };
    engine.submitTicket(1, { queue: 1 });
    engine.submitTicket(2, { queue: 1 }); // capacity 1: only possible if 1 was completed
    assert.deepEqual(events.map((e) => [e.type, e.ticketId]), [
        ['TICKET_ASSIGNED', 1n], ['TICKET_COMPLETED', 1n], ['TICKET_ASSIGNED', 2n], ['TICKET_COMPLETED', 2n],
    ]);
    assert.equal(engine.getAgent(7).workCount, 0);
    assert.equal(engine.getQueueStats(1).completed, 2n);
});

test('a handler that accepts the offer it was just given', (t) => {
    const { engine, events } = routingEngine({ queue: { assignMode: AssignMode.OFFER } });
    t.after(() => engine.close());
    engine.onEvent = (event) => {
        events.push(event);
        if (event.type === 'TICKET_OFFERED') engine.acceptOffer(event.ticketId, event.offerToken);
    };
    engine.submitTicket(5, { queue: 1 });
    assert.deepEqual(types(events), ['TICKET_OFFERED', 'TICKET_ASSIGNED']);
    assert.equal(engine.getTicket(5).state, TicketState.ASSIGNED);
});

test('an exception thrown by the handler is rethrown after the C call, which completed', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    const boom = new Error('boom');
    const seen = [];
    engine.onEvent = (event) => {
        seen.push(event.timerId);
        if (event.timerId === 1n) throw boom;
    };
    engine.setTimer(1, 10);
    engine.setTimer(2, 20);
    assert.equal(thrown(() => engine.advance(100)), boom);
    assert.deepEqual(seen, [1n, 2n]); // later events were still delivered
    assert.equal(engine.now(), 100n); // and the call did its work
    assert.equal(engine.nextDeadline(), Limits.TIME_NEVER);
    engine.setTimer(3, 150);
    engine.advance(200); // nothing left over from the failed delivery
    assert.deepEqual(seen, [1n, 2n, 3n]);
});

test('non-Error values thrown are rethrown as they are', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    engine.onEvent = () => { throw 'a string'; }; // eslint-disable-line no-throw-literal
    engine.setTimer(1, 1);
    assert.equal(thrown(() => engine.advance(1)), 'a string');
});

test('several exceptions in one call: an AggregateError, in delivery order', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    engine.onEvent = (event) => {
        if (event.timerId === 1n) throw new RangeError('first');
        engine.cancelTimer(999); // an UsherError the handler does not catch
    };
    engine.setTimer(1, 1);
    engine.setTimer(2, 2);
    const err = thrown(() => engine.advance(2));
    assert.ok(err instanceof AggregateError);
    assert.equal(err.errors.length, 2);
    assert.equal(err.errors[0].message, 'first');
    assert.ok(err.errors[1] instanceof UsherError);
    assert.equal(err.errors[1].code, Status.ENOTFOUND);
    assert.match(err.message, /usher_advance: 2 errors/);
});

test('a failing nested call throws inside the handler, where it can be caught', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    const caught = [];
    engine.onEvent = () => {
        try {
            engine.timerDue(12345);
        } catch (err) {
            caught.push(err.code);
        }
    };
    engine.setTimer(1, 1);
    engine.advance(1); // does not throw: the handler handled it
    assert.deepEqual(caught, [Status.ENOTFOUND]);
});

test('closing the engine from inside its own handler', () => {
    const { engine } = recordingEngine();
    const seen = [];
    let inside = null;
    engine.onEvent = (event) => {
        seen.push(event.timerId);
        engine.close();
        inside = thrown(() => engine.now());
    };
    engine.setTimer(1, 1);
    engine.setTimer(2, 2);
    engine.advance(5); // returns normally; the engine is freed as it returns
    assert.deepEqual(seen, [1n]); // delivery stopped after the closing callback
    assert.equal(inside.code, Status.ECLOSED);
    assert.equal(engine.closed, true);
    assert.equal(thrown(() => engine.advance(6)).code, Status.ECLOSED);
    assert.deepEqual(state(), { engines: 0, registered: false });
});

test('the scoring hook chooses the agent; it sees BigInt ids and scores', (t) => {
    const { engine, events } = routingEngine({ agents: [7, 8] });
    t.after(() => engine.close());
    const calls = [];
    engine.setScoreHook((ticketId, agentId, score, which) => {
        calls.push([ticketId, agentId, typeof score, which === engine]);
        return agentId === 8n ? score + 1000000000n : score;
    }, 2);
    engine.submitTicket(1, { queue: 1 });
    assert.deepEqual(events.map((e) => [e.type, e.agentId]), [['TICKET_ASSIGNED', 8n]]);
    assert.deepEqual(calls.map((c) => c[1]).sort(), [7n, 8n]);
    assert.ok(calls.every(([ticketId, , scoreType, same]) => ticketId === 1n && scoreType === 'bigint' && same));
    engine.setScoreHook(null);
    engine.submitTicket(2, { queue: 1 });
    assert.equal(calls.length, 2); // removed: not called again
});

test('a scoring hook that throws or returns garbage: the strategy decides, the error is rethrown', (t) => {
    const { engine, events } = routingEngine({ agents: [7, 8, 9] });
    t.after(() => engine.close());
    const boom = new Error('hook failed');
    engine.setScoreHook(() => { throw boom; }, 1);
    assert.equal(thrown(() => engine.submitTicket(1, { queue: 1 })), boom);
    assert.equal(engine.getTicket(1).state, TicketState.ASSIGNED);
    engine.setScoreHook(() => 'high', 2); // called once per candidate: two errors
    const err = thrown(() => engine.submitTicket(2, { queue: 1 }));
    assert.ok(err instanceof AggregateError);
    assert.equal(err.errors.length, 2);
    for (const each of err.errors) {
        assert.ok(each instanceof TypeError);
        assert.match(each.message, /scoring hook result/);
    }
    assert.equal(engine.getTicket(2).state, TicketState.ASSIGNED);
    assert.deepEqual(types(events), ['TICKET_ASSIGNED', 'TICKET_ASSIGNED']);
});

test('calls on the engine from inside the scoring hook fail with ESTATE', (t) => {
    const { engine } = routingEngine({ agents: [7] });
    t.after(() => engine.close());
    const codes = [];
    engine.setScoreHook((ticketId, agentId, score) => {
        try {
            engine.addAgent(99, 1);
        } catch (err) {
            codes.push(err.code);
        }
        return score;
    }, 1);
    engine.submitTicket(1, { queue: 1 });
    assert.deepEqual(codes, [Status.ESTATE]);
    assert.throws(() => engine.getAgent(99), { code: Status.ENOTFOUND });
});

test('closing the engine from inside the scoring hook', () => {
    const { engine, events } = routingEngine({ agents: [7] });
    engine.setScoreHook((ticketId, agentId, score) => {
        engine.close();
        return score;
    }, 1);
    engine.submitTicket(1, { queue: 1 }); // returns; the engine is freed as it does
    assert.equal(engine.closed, true);
    assert.deepEqual(events, []); // no delivery once closing
    assert.equal(thrown(() => engine.getTicket(1)).code, Status.ECLOSED);
    assert.deepEqual(state(), { engines: 0, registered: false });
});
