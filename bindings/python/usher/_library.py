"""Finding and loading libusher, and the C prototype of every function.

Lookup order (the first that applies wins):

1. ``USHER_LIBRARY``: the path of the shared library to load. If it is set
   and cannot be loaded, the import fails (no silent fallback).
2. The checkout this package sits in (``bindings/python/usher`` under a
   directory holding ``include/usher.h``): ``$BUILD/libusher.so`` when the
   ``BUILD`` environment variable names a build directory that holds one
   (relative paths are taken from the checkout's root, as ``make BUILD=...``
   means them), else ``build/libusher.so``.
3. The system loader: ``ctypes.util.find_library("usher")`` (an installed
   ``libusher.so.0``, e.g. after ``make install``).

The library's major version must be the one this binding mirrors.
"""

import ctypes
import ctypes.util
import os
from ctypes import (POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint32, c_uint64,
                    c_void_p)
from pathlib import Path

from . import _structs as S
from .constants import VERSION_MAJOR

# The C callback types (usher_event_fn, usher_score_fn, usher_write_fn).
EVENT_FN = ctypes.CFUNCTYPE(None, c_void_p, POINTER(S.Event))
SCORE_FN = ctypes.CFUNCTYPE(c_int64, c_void_p, c_uint64, c_uint64, c_int64)
WRITE_FN = ctypes.CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t)

_E = c_void_p  # usher_engine * and const usher_engine *: an opaque handle
_ST = c_int32  # usher_status is int32_t
_U32, _U64, _I32 = c_uint32, c_uint64, c_int32
_P = POINTER

# name: (restype, argtypes). size_t is c_size_t; no C enum type appears in
# a signature (enum values travel as int32_t or uint32_t).
PROTOTYPES = {
    "usher_version": (c_char_p, []),
    "usher_version_number": (_U32, []),
    "usher_strerror": (c_char_p, [_ST]),
    "usher_status_name": (c_char_p, [_ST]),
    "usher_config_init": (None, [_P(S.Config)]),
    "usher_engine_new": (_ST, [_P(S.Config), _P(c_void_p)]),
    "usher_engine_free": (None, [_E]),
    "usher_set_event_handler": (_ST, [_E, EVENT_FN, c_void_p]),
    "usher_advance": (_ST, [_E, _U64]),
    "usher_now": (_ST, [_E, _P(_U64)]),
    "usher_next_deadline": (_ST, [_E, _P(_U64)]),
    "usher_timer_set": (_ST, [_E, _U64, _U64]),
    "usher_timer_cancel": (_ST, [_E, _U64]),
    "usher_timer_due": (_ST, [_E, _U64, _P(_U64)]),
    "usher_skill_intern": (_ST, [_E, c_char_p, _P(_U32)]),
    "usher_skill_find": (_ST, [_E, c_char_p, _P(_U32)]),
    "usher_skill_name": (_ST, [_E, _U32, c_char_p, c_size_t]),
    "usher_skill_count": (_ST, [_E, _P(_U32)]),
    "usher_channel_def_init": (None, [_P(S.ChannelDef)]),
    "usher_channel_add": (_ST, [_E, _U32, _P(S.ChannelDef)]),
    "usher_channel_remove": (_ST, [_E, _U32]),
    "usher_channel_get": (_ST, [_E, _U32, _P(S.ChannelDef)]),
    "usher_agent_add": (_ST, [_E, _U64, _U32]),
    "usher_agent_remove": (_ST, [_E, _U64]),
    "usher_agent_set_capacity": (_ST, [_E, _U64, _U32]),
    "usher_agent_set_channel_limit": (_ST, [_E, _U64, _U32, _U32]),
    "usher_agent_set_skill": (_ST, [_E, _U64, _U32, _U32]),
    "usher_agent_drop_skill": (_ST, [_E, _U64, _U32]),
    "usher_agent_set_skills": (_ST, [_E, _U64, _P(S.SkillLevel), c_size_t]),
    "usher_agent_get_skills": (_ST, [_E, _U64, _P(S.SkillLevel), c_size_t, _P(c_size_t)]),
    "usher_agent_set_state": (_ST, [_E, _U64, _I32, _I32]),
    "usher_agent_set_load_cap": (_ST, [_E, _U64, _U32, _U64]),
    "usher_agent_set_cooldown": (_ST, [_E, _U64, _U64]),
    "usher_agent_set_idle_timeout": (_ST, [_E, _U64, _U64]),
    "usher_agent_activity": (_ST, [_E, _U64]),
    "usher_agent_get": (_ST, [_E, _U64, _P(S.AgentInfo)]),
    "usher_agent_get_channel": (_ST, [_E, _U64, _U32, _P(S.AgentChannelInfo)]),
    "usher_agent_next": (_ST, [_E, _P(_U64), _P(_U64)]),
    "usher_agents_new_day": (_ST, [_E]),
    "usher_capacity_reserve": (_ST, [_E, _U64, _U64, _U32]),
    "usher_capacity_release": (_ST, [_E, _U64, _U32]),
    "usher_capacity_holder": (_ST, [_E, _U64, _P(_U64), _P(_U32)]),
    "usher_queue_def_init": (None, [_P(S.QueueDef)]),
    "usher_queue_add": (_ST, [_E, _U32, _P(S.QueueDef)]),
    "usher_queue_remove": (_ST, [_E, _U32]),
    "usher_queue_set_widening": (_ST, [_E, _U32, _P(S.WidenStep), c_size_t]),
    "usher_queue_get_stats": (_ST, [_E, _U32, _P(S.QueueStats)]),
    "usher_queue_reset_stats": (_ST, [_E, _U32]),
    "usher_ticket_spec_init": (None, [_P(S.TicketSpec)]),
    "usher_ticket_submit": (_ST, [_E, _U64, _P(S.TicketSpec)]),
    "usher_ticket_set_priority": (_ST, [_E, _U64, _U32]),
    "usher_ticket_set_tier": (_ST, [_E, _U64, _U32]),
    "usher_ticket_require": (_ST, [_E, _U64, _U32, _U32]),
    "usher_ticket_drop_requirement": (_ST, [_E, _U64, _U32]),
    "usher_ticket_transfer": (_ST, [_E, _U64, _U32]),
    "usher_ticket_cancel": (_ST, [_E, _U64]),
    "usher_ticket_complete": (_ST, [_E, _U64, _U32]),
    "usher_ticket_get": (_ST, [_E, _U64, _P(S.TicketInfo)]),
    "usher_offer_accept": (_ST, [_E, _U64, _U64]),
    "usher_offer_reject": (_ST, [_E, _U64, _U64]),
    "usher_calendar_add": (_ST, [_E, _U32, c_char_p]),
    "usher_calendar_add_tzif": (_ST, [_E, _U32, c_void_p, c_size_t]),
    "usher_calendar_remove": (_ST, [_E, _U32]),
    "usher_calendar_set_hours": (_ST, [_E, _U32, _P(S.OpenHours), c_size_t]),
    "usher_calendar_add_holiday": (_ST, [_E, _U32, _U32, _U32, _U32, _U32, _U32]),
    "usher_calendar_add_business": (_ST, [_E, _U32, _U64, _U64, _P(_U64)]),
    "usher_calendar_business_between": (_ST, [_E, _U32, _U64, _U64, _P(_U64)]),
    "usher_calendar_next_open": (_ST, [_E, _U32, _U64, _P(_U64)]),
    "usher_sla_policy_def_init": (None, [_P(S.SlaPolicyDef)]),
    "usher_sla_policy_add": (_ST, [_E, _U32, _P(S.SlaPolicyDef)]),
    "usher_sla_set_rules": (_ST, [_E, _P(S.SlaRule), c_size_t, _U32]),
    "usher_sla_spec_init": (None, [_P(S.SlaSpec)]),
    "usher_sla_start": (_ST, [_E, _U64, _P(S.SlaSpec)]),
    "usher_sla_update": (_ST, [_E, _U64, _P(S.SlaSpec)]),
    "usher_sla_report": (_ST, [_E, _U64, _U32]),
    "usher_sla_forget": (_ST, [_E, _U64]),
    "usher_sla_get": (_ST, [_E, _U64, _U32, _P(S.SlaTargetInfo)]),
    "usher_sla_policy_stats": (_ST, [_E, _U32, _P(S.SlaStats)]),
    "usher_sla_channel_stats": (_ST, [_E, _U32, _P(S.SlaStats)]),
    "usher_set_score_hook": (_ST, [_E, SCORE_FN, c_void_p, _U32]),
    "usher_explain": (_ST, [_E, _U64, _U64, _P(S.Explanation)]),
    "usher_ticket_candidate": (_ST, [_E, _U64, _P(_U64), _P(c_int64)]),
    "usher_check": (_ST, [_E]),
    "usher_snapshot": (_ST, [_E, c_void_p, c_size_t, _P(c_size_t)]),
    "usher_snapshot_write": (_ST, [_E, WRITE_FN, c_void_p]),
    "usher_restore": (_ST, [_P(S.Config), c_void_p, c_size_t, _P(c_void_p)]),
    "usher_staffing_input_init": (None, [_P(S.StaffingInput)]),
    "usher_staffing_evaluate": (_ST, [_P(S.StaffingInput), _P(S.StaffingResult)]),
    "usher_staffing_agents": (_ST, [_P(S.StaffingInput), c_double, c_double,
                                    _P(S.StaffingResult)]),
}


def _checkout_root():
    """The checkout this package lives in, or None for an installed copy."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "include" / "usher.h").is_file() else None


def candidates():
    """The paths (or loader names) tried in order, as described above."""
    explicit = os.environ.get("USHER_LIBRARY")
    if explicit:
        return [explicit]
    found = []
    root = _checkout_root()
    if root is not None:
        build = os.environ.get("BUILD")
        dirs = ([root / build] if build else []) + [root / "build"]
        found += [str(d / "libusher.so") for d in dirs if (d / "libusher.so").exists()]
    system = ctypes.util.find_library("usher")
    if system:
        found.append(system)
    return found


def _declare(lib):
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def load():
    """Loads the first library that loads and has the expected major
    version; returns (CDLL, path). Raises ImportError with every path
    tried and why it failed."""
    tried = []
    for path in candidates():
        try:
            lib = ctypes.CDLL(path)
            _declare(lib)
        except (OSError, AttributeError) as exc:
            tried.append(f"{path}: {exc}")
            continue
        major = lib.usher_version_number() // 10000
        if major == VERSION_MAJOR:
            return lib, path
        tried.append(f"{path}: version {lib.usher_version().decode()}, "
                     f"this binding needs {VERSION_MAJOR}.x")
        if os.environ.get("USHER_LIBRARY"):
            break
    detail = "; ".join(tried) if tried else "no candidate found"
    raise ImportError(
        f"usher: cannot load libusher ({detail}). Build it with `make` in the "
        "checkout, install it, or set USHER_LIBRARY to the path of libusher.so.")


LIB, PATH = load()
