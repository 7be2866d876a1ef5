'use strict';
// usher.staffingEvaluate and usher.staffingAgents: Erlang C and Erlang A
// figures from the C library (checked against published examples in
// tests/test_staffing.c), argument checks, errors, and the README example.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { usher, thrown } = require('./helpers');

const { staffingEvaluate, staffingAgents, Status, Limits } = usher;

// 240 calls an hour, 4 minutes of handling each, answered within 20 s.
const CALLS = Object.freeze({ arrivalsPerHour: 240, handleTimeS: 240, answerWithinS: 20 });

const near = (actual, expected, tolerance, what) =>
    assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

test('Erlang C: the smallest team for 80 % within 20 s', () => {
    const team = staffingAgents({ ...CALLS, targetServiceLevel: 0.8 });
    assert.equal(team.agents, 20);
    near(team.trafficErlangs, 16, 1e-12, 'traffic');
    near(team.serviceLevel, 0.81651, 5e-6, 'service level');
    near(team.asaS, 15.3647, 5e-5, 'ASA');
    near(team.occupancy, 0.8, 1e-12, 'occupancy');
    assert.equal(team.abandonProbability, 0);
    assert.equal(team.answeredServiceLevel, team.serviceLevel);
    assert.ok(staffingEvaluate({ ...CALLS, agents: 19 }).serviceLevel < 0.8, '19 agents would do');
    assert.deepEqual(Object.keys(team), ['agents', 'trafficErlangs', 'waitProbability', 'serviceLevel',
        'answeredServiceLevel', 'asaS', 'abandonProbability', 'occupancy']);
});

test('the defaults are 80 % and no occupancy limit, Erlang C', () => {
    assert.deepEqual(staffingAgents(CALLS),
        staffingAgents({ ...CALLS, patienceS: 0, targetServiceLevel: 0.8, maxOccupancy: 1 }));
});

test('Erlang A: callers who hang up after 2 minutes need fewer agents', () => {
    const team = staffingAgents({ ...CALLS, patienceS: 120 });
    assert.equal(team.agents, 18);
    near(team.serviceLevel, 0.8175, 5e-5, 'service level');
    near(team.abandonProbability, 0.0636, 5e-5, 'abandonment');
    assert.ok(team.answeredServiceLevel > team.serviceLevel);
    near(team.occupancy, 16 * (1 - team.abandonProbability) / 18, 1e-12, 'occupancy of answered traffic');
});

test('a maximum occupancy adds agents', () => {
    const team = staffingAgents({ ...CALLS, maxOccupancy: 0.75 });
    assert.equal(team.agents, 22); // 16 Erlangs / 22 agents = 0.727
    assert.ok(team.occupancy <= 0.75);
});

test('the Call Centre Helper example: 200 calls an hour, 180 s, 11 agents', () => {
    const team = staffingEvaluate({ arrivalsPerHour: 200, handleTimeS: 180, answerWithinS: 20, agents: 11 });
    assert.equal(team.agents, 11);
    near(team.trafficErlangs, 10, 1e-12, 'traffic');
    near(team.waitProbability, 0.6821, 5e-5, 'probability of waiting');
    // Erlang C: SL = 1 - C e^(-(c - A) t / h), ASA = C h / (c - A).
    near(team.serviceLevel, 1 - team.waitProbability * Math.exp(-20 / 180), 1e-12, 'service level');
    near(team.asaS, team.waitProbability * 180, 1e-9, 'ASA');
});

test('the largest team, agents as a BigInt', () => {
    const team = staffingEvaluate({ arrivalsPerHour: 360000, handleTimeS: 900, answerWithinS: 20,
        agents: BigInt(Limits.STAFFING_MAX_AGENTS) });
    assert.equal(team.agents, Limits.STAFFING_MAX_AGENTS);
    near(team.occupancy, 0.9, 1e-12, 'occupancy');
});

test('results are frozen', () => {
    const team = staffingEvaluate({ ...CALLS, agents: 20 });
    assert.ok(Object.isFrozen(team));
    assert.throws(() => { team.agents = 5; }, TypeError); // strict mode
});

test('more agents than STAFFING_MAX_AGENTS is USHER_ELIMIT', () => {
    // 3,000,000 calls an hour of 240 s: 200,000 Erlangs.
    const err = thrown(() => staffingAgents({ arrivalsPerHour: 3e6, handleTimeS: 240, answerWithinS: 20 }));
    assert.ok(err instanceof usher.UsherError);
    assert.equal(err.code, Status.ELIMIT);
    assert.equal(err.status, 'USHER_ELIMIT');
    assert.equal(err.function, 'usher_staffing_agents');
});

test('values the library refuses (NaN and infinities included) are USHER_EINVAL', () => {
    const evaluate = [
        { ...CALLS, agents: 0 },
        { ...CALLS, agents: Limits.STAFFING_MAX_AGENTS + 1 },
        { ...CALLS, agents: 16 }, // Erlang C at saturation (16 Erlangs)
        { ...CALLS, agents: 20, arrivalsPerHour: 0 },
        { ...CALLS, agents: 20, handleTimeS: -240 },
        { ...CALLS, agents: 20, answerWithinS: -1 },
        { ...CALLS, agents: 20, patienceS: -1 },
        { ...CALLS, agents: 20, arrivalsPerHour: NaN },
        { ...CALLS, agents: 20, handleTimeS: Infinity },
        { ...CALLS, agents: 20, patienceS: NaN },
    ];
    for (const opts of evaluate)
        assert.throws(() => staffingEvaluate(opts),
            { name: 'UsherError', status: 'USHER_EINVAL', code: Status.EINVAL, function: 'usher_staffing_evaluate' },
            JSON.stringify(opts));
    const agents = [
        { ...CALLS, targetServiceLevel: 1 },
        { ...CALLS, targetServiceLevel: 0 },
        { ...CALLS, targetServiceLevel: NaN },
        { ...CALLS, maxOccupancy: 0 },
        { ...CALLS, maxOccupancy: 1.5 },
        { ...CALLS, maxOccupancy: NaN },
        { ...CALLS, answerWithinS: -Infinity },
    ];
    for (const opts of agents)
        assert.throws(() => staffingAgents(opts),
            { name: 'UsherError', status: 'USHER_EINVAL', function: 'usher_staffing_agents' }, JSON.stringify(opts));
});

test('wrong types are TypeErrors, agents outside uint32_t RangeErrors, before any C call', () => {
    for (const wrong of ['240', null, true, 240n, [240], {}]) {
        assert.throws(() => staffingEvaluate({ ...CALLS, arrivalsPerHour: wrong, agents: 20 }), TypeError);
        assert.throws(() => staffingAgents({ ...CALLS, patienceS: wrong }), TypeError);
        assert.throws(() => staffingAgents({ ...CALLS, targetServiceLevel: wrong }), TypeError);
    }
    for (const wrong of ['20', null, true, [20]])
        assert.throws(() => staffingEvaluate({ ...CALLS, agents: wrong }), TypeError);
    for (const wrong of [-1, 2 ** 32, 20.5])
        assert.throws(() => staffingEvaluate({ ...CALLS, agents: wrong }), RangeError);
});

test('options: required, unknown and misplaced keys are TypeErrors', () => {
    assert.throws(() => staffingEvaluate(CALLS), { name: 'TypeError', message: /staffing\.agents is required/ });
    assert.throws(() => staffingAgents({ arrivalsPerHour: 240, handleTimeS: 240 }),
        { name: 'TypeError', message: /answerWithinS is required/ });
    assert.throws(() => staffingAgents(), { name: 'TypeError', message: /is required/ });
    assert.throws(() => staffingAgents({ ...CALLS, agents: 20 }), { name: 'TypeError', message: /unknown option "agents"/ });
    assert.throws(() => staffingEvaluate({ ...CALLS, agents: 20, targetServiceLevel: 0.8 }), TypeError);
    assert.throws(() => staffingEvaluate({ ...CALLS, agents: 20, patience: 120 }), /unknown option "patience"/);
    assert.throws(() => staffingAgents(240), TypeError);
});

test("the README's staffing example prints what its comments say", () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const block = readme.match(/<!-- staffing-example-begin -->\s*```js\n([\s\S]*?)```/)[1];
    const expected = block.split('\n').filter((line) => line.startsWith('console.log('))
        .map((line) => line.slice(line.lastIndexOf('// ') + 3));
    assert.equal(expected.length, 2);
    const ran = spawnSync(process.execPath, ['-e', block], { cwd: root, encoding: 'utf8' });
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(ran.stdout.trim().split('\n'), expected);
});
