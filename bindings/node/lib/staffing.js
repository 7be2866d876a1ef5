'use strict';
// Staffing (the "Staffing" section of include/usher.h): Erlang C and
// Erlang A figures for planning. Plain functions of numbers, not Engine
// methods: they touch no engine and allocate nothing, so they may be called
// at any time, also from an event handler. docs/STAFFING.md explains the
// models and the numerics.

const { native, defaults } = require('./ffi');
const { UsherError } = require('./errors');
const { Status } = require('./constants');
const { StaffingInput, StaffingResult, toJs, toC, blank } = require('./types');
const { double, options } = require('./convert');

const WHAT = 'staffing';
// The options that describe the queue (usher_staffing_input but agents);
// all but patienceS (default 0: nobody hangs up, Erlang C) are required.
const MODEL = ['arrivalsPerHour', 'handleTimeS', 'answerWithinS', 'patienceS'];
const REQUIRED = ['arrivalsPerHour', 'handleTimeS', 'answerWithinS'];

// usher_staffing_input from the options (agents included when given), each
// checked; missing required options are TypeErrors.
function staffingInput(given, required) {
    for (const key of required)
        if (given[key] === undefined) throw new TypeError(`${WHAT}.${key} is required`);
    return toC(StaffingInput, WHAT, defaults('usher_staffing_input_init'), given);
}

// The frozen result, or the UsherError for the status C returned.
function staffingResult(status, func, out) {
    if (status !== Status.OK) throw new UsherError(status, func);
    return Object.freeze(toJs(StaffingResult, out));
}

/**
 * How `agents` agents perform (usher_staffing_evaluate). opts:
 * { arrivalsPerHour, handleTimeS, answerWithinS, patienceS = 0, agents }.
 * Returns a frozen { agents, trafficErlangs, waitProbability, serviceLevel,
 * answeredServiceLevel, asaS, abandonProbability, occupancy }.
 */
function staffingEvaluate(opts) {
    const given = options(WHAT, opts, [...MODEL, 'agents']);
    const input = staffingInput(given, [...REQUIRED, 'agents']);
    const out = blank(StaffingResult);
    return staffingResult(native().usher_staffing_evaluate(input, out), 'usher_staffing_evaluate', out);
}

/**
 * The smallest team whose service level reaches targetServiceLevel and
 * whose occupancy is at most maxOccupancy (usher_staffing_agents). opts:
 * { arrivalsPerHour, handleTimeS, answerWithinS, patienceS = 0,
 * targetServiceLevel = 0.8, maxOccupancy = 1 }. Returns the frozen figures
 * of that team, as staffingEvaluate() does; its size is `.agents`.
 */
function staffingAgents(opts) {
    const { targetServiceLevel = 0.8, maxOccupancy = 1, ...model } =
        options(WHAT, opts, [...MODEL, 'targetServiceLevel', 'maxOccupancy']);
    const input = staffingInput(model, REQUIRED);
    const target = double(`${WHAT}.targetServiceLevel`, targetServiceLevel);
    const occupancy = double(`${WHAT}.maxOccupancy`, maxOccupancy);
    const out = blank(StaffingResult);
    return staffingResult(native().usher_staffing_agents(input, target, occupancy, out),
        'usher_staffing_agents', out);
}

module.exports = { staffingEvaluate, staffingAgents };
