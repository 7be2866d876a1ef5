"""The Engine class: lifecycle, C calls, callbacks, clock and host timers.

The methods for skills, channels, agents and capacity, for queues,
tickets, offers and explanations, and for calendars and SLA tracking live
in _resources.py, _routing.py and _sla.py (mixins of Engine).
"""

import weakref
from ctypes import (byref, c_size_t, c_uint64, c_void_p, create_string_buffer, memmove, sizeof,
                    string_at)
from functools import partial

from . import _structs as S
from ._convert import i64, to_record, u32, u64
from ._library import EVENT_FN, LIB, SCORE_FN, WRITE_FN
from ._resources import ResourcesMixin
from ._routing import RoutingMixin
from ._sla import SlaMixin
from .constants import MAX_SCORE_CANDIDATES
from .enums import EventType, Status, as_enum
from .errors import EngineClosedError, UsherError, check, status_name
from .records import Event

__all__ = ["Engine"]

_EVENT_TYPE = partial(as_enum, EventType)


class Engine(ResourcesMixin, RoutingMixin, SlaMixin):
    """One usher engine (usher_engine): an independent routing and SLA
    instance. Use it as a context manager, or call close().

    Every method wraps the C function of the same name with the ``usher_``
    prefix (``Engine.advance`` is ``usher_advance``); output parameters
    become return values and a negative status raises UsherError. Every
    argument is checked against its C type first (TypeError, ValueError).

    Callbacks (the event handler and the score hook) run inside the C call
    that delivers them and may call the engine again (the C library says
    which calls are allowed where). An exception they raise cannot cross
    the C code: it is kept, the C call finishes (the following events are
    still delivered), and the exception is raised from the method whose C
    call ran the callback, once that call has returned. If several are
    raised during one call, the first is raised and a note counts the
    others. A score hook that raises, or returns something that is not an
    int64, leaves the candidate's score unchanged.

    close() from inside a callback marks the engine closed at once (every
    later method raises EngineClosedError, events still queued are dropped,
    the hook is not called again) and frees it when the outermost method
    returns, which itself returns normally.

    An engine is not thread-safe: use each from one thread at a time.
    """

    def __init__(self, seed=0, start_ms=0, on_event=None):
        """Creates an engine (usher_engine_new): `seed` for everything
        random and the hash of ids, `start_ms` its clock at creation,
        `on_event` an optional event handler (see set_event_handler)."""
        config = _config(seed, start_ms)
        _check_callable("on_event", on_event)
        self._prepare()
        handle = c_void_p()
        check(LIB.usher_engine_new(byref(config), byref(handle)), "usher_engine_new")
        self._handle = handle.value
        if on_event is not None:
            self.set_event_handler(on_event)

    @classmethod
    def restore(cls, data, seed=0, on_event=None):
        """An engine built from a snapshot (usher_restore): `data` the bytes
        of snapshot() (bytes, bytearray or memoryview), `seed` the seed of
        the new engine's id hash (the random generator continues from the
        snapshot), `on_event` an optional event handler. The restored engine
        behaves exactly as the one snapshotted would; it has no score hook
        until one is set. Corrupt or truncated data raises UsherError with
        Status.ECORRUPT."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes-like, not {type(data).__name__}")
        data = bytes(data)
        config = _config(seed, 0)
        _check_callable("on_event", on_event)
        engine = cls.__new__(cls)
        engine._prepare()
        handle = c_void_p()
        check(LIB.usher_restore(byref(config), data, len(data), byref(handle)), "usher_restore")
        engine._handle = handle.value
        if on_event is not None:
            engine.set_event_handler(on_event)
        return engine

    def _prepare(self):
        """The state of a new wrapper, before its C engine exists."""
        self._handle = None
        self._depth = 0  # how many of this engine's C calls are under way
        self._close_requested = False
        self._error = None  # the first exception a callback raised
        self._error_depth = 0
        self._errors_dropped = 0
        self._handler = None
        self._score_fn = None
        # The C thunks live as long as the engine: C may call them until
        # it is freed. They hold the engine weakly (no reference cycle).
        me = weakref.ref(self)
        self._event_thunk = EVENT_FN(partial(_deliver_event, me))
        self._score_thunk = SCORE_FN(partial(_deliver_score, me))
        self._write_thunk = WRITE_FN(partial(_deliver_write, me))
        self._writer = None

    # ---- lifecycle -----------------------------------------------------------

    @property
    def closed(self):
        """True once close() was called (also from inside a callback)."""
        return self._handle is None or self._close_requested

    def close(self):
        """Frees the engine (usher_engine_free). Calling it again does
        nothing. From inside one of the engine's callbacks it takes effect
        when the outermost method returns (see the class documentation)."""
        if self._handle is None:
            return
        if self._depth > 0:
            self._close_requested = True
            return
        self._free()

    def _free(self):
        handle, self._handle = self._handle, None
        self._close_requested = False
        self._handler = self._score_fn = None
        LIB.usher_engine_free(handle)

    def check(self):
        """Verifies the engine's internal invariants (usher_check): returns
        None when they hold, raises UsherError EINTERNAL (a bug in usher)
        when one does not. Costs a walk over the whole engine: for tests and
        debug builds."""
        self._call(LIB.usher_check)

    # ---- snapshots ---------------------------------------------------------------

    def snapshot(self):
        """The engine's complete state as bytes (usher_snapshot; the format
        is docs/SNAPSHOT.md). Neither the event handler nor the score hook
        is part of it. Raises ESTATE from inside a callback."""
        size = c_size_t(0)
        try:
            self._call(LIB.usher_snapshot, None, 0, byref(size))
        except UsherError as exc:  # the size query: ELIMIT, with the size needed
            if exc.status != Status.ELIMIT:
                raise
        buffer = create_string_buffer(size.value)
        self._call(LIB.usher_snapshot, buffer, size.value, byref(size))
        return buffer.raw[:size.value]

    def snapshot_to(self, write):
        """Streams the same bytes as snapshot() through write(chunk), chunk a
        bytes object of at most 64 KiB, in order (usher_snapshot_write): to
        a file, say, without the whole snapshot in memory. An exception
        write raises stops the snapshot and is raised from here."""
        _check_callable("write", write)
        self._writer = write
        try:
            self._call(LIB.usher_snapshot_write, self._write_thunk, None)
        finally:
            self._writer = None

    def _on_write(self, data, size):
        try:
            self._writer(string_at(data, size))
            return Status.OK
        except BaseException as exc:  # noqa: B902 -- nothing may cross the C frames
            self._keep_error(exc)
            return Status.EINVAL

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) is not None and self._depth == 0:
            self._free()

    def __repr__(self):
        return f"<usher.Engine {'closed' if self.closed else 'open'}>"

    # ---- calls into C ----------------------------------------------------------

    def _call(self, fn, *args):
        """Calls C function fn on this engine with args (already checked);
        raises a callback's exception, then the status's."""
        name = fn.__name__
        if self.closed:
            raise EngineClosedError(function=name)
        self._depth += 1
        level = self._depth
        try:
            status = fn(self._handle, *args)
        finally:
            self._depth -= 1
            if self._depth == 0 and self._close_requested:
                self._free()
        self._raise_kept_error(level, status, name)
        check(status, name)

    def _keep_error(self, exc):
        if self._error is None:
            self._error = exc
            self._error_depth = self._depth
        else:
            self._errors_dropped += 1

    def _raise_kept_error(self, level, status, name):
        """Raises the exception a callback raised during the call at `level`
        (or a deeper one), if any."""
        if self._error is None or self._error_depth < level:
            return
        exc, self._error = self._error, None
        dropped, self._errors_dropped = self._errors_dropped, 0
        if dropped:
            exc.add_note(f"usher: callbacks raised {dropped} more exception(s) during "
                         f"the same {name} call; only the first is raised")
        if status != Status.OK:
            exc.add_note(f"usher: {name} itself failed with {status_name(status)}")
        raise exc

    # ---- callbacks -----------------------------------------------------------

    def set_event_handler(self, handler):
        """Sets the callable that receives each Event (usher_set_event_handler);
        None stops receiving events (they are dropped). Takes effect for the
        next event, also from inside a callback."""
        _check_callable("handler", handler)
        thunk = self._event_thunk if handler is not None else EVENT_FN()  # NULL
        self._call(LIB.usher_set_event_handler, thunk, None)
        self._handler = handler

    def _on_event(self, pointer):
        try:
            if self._handler is None or self._close_requested:
                return
            raw = S.Event()
            size = min(pointer.contents.struct_size, sizeof(S.Event))
            memmove(byref(raw), pointer, size)  # a newer library's larger event
            self._handler(to_record(Event, raw, {"type": _EVENT_TYPE}))
        except BaseException as exc:  # noqa: B902 -- nothing may cross the C frames
            self._keep_error(exc)

    def set_score_hook(self, hook, candidates=MAX_SCORE_CANDIDATES):
        """Registers the scoring hook (usher_set_score_hook): hook(ticket_id,
        agent_id, score) returns the score (an int64) to use for handing the
        ticket to that agent; the highest wins. The first `candidates` (1 ..
        MAX_SCORE_CANDIDATES) eligible agents are shown. None removes it.
        Engine calls from inside the hook fail with ESTATE (close() aside)."""
        _check_callable("hook", hook)
        count = u32("candidates", candidates) if hook is not None else 0
        thunk = self._score_thunk if hook is not None else SCORE_FN()  # NULL
        self._call(LIB.usher_set_score_hook, thunk, None, count)
        self._score_fn = hook

    def _on_score(self, ticket_id, agent_id, score):
        try:
            if self._score_fn is None or self._close_requested:
                return score
            return i64("the score hook's result", self._score_fn(ticket_id, agent_id, score))
        except BaseException as exc:  # noqa: B902 -- nothing may cross the C frames
            self._keep_error(exc)
            return score

    # ---- clock ---------------------------------------------------------------

    def advance(self, now_ms):
        """Moves the clock to now_ms and fires every deadline at or before
        it, in order (usher_advance). An earlier now_ms is the current time."""
        self._call(LIB.usher_advance, u64("now_ms", now_ms))

    def now(self):
        """The engine's current time in ms (usher_now)."""
        out = c_uint64()
        self._call(LIB.usher_now, byref(out))
        return out.value

    def next_deadline(self):
        """The earliest pending deadline, TIME_NEVER if none
        (usher_next_deadline)."""
        out = c_uint64()
        self._call(LIB.usher_next_deadline, byref(out))
        return out.value

    # ---- host timers -----------------------------------------------------------

    def timer_set(self, timer_id, due_ms):
        """Schedules (or moves) host timer timer_id to fire at due_ms: a
        TIMER event (usher_timer_set)."""
        self._call(LIB.usher_timer_set, u64("timer_id", timer_id), u64("due_ms", due_ms))

    def timer_cancel(self, timer_id):
        """Cancels a scheduled host timer (usher_timer_cancel)."""
        self._call(LIB.usher_timer_cancel, u64("timer_id", timer_id))

    def timer_due(self, timer_id):
        """The due time of a scheduled host timer (usher_timer_due)."""
        out = c_uint64()
        self._call(LIB.usher_timer_due, u64("timer_id", timer_id), byref(out))
        return out.value


def _check_callable(name, value):
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")


def _deliver_event(engine_ref, user, pointer):
    engine = engine_ref()
    if engine is not None:
        engine._on_event(pointer)


def _deliver_score(engine_ref, user, ticket_id, agent_id, score):
    engine = engine_ref()
    return score if engine is None else engine._on_score(ticket_id, agent_id, score)


def _deliver_write(engine_ref, user, data, size):
    engine = engine_ref()
    return Status.ECLOSED if engine is None else engine._on_write(data, size)


def _config(seed, start_ms):
    config = S.Config()
    LIB.usher_config_init(byref(config))
    config.seed = u64("seed", seed)
    config.start_ms = u64("start_ms", start_ms)
    return config
