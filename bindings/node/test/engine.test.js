'use strict';
// Engine lifecycle, the clock, host timers, events and errors.

const test = require('node:test');
const assert = require('node:assert/strict');
const { state } = require('../lib/dispatch');
const { usher, recordingEngine, types, thrown } = require('./helpers');

const { Engine, UsherError, Status, Limits } = usher;

test('library functions: version, status names and descriptions', () => {
    assert.match(usher.version(), /^\d+\.\d+\.\d+$/);
    const [major, minor, patch] = usher.version().split('.').map(Number);
    assert.equal(usher.versionNumber(), major * 10000 + minor * 100 + patch);
    assert.equal(usher.statusName(Status.ENOTFOUND), 'USHER_ENOTFOUND');
    assert.equal(usher.statusName(-1000), 'USHER_E_UNKNOWN');
    assert.equal(usher.strerror(Status.ENOMEM), 'out of memory');
    assert.throws(() => usher.strerror('ENOMEM'), TypeError);
});

test('check(): the invariants hold on a working engine; a closed one throws', () => {
    const engine = new Engine();
    engine.check();
    engine.addChannel(0);
    engine.addQueue(1);
    engine.addAgent(7, 2);
    engine.setAgentState(7, usher.AgentState.AVAILABLE);
    for (const id of [100, 101, 102]) engine.submitTicket(id, { queue: 1, channel: 0 });
    engine.advance(60000);
    assert.equal(engine.check(), undefined);
    assert.equal(usher.statusName(Status.EINTERNAL), 'USHER_EINTERNAL');
    engine.close();
    assert.throws(() => engine.check(), { code: Status.ECLOSED });
});

test('options: seed and start time; unknown options refused', (t) => {
    const engine = new Engine({ seed: 42n, startMs: 5000 });
    t.after(() => engine.close());
    assert.equal(engine.now(), 5000n);
    assert.throws(() => new Engine({ sead: 1 }), TypeError);
    assert.throws(() => new Engine({ startMs: Limits.TIME_MAX + 1n }), { code: Status.EINVAL });
});

test('the clock and host timers, as examples/hello.c', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    assert.equal(engine.nextDeadline(), Limits.TIME_NEVER);
    engine.setTimer(2, 90000);
    engine.setTimer(1n, 30000n);
    assert.equal(engine.nextDeadline(), 30000n);
    assert.equal(engine.timerDue(2), 90000n);
    engine.advance(120000);
    assert.equal(engine.now(), 120000n);
    assert.deepEqual(events.map((e) => [e.type, e.seq, e.timerId, e.timeMs]),
        [['TIMER', 1n, 1n, 30000n], ['TIMER', 2n, 2n, 90000n]]);
    assert.equal(engine.nextDeadline(), Limits.TIME_NEVER);
    engine.advance(1000); // earlier: treated as now
    assert.equal(engine.now(), 120000n);
});

test('ids beyond 2^53 and up to 2^64 - 1 travel exactly', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    const ids = [(1n << 53n) + 1n, (1n << 64n) - 1n];
    ids.forEach((id, i) => engine.setTimer(id, 10 + i));
    engine.cancelTimer(ids[0]);
    assert.throws(() => engine.timerDue(ids[0]), { code: Status.ENOTFOUND });
    engine.advance(100);
    assert.deepEqual(events.map((e) => e.timerId), [ids[1]]);
});

test('events are frozen plain objects with a type name and every field', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    engine.setTimer(9, 1);
    engine.advance(1);
    const [event] = events;
    assert.ok(Object.isFrozen(event));
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.deepEqual(event, {
        type: 'TIMER', code: usher.EventType.TIMER, seq: 1n, timeMs: 1n, ticketId: 0n, agentId: 0n,
        timerId: 9n, offerToken: 0n, value: 0n, reason: 0, detail: 0, dueMs: 0n,
    });
});

test('onEvent can be replaced or removed; the handler gets the engine too', (t) => {
    const engine = new Engine();
    t.after(() => engine.close());
    engine.setTimer(1, 1);
    engine.setTimer(2, 2);
    engine.advance(1); // no handler: dropped
    const seen = [];
    engine.onEvent = (event, which) => seen.push([event.timerId, which === engine]);
    engine.advance(2);
    assert.deepEqual(seen, [[2n, true]]);
    engine.onEvent = null;
    assert.equal(engine.onEvent, null);
});

test('a failed call throws an UsherError with the status and its name', (t) => {
    const engine = new Engine();
    t.after(() => engine.close());
    const err = thrown(() => engine.cancelTimer(77));
    assert.ok(err instanceof UsherError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'UsherError');
    assert.equal(err.code, Status.ENOTFOUND);
    assert.equal(err.status, 'USHER_ENOTFOUND');
    assert.equal(err.function, 'usher_timer_cancel');
    assert.equal(err.message, `usher_timer_cancel: ${usher.strerror(Status.ENOTFOUND)} (USHER_ENOTFOUND)`);
});

test('a closed engine throws ECLOSED on every use, and close() is idempotent', () => {
    const { engine } = recordingEngine();
    engine.addAgent(1, 1);
    assert.equal(engine.closed, false);
    engine.close();
    engine.close();
    assert.equal(engine.closed, true);
    const uses = [
        () => engine.now(), () => engine.advance(1), () => engine.setTimer(1, 1), () => engine.addAgent(2, 1),
        () => engine.getAgent(1), () => [...engine.agents()], () => engine.internSkill('x'),
        () => engine.submitTicket(1, {}), () => engine.addSlaPolicy(1, { targets: { resolution: 1 } }),
        () => engine.nextOpen(0, 0), () => engine.setScoreHook(null),
    ];
    for (const use of uses) {
        const err = thrown(use);
        assert.ok(err instanceof UsherError, String(use));
        assert.equal(err.code, Status.ECLOSED);
        assert.match(err.message, /the Engine is closed \(USHER_ECLOSED\)$/);
    }
});

test('Symbol.dispose closes the engine', () => {
    const engine = new Engine();
    engine[Symbol.dispose]();
    assert.equal(engine.closed, true);
});

test('closing the last engine unregisters the trampolines', () => {
    // The tests above closed theirs (t.after runs when each test ends).
    assert.deepEqual(state(), { engines: 0, registered: false });
    const engines = Array.from({ length: 3 }, () => new Engine());
    assert.deepEqual(state(), { engines: 3, registered: true });
    engines.slice(0, 2).forEach((engine) => engine.close());
    assert.deepEqual(state(), { engines: 1, registered: true });
    engines[2].close();
    assert.deepEqual(state(), { engines: 0, registered: false });
    // and a new engine registers them again
    const { engine, events } = recordingEngine();
    engine.setTimer(1, 1);
    engine.advance(1);
    assert.deepEqual(types(events), ['TIMER']);
    engine.close();
});

test('many engines at once: each gets its own events', () => {
    const engines = Array.from({ length: 50 }, (_, i) => recordingEngine({ startMs: i }));
    engines.forEach(({ engine }, i) => engine.setTimer(i, 1000));
    engines.forEach(({ engine }) => engine.advance(1000));
    engines.forEach(({ engine, events }, i) => {
        assert.deepEqual(types(events), ['TIMER']);
        assert.equal(events[0].timerId, BigInt(i));
        engine.close();
    });
});
