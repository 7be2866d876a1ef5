"""usher: ticket routing and SLA tracking, the Python binding of libusher.

This package calls the C library through ctypes (standard library only).
Every C function of include/usher.h has a counterpart: usher_version() is
usher.version(), usher_advance(engine, t) is Engine.advance(t), and so on
(include/usher.h stays the manual for what each one does)::

    import usher

    with usher.Engine() as engine:
        engine.set_event_handler(print)
        engine.timer_set(42, 30 * 60 * 1000)
        engine.advance(3600000)  # prints Event(type=<EventType.TIMER: 1>, ...)

Finding the library (first match wins): the USHER_LIBRARY environment
variable (a path; if it does not load, the import fails); in a checkout,
``$BUILD/libusher.so`` (BUILD as given to make, relative to the checkout)
and then ``build/libusher.so``; then the system loader
(ctypes.util.find_library("usher")). usher.LIBRARY_PATH says which was
loaded. The library's major version must match this binding's.

Behaviour of the binding:

* Errors: a negative usher_status raises UsherError with ``code``,
  ``status`` (a Status), ``name`` (usher_status_name, e.g.
  "USHER_ENOTFOUND"), ``message`` (usher_strerror) and ``function``.
* Arguments are checked against their C types before any C call: a value
  that is not an int (str, float, bool, None; a C double also takes a
  float) raises TypeError, an int
  that does not fit the C type (a negative id for uint64_t, 2**64, a
  reason beyond int32_t) raises ValueError, an unknown keyword option
  raises TypeError. Text is str (UTF-8) or bytes without NUL characters.
  Ranges the C library itself checks (a level of 11, an unknown channel)
  are left to it and raise UsherError (EINVAL, ENOTFOUND, ...).
* A closed engine (close(), the end of its ``with`` block) raises
  EngineClosedError (an UsherError whose name is "USHER_ECLOSED") from
  every method; close() again does nothing.
* Events arrive as frozen Event dataclasses whose ``type`` is an EventType.
  The handler and the score hook may call the engine again (e.g. complete
  a ticket from its TICKET_ASSIGNED event).
* An exception raised inside a callback never crosses the C code: it is
  kept, the C call completes (later events are still delivered), and it is
  raised from the Engine method whose C call ran the callback, after that
  call returned (the first one if several; a note counts the others). A
  score hook that raises leaves the candidate's score as the strategy gave.
* close() from inside a callback: the engine counts as closed at once
  (every later call raises EngineClosedError, events still queued are
  dropped, the hook is not called again) and is freed when the outermost
  Engine method returns; that method returns normally.
* The C callbacks (ctypes thunks) live as long as the engine object, so
  they cannot be garbage-collected while the C library may call them. An
  engine that is garbage-collected unclosed is freed.
* An engine is not thread-safe; different engines may be used from
  different threads.
* Staffing (Erlang C / Erlang A) needs no engine: usher.staffing_evaluate()
  and usher.staffing_agents() take keyword arguments and return a frozen
  StaffingResult. Their numbers are int or float (TypeError otherwise);
  NaN, infinities and out-of-range values reach the C library, which
  refuses them with USHER_EINVAL (UsherError).
* Not exposed: usher_config.allocator (a host allocator in Python would
  run the interpreter on every allocation); the C library's malloc is used.
"""

from ._library import LIB as _LIB
from ._library import PATH as LIBRARY_PATH
from .constants import *  # noqa: F401,F403 -- the C macros, by design
from .constants import __all__ as _constants
from .engine import Engine
from .enums import *  # noqa: F401,F403
from .enums import __all__ as _enums
from .errors import EngineClosedError, UsherError, status_name, strerror
from .records import *  # noqa: F401,F403
from .records import __all__ as _records
from .staffing import staffing_agents, staffing_evaluate


def version():
    """The version of the loaded library, e.g. "0.1.0" (usher_version)."""
    return _LIB.usher_version().decode()


def version_number():
    """The loaded library's MAJOR * 10000 + MINOR * 100 + PATCH
    (usher_version_number); compare with VERSION_NUMBER."""
    return _LIB.usher_version_number()


__all__ = ["Engine", "UsherError", "EngineClosedError", "status_name", "strerror",
           "version", "version_number", "staffing_evaluate", "staffing_agents", "LIBRARY_PATH",
           *_constants, *_enums, *_records]
