'use strict';
// Decoding usher_event, also from a library whose usher_event is shorter
// (an older version): the fields it lacks read as zero.

const test = require('node:test');
const assert = require('node:assert/strict');
const koffi = require('koffi');
const { Event } = require('../lib/types');
const { decodeEvent } = require('../lib/events');

function rawEvent(structSize, fields) {
    const buffer = Buffer.alloc(koffi.sizeof(Event));
    koffi.encode(buffer, Event, { struct_size: structSize, type: 12, seq: 3, time_ms: 5, ticket_id: 0, agent_id: 0,
        timer_id: 0, offer_token: 0, value: 0, reason: 0, detail: 0, due_ms: 0, ...fields });
    return buffer;
}

test('a full event: every field, 64-bit ones as BigInt', () => {
    const event = decodeEvent(rawEvent(koffi.sizeof(Event),
        { ticket_id: 2n ** 63n, agent_id: 4, offer_token: 77, value: -5, reason: -1, detail: 9, due_ms: 6 }));
    assert.deepEqual(event, { type: 'TICKET_OFFERED', code: 12, seq: 3n, timeMs: 5n, ticketId: 2n ** 63n, agentId: 4n,
        timerId: 0n, offerToken: 77n, value: -5n, reason: -1, detail: 9, dueMs: 6n });
    assert.ok(Object.isFrozen(event));
});

test('a shorter event: the fields beyond its struct_size are zero', () => {
    const offset = koffi.offsetof(Event, 'value');
    const event = decodeEvent(rawEvent(offset, { offer_token: 77, value: 8, reason: 2, due_ms: 6 }));
    assert.equal(event.offerToken, 77n); // inside
    assert.deepEqual([event.value, event.reason, event.dueMs], [0n, 0, 0n]); // beyond
});

test('an event type this binding does not know', () => {
    const event = decodeEvent(rawEvent(koffi.sizeof(Event), { type: 999 }));
    assert.equal(event.type, 'UNKNOWN');
    assert.equal(event.code, 999);
});
