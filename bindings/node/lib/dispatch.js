'use strict';
// The C-to-JS trampolines. One event trampoline and one score trampoline
// are registered with koffi (koffi.register) while at least one engine is
// open, and unregistered when the last one closes. Each engine passes its
// own small integer key as the C `user` pointer, and the trampolines find
// the engine's sink by that key. An engine is attached from its creation
// until it is closed (after the outermost call on it has returned, when
// closed from inside a callback), so the trampolines stay registered for
// as long as any engine could call them, and a callback never reaches a
// closed engine's JavaScript.
//
// Shared rather than per engine: koffi has a fixed number of
// registered-callback slots (8192), and hosts may run one engine per
// tenant.
//
// A trampoline never lets an exception escape into C: whatever the host's
// function throws is handed to the sink's fail(), and the engine rethrows it
// once the C call that delivered the event has returned (see engine.js).

const koffi = require('koffi');
const { EventFn, ScoreFn } = require('./types');

const sinks = new Map(); // key -> { event(pointer), score(ticket, agent, score), fail(error) }
let nextKey = 1;
let registered = null;

function onEvent(user, pointer) {
    const sink = sinks.get(Number(user));
    if (!sink) return;
    try {
        sink.event(pointer);
    } catch (err) {
        sink.fail(err);
    }
}

function onScore(user, ticketId, agentId, score) {
    const sink = sinks.get(Number(user));
    if (!sink) return score;
    try {
        return sink.score(ticketId, agentId, score);
    } catch (err) {
        sink.fail(err);
        return score; // the strategy's own score: as if no hook had answered
    }
}

/**
 * Attaches a sink. Returns its key (the `user` value to give to C) and the
 * registered C function pointers { event, score }.
 */
function attach(sink) {
    if (!registered) {
        registered = {
            event: koffi.register(onEvent, koffi.pointer(EventFn)),
            score: koffi.register(onScore, koffi.pointer(ScoreFn)),
        };
    }
    const key = nextKey++;
    sinks.set(key, sink);
    return { key, trampolines: registered };
}

/**
 * Detaches a sink: its engine is freed and will never call back. The last
 * one out unregisters the trampolines (no trampoline is running then: an
 * engine closed from inside its own callback is detached only after the
 * outermost C call on it has returned).
 */
function detach(key) {
    sinks.delete(key);
    if (sinks.size === 0 && registered) {
        koffi.unregister(registered.event);
        koffi.unregister(registered.score);
        registered = null;
    }
}

/** { engines: attached sinks, registered: whether the trampolines are registered } (for tests). */
function state() {
    return { engines: sinks.size, registered: registered !== null };
}

module.exports = { attach, detach, state };
