"""The exceptions raised for the negative usher_status codes."""

from ._library import LIB
from .enums import Status, as_enum

__all__ = ["UsherError", "EngineClosedError", "status_name", "strerror"]


def _int32(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"status must be an int, not {type(value).__name__}")
    if not -2**31 <= value < 2**31:
        raise ValueError(f"status must fit in 32 bits, got {value}")
    return value


def status_name(status):
    """The stable symbolic name of a status, e.g. "USHER_ENOMEM"
    (usher_status_name; "USHER_E_UNKNOWN" for unknown values)."""
    return LIB.usher_status_name(_int32(status)).decode()


def strerror(status):
    """A one-line English description of a status (usher_strerror)."""
    return LIB.usher_strerror(_int32(status)).decode()


class UsherError(Exception):
    """A usher function failed.

    Attributes: ``code`` (the negative int the C function returned),
    ``status`` (the Status member, or the int if unknown), ``name`` (the C
    name, e.g. "USHER_ENOTFOUND"), ``message`` (usher_strerror's text) and
    ``function`` (the C function that failed, when known).
    """

    def __init__(self, code, function=None, message=None):
        self.code = int(code)
        self.status = as_enum(Status, self.code)
        self.name = status_name(self.code)
        self.message = message if message is not None else strerror(self.code)
        self.function = function
        where = f"{function}: " if function else ""
        super().__init__(f"{where}{self.message} ({self.name})")

    def __reduce__(self):
        return (type(self), (self.code, self.function, self.message))


class EngineClosedError(UsherError):
    """The engine was closed: by Engine.close() (also from inside one of
    its callbacks) or by leaving its ``with`` block, and cannot be used
    any more. Its status is Status.ECLOSED."""

    def __init__(self, code=Status.ECLOSED, function=None, message="the engine is closed"):
        super().__init__(code, function, message)


def check(status, function):
    """Raises the exception for a failed status; returns None for OK."""
    if status == Status.OK:
        return
    if status == Status.ECLOSED:
        raise EngineClosedError(status, function, None)
    raise UsherError(status, function)
