'use strict';
// The usher_event the library passes to the callback, copied into a frozen
// plain object (the C pointer is valid during the callback only).

const koffi = require('koffi');
const { Event, toJs } = require('./types');
const { EventType, nameOf } = require('./constants');

const EVENT_SIZE = koffi.sizeof(Event);

// A library older than this binding may pass a shorter usher_event: read
// only its struct_size bytes and leave the fields it lacks zero, as the
// header promises for fields that do not apply.
function readEvent(pointer) {
    const size = koffi.decode(pointer, 'uint32_t');
    if (size >= EVENT_SIZE) return koffi.decode(pointer, Event);
    const copy = Buffer.alloc(EVENT_SIZE);
    copy.set(koffi.decode(pointer, 'uint8_t', size));
    return koffi.decode(copy, Event);
}

/**
 * { type: 'TICKET_ASSIGNED', code: 7, seq, timeMs, ticketId, agentId,
 *   timerId, offerToken, value, reason, detail, dueMs }: 64-bit fields are
 * BigInts, reason and detail Numbers; a type this binding does not know
 * (a newer library) is named 'UNKNOWN', its number still in `code`.
 */
function decodeEvent(pointer) {
    const { type, ...fields } = toJs(Event, readEvent(pointer));
    return Object.freeze({ type: nameOf(EventType, type) ?? 'UNKNOWN', code: type, ...fields });
}

module.exports = { decodeEvent };
