"""Staffing: Erlang C and Erlang A (the "Staffing" section of usher.h).

Module functions, not Engine methods: they touch no engine, read no
clock and allocate nothing, so any thread may call them at any time.
docs/STAFFING.md explains the models and the numerics.

Every number is checked for its C type first: a value that is not an int
or a float (str, None, bool) raises TypeError; agents must be an int that
fits uint32_t (ValueError otherwise). Which values make sense (positive
rates, a target between 0 and 1, not NaN and not infinite, agents from 1
to STAFFING_MAX_AGENTS, Erlang C below saturation) is decided by the C
library: it answers USHER_EINVAL, raised as UsherError, as for every
other range the library checks itself.
"""

from ctypes import byref

from . import _structs as S
from ._convert import real, to_record, u32
from ._library import LIB
from .errors import check
from .records import StaffingResult

__all__ = ["staffing_evaluate", "staffing_agents"]


def _model(arrivals_per_hour, handle_time_s, answer_within_s, patience_s, agents=0):
    """A usher_staffing_input from the caller's numbers, each checked."""
    model = S.StaffingInput()
    LIB.usher_staffing_input_init(byref(model))
    model.agents = u32("agents", agents)
    model.arrivals_per_hour = real("arrivals_per_hour", arrivals_per_hour)
    model.handle_time_s = real("handle_time_s", handle_time_s)
    model.answer_within_s = real("answer_within_s", answer_within_s)
    model.patience_s = real("patience_s", patience_s)
    return model


def staffing_evaluate(*, arrivals_per_hour, handle_time_s, answer_within_s, patience_s=0,
                      agents):
    """How `agents` agents perform, as a StaffingResult
    (usher_staffing_evaluate).

    arrivals_per_hour: contacts arriving per hour (> 0); handle_time_s: the
    average handle time, talk plus wrap-up (> 0); answer_within_s: the
    service-level threshold (20 for "80/20"); patience_s: the average time
    a waiting caller holds before hanging up, 0 for callers who never do
    (Erlang C, which needs the traffic below the agents), > 0 for Erlang A.
    Raises UsherError (USHER_EINVAL) for values the library refuses.
    """
    model = _model(arrivals_per_hour, handle_time_s, answer_within_s, patience_s, agents)
    out = S.output(S.StaffingResult)
    check(LIB.usher_staffing_evaluate(byref(model), byref(out)), "usher_staffing_evaluate")
    return to_record(StaffingResult, out)


def staffing_agents(*, arrivals_per_hour, handle_time_s, answer_within_s, patience_s=0,
                    target_service_level=0.8, max_occupancy=1.0):
    """The smallest team whose service_level reaches target_service_level
    (strictly between 0 and 1) and whose occupancy is at most
    max_occupancy (in (0, 1]; 1 for no limit), as the StaffingResult of
    that team: its size is ``.agents`` (usher_staffing_agents). The other
    arguments are those of staffing_evaluate(). Raises UsherError:
    USHER_EINVAL for values the library refuses, USHER_ELIMIT if more than
    STAFFING_MAX_AGENTS agents would be needed.
    """
    model = _model(arrivals_per_hour, handle_time_s, answer_within_s, patience_s)
    target = real("target_service_level", target_service_level)
    occupancy = real("max_occupancy", max_occupancy)
    out = S.output(S.StaffingResult)
    check(LIB.usher_staffing_agents(byref(model), target, occupancy, byref(out)),
          "usher_staffing_agents")
    return to_record(StaffingResult, out)
