'use strict';
// The Engine class: lifecycle, the one path every C call takes (closed
// check, re-entrancy depth, errors of callbacks rethrown after the C call),
// event delivery, the scoring hook, the clock and host timers. The other
// parts of the API are added from agents.js, routing.js, calendars.js and
// sla.js.

const { native, defaults } = require('./ffi');
const { UsherError } = require('./errors');
const { attach, detach } = require('./dispatch');
const { decodeEvent } = require('./events');
const { Status } = require('./constants');
const { u32, u64, i64, func, options, big } = require('./convert');

// call(engine, name, ...args): the C call path of an Engine, for the API
// modules of this package (set by Engine's static block; not reachable from
// an Engine object).
let call = null;

// The snapshot Engine.restore() is building an engine from, while its
// constructor runs (null otherwise).
let restoring = null;

// What a C call raised: nothing, one error, or several (callbacks that threw
// during it, then its own status) as an AggregateError.
function raise(func, errors) {
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
        throw new AggregateError(errors,
            `${func}: ${errors.length} errors (event callbacks or the scoring hook threw)`);
}

class Engine {
    #handle = null;
    #key = 0;
    #closed = false;
    #depth = 0; // C calls on this engine in progress (nested from callbacks)
    #pending = []; // what callbacks threw during the outermost call
    #onEvent = null;
    #scoreHook = null;
    #trampolines = null; // the registered C function pointers { event, score }

    /**
     * @param {object} [opts]
     * @param {bigint|number} [opts.seed] seeds everything random (default 0)
     * @param {bigint|number} [opts.startMs] the clock at creation (default 0)
     * @param {function} [opts.onEvent] the event handler, see onEvent
     */
    constructor(opts) {
        const { seed, startMs, onEvent } = options('Engine options', opts, ['seed', 'startMs', 'onEvent']);
        const c = native();
        const config = { ...defaults('usher_config_init') };
        if (seed !== undefined) config.seed = u64('seed', seed);
        if (startMs !== undefined) config.start_ms = u64('startMs', startMs);
        if (onEvent !== undefined) this.onEvent = onEvent;
        const out = [null];
        const create = restoring ? 'usher_restore' : 'usher_engine_new';
        const status = restoring ? c.usher_restore(config, restoring, restoring.length, out)
            : c.usher_engine_new(config, out);
        if (status < 0) throw new UsherError(status, create);
        this.#handle = out[0];
        const { key, trampolines } = attach({
            event: (pointer) => this.#deliver(pointer),
            score: (ticketId, agentId, score) => this.#score(ticketId, agentId, score),
            fail: (err) => this.#pending.push(err),
        });
        this.#key = key;
        this.#trampolines = trampolines;
        const handled = c.usher_set_event_handler(this.#handle, trampolines.event, key);
        if (handled < 0) {
            this.close();
            throw new UsherError(handled, 'usher_set_event_handler');
        }
    }

    /**
     * The function that receives the engine's events, or null (events are
     * then dropped). Called as fn(event, engine) with a frozen plain object
     * (see README.md); it may call the engine again. What it throws is kept
     * and rethrown by the Engine method whose C call delivered the event,
     * after that call returned; events after it are still delivered.
     */
    get onEvent() {
        return this.#onEvent;
    }

    set onEvent(fn) {
        this.#onEvent = fn === null ? null : func('onEvent', fn);
    }

    /**
     * An engine built from a snapshot (usher_restore): `data` the bytes of
     * snapshot() (a Buffer or Uint8Array); opts as for the constructor, but
     * startMs is ignored (the clock is the snapshot's) and seed only seeds
     * the id hash (the random generator continues from the snapshot). The
     * restored engine behaves exactly as the one snapshotted would; it has
     * no scoring hook until one is set. Corrupt data throws an UsherError
     * with code Status.ECORRUPT.
     */
    static restore(data, opts) {
        if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Buffer or Uint8Array');
        restoring = data;
        try {
            return new Engine(opts);
        } finally {
            restoring = null;
        }
    }

    /**
     * Verifies the engine's internal invariants (usher_check): returns
     * undefined when they hold, throws an UsherError with code
     * Status.EINTERNAL (a bug in usher) when one does not. Walks the whole
     * engine: for tests and debug builds.
     */
    check() {
        this.#call('usher_check');
    }

    /**
     * The engine's complete state (usher_snapshot) as a Buffer; the format
     * is docs/SNAPSHOT.md. Neither onEvent nor the scoring hook is part of
     * it. Throws ESTATE from inside a callback.
     */
    snapshot() {
        const size = [0];
        try {
            this.#call('usher_snapshot', null, 0, size); /* the size query: ELIMIT */
        } catch (err) {
            if (!(err instanceof UsherError) || err.code !== Status.ELIMIT) throw err;
        }
        const buf = Buffer.alloc(Number(size[0]));
        this.#call('usher_snapshot', buf, buf.length, size);
        return buf.subarray(0, Number(size[0]));
    }

    /** Whether close() was called. */
    get closed() {
        return this.#closed;
    }

    /**
     * Frees the engine. Idempotent. Every later call throws an UsherError
     * with code Status.ECLOSED. From inside an event callback or the scoring
     * hook it takes effect as usher_engine_free() says: no further events,
     * and the engine is freed when the outermost call returns.
     */
    close() {
        if (this.#closed) return;
        this.#closed = true;
        native().usher_engine_free(this.#handle);
        if (this.#depth === 0) this.#release();
    }

    #release() {
        detach(this.#key);
        this.#handle = null;
        this.#onEvent = null;
        this.#scoreHook = null;
    }

    /**
     * Calls C function `name` with the engine and `args` (already checked).
     * Returns its status when it succeeded; throws an UsherError when it
     * failed, and, once the outermost call has returned, what callbacks
     * threw meanwhile.
     */
    #call(name, ...args) {
        if (this.#closed) throw new UsherError(Status.ECLOSED, name, 'the Engine is closed');
        this.#depth++;
        let status;
        let thrown = null;
        try {
            status = native()[name](this.#handle, ...args);
        } catch (err) {
            thrown = err; // koffi could not convert an argument: a binding bug
        } finally {
            this.#depth--;
        }
        const errors = [];
        if (this.#depth === 0) {
            errors.push(...this.#pending.splice(0));
            if (this.#closed && this.#handle) this.#release();
        }
        if (thrown !== null) errors.push(thrown);
        else if (status < 0) errors.push(new UsherError(status, name));
        raise(name, errors);
        return status;
    }

    static {
        call = (engine, name, ...args) => engine.#call(name, ...args);
    }

    #deliver(pointer) {
        const handler = this.#onEvent;
        if (handler) handler(decodeEvent(pointer), this);
    }

    #score(ticketId, agentId, score) {
        const hook = this.#scoreHook;
        if (!hook) return score;
        return i64('the scoring hook result', hook(big(ticketId), big(agentId), big(score), this));
    }

    // ---- scoring hook ------------------------------------------------------------------

    /**
     * Registers fn(ticketId, agentId, score, engine) -> score (BigInt or safe
     * Number) as the scoring hook, shown `candidates` agents per decision;
     * null removes it. A hook that throws or returns a non-integer counts
     * as returning the score it was given; its error is rethrown after the
     * C call, as for event callbacks.
     */
    setScoreHook(fn, candidates = 1) {
        if (fn === null) {
            this.#call('usher_set_score_hook', null, this.#key, u32('candidates', candidates));
            this.#scoreHook = null;
            return;
        }
        func('fn', fn);
        this.#call('usher_set_score_hook', this.#trampolines.score, this.#key, u32('candidates', candidates));
        this.#scoreHook = fn;
    }

    // ---- clock ------------------------------------------------------------------------

    /** Moves the clock to nowMs and fires every deadline at or before it. */
    advance(nowMs) {
        this.#call('usher_advance', u64('nowMs', nowMs));
    }

    /** The engine's current time (BigInt ms). */
    now() {
        const out = [0];
        this.#call('usher_now', out);
        return big(out[0]);
    }

    /** The earliest pending deadline (BigInt ms), or Limits.TIME_NEVER. */
    nextDeadline() {
        const out = [0];
        this.#call('usher_next_deadline', out);
        return big(out[0]);
    }

    // ---- host timers --------------------------------------------------------------------

    /** Schedules (or moves) host timer timerId to fire at dueMs (a TIMER event). */
    setTimer(timerId, dueMs) {
        this.#call('usher_timer_set', u64('timerId', timerId), u64('dueMs', dueMs));
    }

    cancelTimer(timerId) {
        this.#call('usher_timer_cancel', u64('timerId', timerId));
    }

    /** The due time (BigInt ms) of a scheduled host timer. */
    timerDue(timerId) {
        const out = [0];
        this.#call('usher_timer_due', u64('timerId', timerId), out);
        return big(out[0]);
    }
}

// `using engine = new Engine()` where the runtime has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
    Object.defineProperty(Engine.prototype, Symbol.dispose, {
        value: function dispose() { this.close(); }, writable: true, configurable: true,
    });
}

/** Adds the functions of an API module to Engine.prototype as ordinary methods. */
function mixin(methods) {
    for (const [name, method] of Object.entries(methods))
        Object.defineProperty(Engine.prototype, name, { value: method, writable: true, configurable: true });
}

module.exports = { Engine, call, mixin };
