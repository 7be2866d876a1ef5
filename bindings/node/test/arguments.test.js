'use strict';
// Wrong argument types and out-of-range integers are refused in JavaScript,
// before any C call: TypeError for a wrong type, RangeError for a value the
// C type cannot hold. The engine is unchanged afterwards.

const test = require('node:test');
const assert = require('node:assert/strict');
const { u32, i32, u64, i64, options } = require('../lib/convert');
const { usher, recordingEngine, routingEngine } = require('./helpers');

const { Limits } = usher;
const TWO_64 = 1n << 64n;

test('64-bit ids: BigInt or safe Number, 0 .. 2^64 - 1', () => {
    assert.equal(u64('id', 0), 0n);
    assert.equal(u64('id', Number.MAX_SAFE_INTEGER), 9007199254740991n);
    assert.equal(u64('id', TWO_64 - 1n), TWO_64 - 1n);
    assert.throws(() => u64('id', TWO_64), RangeError);
    assert.throws(() => u64('id', -1), RangeError);
    assert.throws(() => u64('id', -1n), RangeError);
    assert.throws(() => u64('id', 1.5), RangeError);
    assert.throws(() => u64('id', NaN), RangeError);
    assert.throws(() => u64('id', Infinity), RangeError);
    assert.throws(() => u64('id', 2 ** 53), { name: 'RangeError', message: /pass a BigInt/ });
    for (const wrong of ['1', null, undefined, true, {}, [1], Symbol('x')])
        assert.throws(() => u64('id', wrong), TypeError);
});

test('32-bit and signed integers', () => {
    assert.equal(u32('n', 0xffffffff), 0xffffffff);
    assert.equal(u32('n', 5n), 5);
    assert.throws(() => u32('n', 0x100000000), RangeError);
    assert.throws(() => u32('n', -1), RangeError);
    assert.equal(i32('n', -0x80000000), -0x80000000);
    assert.throws(() => i32('n', 0x80000000), RangeError);
    assert.equal(i64('n', -(1n << 63n)), -(1n << 63n));
    assert.throws(() => i64('n', 1n << 63n), RangeError);
});

test('options objects: unknown keys and non-objects are TypeErrors', () => {
    assert.deepEqual(options('o', undefined, ['a']), {});
    assert.throws(() => options('o', { b: 1 }, ['a']), { name: 'TypeError', message: /unknown option "b"/ });
    assert.throws(() => options('o', [1], ['a']), TypeError);
    assert.throws(() => options('o', 'a', ['a']), TypeError);
});

test('engine methods check their arguments before calling C', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    assert.throws(() => engine.setTimer('1', 5), TypeError);
    assert.throws(() => engine.setTimer(1.5, 5), RangeError);
    assert.throws(() => engine.setTimer(-1, 5), RangeError);
    assert.throws(() => engine.setTimer(TWO_64, 5), RangeError);
    assert.throws(() => engine.setTimer(1, TWO_64 + 5n), RangeError);
    assert.throws(() => engine.advance('100'), TypeError);
    assert.throws(() => engine.addAgent(1n, 2 ** 32), RangeError);
    assert.throws(() => engine.addAgent(1n, '3'), TypeError);
    assert.throws(() => engine.internSkill(42), TypeError);
    assert.throws(() => engine.setAgentState(1, 'available'), TypeError);
    assert.throws(() => engine.addQueue(1, { stratgy: 2 }), { name: 'TypeError', message: /stratgy/ });
    assert.throws(() => engine.addQueue(1, { tierWeight: new Array(9).fill(1) }), RangeError);
    assert.throws(() => engine.addCalendarTzif(1, 'not bytes'), TypeError);
    assert.throws(() => engine.setCalendarHours(1, { weekday: 1 }), TypeError);
    assert.throws(() => engine.setSlaRules([{ channel: 0 }]), { name: 'TypeError', message: /policy is required/ });
    assert.throws(() => engine.addSlaPolicy(1, { targets: { firstResponse: { ms: 1, business: 'yes' } } }), TypeError);
    assert.throws(() => engine.addSlaPolicy(1, { targets: { resolution: 1 }, warnings: [1, 2, 3, 4, 5] }), RangeError);
    assert.throws(() => engine.setScoreHook('not a function'), TypeError);
    assert.throws(() => { engine.onEvent = 42; }, TypeError);
    // Nothing reached the engine: no timer, no agent, no queue, the clock at 0.
    assert.equal(engine.nextDeadline(), Limits.TIME_NEVER);
    assert.deepEqual([...engine.agents()], []);
    assert.equal(engine.skillCount(), 0);
    assert.equal(engine.now(), 0n);
    assert.throws(() => engine.getQueueStats(1), { code: usher.Status.ENOTFOUND });
    assert.deepEqual(events, []);
});

test('ticket specs: skill lists, field types and unknown fields', (t) => {
    const { engine } = routingEngine({ agents: [] });
    t.after(() => engine.close());
    assert.throws(() => engine.submitTicket(1, { queue: 1, required: { skill: 0, level: 1 } }), TypeError);
    assert.throws(() => engine.submitTicket(1, { queue: 1, required: [{ skill: 0, level: -1 }] }), RangeError);
    assert.throws(() => engine.submitTicket(1, { queue: 1, preferred: [{ skill: 0, level: 1 }] }),
        { name: 'TypeError', message: /unknown option "level"/ });
    assert.throws(() => engine.submitTicket(1, { queue: 1, customerId: 0.5 }), RangeError);
    assert.throws(() => engine.submitTicket(1, { queue: 1, requiredCount: 1 }), TypeError);
    assert.throws(() => engine.submitTicket(1, { queue: 1, reserved: 0 }), { name: 'TypeError', message: /unknown option "reserved"/ });
    assert.throws(() => engine.getTicket(1), { code: usher.Status.ENOTFOUND });
});

test('a range the C type holds but the library refuses is an UsherError (EINVAL)', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    // TIME_MAX + 1 fits uint64_t: the library answers USHER_EINVAL.
    assert.throws(() => engine.advance(Limits.TIME_MAX + 1n),
        { name: 'UsherError', code: usher.Status.EINVAL, status: 'USHER_EINVAL' });
    assert.throws(() => engine.addAgent(1, 0), { code: usher.Status.EINVAL });
});
