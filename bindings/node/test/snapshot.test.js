'use strict';
// Snapshots: Engine.prototype.snapshot() and Engine.restore().

const test = require('node:test');
const assert = require('node:assert/strict');
const { usher, routingEngine } = require('./helpers');

const { Engine, Status, TicketState } = usher;

test('a restored engine goes on exactly as the original, and snapshots back to the same bytes', (t) => {
    const { engine, events } = routingEngine({ agents: [7] });
    t.after(() => engine.close());
    engine.addChannel(1, { cost: 1, wrapupMs: 2000 });
    engine.submitTicket(1, { queue: 1 });
    engine.submitTicket(2, { queue: 1 });
    engine.setTimer(9, 4000);
    const data = engine.snapshot();
    assert.ok(Buffer.isBuffer(data));
    const copied = [];
    const copy = Engine.restore(data, { seed: 5n, onEvent: (event) => copied.push(event) });
    t.after(() => copy.close());
    assert.deepEqual(copy.snapshot(), data);
    events.length = 0;
    for (const e of [engine, copy]) {
        e.completeTicket(1);
        e.advance(10000);
    }
    assert.deepEqual(copied, events);
    assert.equal(copy.getTicket(2).state, TicketState.ASSIGNED);
});

test('corrupt or truncated data is refused with ECORRUPT', (t) => {
    const { engine } = routingEngine();
    t.after(() => engine.close());
    const data = engine.snapshot();
    assert.throws(() => Engine.restore(data.subarray(0, data.length - 1)), { code: Status.ECORRUPT });
    const flipped = Buffer.from(data);
    flipped[30] ^= 1;
    assert.throws(() => Engine.restore(flipped), { code: Status.ECORRUPT });
    assert.throws(() => Engine.restore('not bytes'), TypeError);
});

test('snapshot() from inside an event callback throws ESTATE', (t) => {
    const { engine } = routingEngine();
    t.after(() => engine.close());
    const codes = [];
    engine.onEvent = () => {
        try {
            engine.snapshot();
        } catch (err) {
            codes.push(err.code);
        }
    };
    engine.submitTicket(1, { queue: 1 });
    assert.ok(codes.length > 0);
    assert.ok(codes.every((code) => code === Status.ESTATE));
});
