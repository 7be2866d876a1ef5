"""Argument checks and conversions between Python values and C structures.

ctypes converts silently: -1 becomes 2**64 - 1 in a uint64_t, 2**70 is
truncated, 1.5 may be refused or not depending on the type. So every
value is checked here against its exact C type before any C call:
TypeError for a value that is not an integer (bool, float and str
included), ValueError for one outside the C type's range. A C double
(staffing only) takes any real number but a bool.
"""

import numbers
import operator
from collections.abc import Mapping
from ctypes import Array, c_int32, c_int64, c_uint32, c_uint64, sizeof

from . import _structs as S

_RANGES = {
    c_uint32: (0, 2**32 - 1),
    c_uint64: (0, 2**64 - 1),
    c_int32: (-2**31, 2**31 - 1),
    c_int64: (-2**63, 2**63 - 1),
}


def integer(name, value, ctype):
    """value as a Python int that fits ctype, or TypeError / ValueError."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    low, high = _RANGES[ctype]
    if not low <= number <= high:
        bits = sizeof(ctype) * 8
        kind = "an unsigned" if low == 0 else "a signed"
        raise ValueError(f"{name} must fit {kind} {bits}-bit integer "
                         f"({low} .. {high}), got {number}")
    return number


def u32(name, value):
    return integer(name, value, c_uint32)


def u64(name, value):
    return integer(name, value, c_uint64)


def i32(name, value):
    return integer(name, value, c_int32)


def i64(name, value):
    return integer(name, value, c_int64)


def real(name, value):
    """value as a Python float for a C double: an int or float (any
    numbers.Real), not a bool; TypeError otherwise, ValueError for an int
    too large for a double. NaN and infinities pass unchanged: they are
    doubles, and the C functions that take doubles refuse them
    themselves (USHER_EINVAL)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float), "
                        f"not {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is too large for a C double, got {value}") from None


def text(name, value):
    """A str (encoded as UTF-8) or bytes, as NUL-terminated C text."""
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError(f"{name} must be a str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError(f"{name} must not contain a NUL character")
    return data


def blob(name, value):
    """Any bytes-like object (bytes, bytearray, memoryview, ...), as bytes."""
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, not {type(value).__name__}") from None


def fill(struct, options, function, allowed):
    """Sets the fields of struct named in options (a dict of keyword
    arguments), each checked against its C type. allowed: the field names
    the caller may set; any other key is a TypeError, as for an unknown
    keyword argument."""
    types = dict(struct._fields_)
    for key, value in options.items():
        if key not in allowed:
            raise TypeError(f"{function}() got an unexpected keyword argument '{key}'")
        ctype = types[key]
        if issubclass(ctype, Array):
            setattr(struct, key, _array(key, value, ctype))
        else:
            setattr(struct, key, integer(key, value, ctype))


def _array(name, value, array_type):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a sequence of ints, not {type(value).__name__}")
    items = [integer(f"{name}[{i}]", v, array_type._type_) for i, v in enumerate(value)]
    if len(items) > array_type._length_:
        raise ValueError(f"{name} holds at most {array_type._length_} values, got {len(items)}")
    return array_type(*items)


def settable_fields(struct_class):
    """The fields a host sets in an input structure: all but struct_size and
    the reserved ones."""
    return frozenset(name for name, _ in struct_class._fields_
                     if name != "struct_size" and not name.startswith("reserved"))


def pairs(name, value):
    """(skill, level) pairs from a mapping {skill: level} or an iterable of
    pairs (SkillLevel tuples included)."""
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a mapping or an iterable of pairs, "
                        f"not {type(value).__name__}")
    else:
        items = []
        for item in value:
            if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 2:
                raise TypeError(f"each item of {name} must be a (skill, level) pair, not {item!r}")
            items.append(tuple(item))
    return [(u32(f"{name} skill", skill), u32(f"{name} level", level)) for skill, level in items]


def skill_array(name, value):
    """A C array of usher_skill_level from pairs(); None when empty."""
    items = pairs(name, value)
    if not items:
        return None, 0
    array = (S.SkillLevel * len(items))(*[S.SkillLevel(s, lv) for s, lv in items])
    return array, len(items)


def struct_array(name, items, struct_class, record_class):
    """A C array of struct_class from a sequence of record_class (or plain
    tuples / mappings with the same fields, checked); None when empty."""
    if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{name} must be a sequence of {record_class.__name__}, "
                        f"not {type(items).__name__}")
    structs = []
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            record = record_class(**item)
        elif isinstance(item, tuple):
            record = record_class(*item)
        else:
            raise TypeError(f"{name}[{i}] must be a {record_class.__name__} or a tuple, "
                            f"not {type(item).__name__}")
        struct = struct_class()
        fill(struct, record._asdict(), name, settable_fields(struct_class))
        structs.append(struct)
    if not structs:
        return None, 0
    return (struct_class * len(structs))(*structs), len(structs)


def to_record(record_class, struct, convert=None):
    """A frozen record of record_class from an output structure: every field
    of the record is read from the structure's field of the same name
    (arrays as tuples); convert maps a field name to a function applied to
    its value (an enum class, typically)."""
    convert = convert or {}
    values = {}
    for field in record_class.__dataclass_fields__:
        value = getattr(struct, field)
        if isinstance(value, Array):
            value = tuple(value)
        if field in convert:
            value = convert[field](value)
        values[field] = value
    return record_class(**values)
