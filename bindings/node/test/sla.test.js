'use strict';
// SLA policies, rules, per-ticket clocks and statistics, and business-hours
// calendars, through the binding.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { usher, recordingEngine, types } = require('./helpers');

const { Status, SlaTarget, SlaState, SlaReport, Limits } = usher;
const HOUR = 3600000;
const DAY = 24 * HOUR;

// 1970-01-01 (time 0) was a Thursday. Monday to Friday, 09:00 to 17:00.
const OFFICE_HOURS = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, openMinute: 540, closeMinute: 1020 }));

test('calendars: hours, holidays and business time', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    engine.addCalendar(1, 'UTC');
    engine.setCalendarHours(1, OFFICE_HOURS);
    assert.equal(engine.nextOpen(1, 0), BigInt(9 * HOUR));
    assert.equal(engine.businessBetween(1, 0, DAY), BigInt(8 * HOUR));
    assert.equal(engine.addBusinessTime(1, 0, HOUR), BigInt(10 * HOUR));
    engine.addHoliday(1, { year: 1970, month: 1, day: 1 }); // New Year: closed all day
    assert.equal(engine.nextOpen(1, 0), BigInt(DAY + 9 * HOUR));
    engine.addHoliday(1, { year: 1970, month: 1, day: 2, fromMinute: 540, toMinute: 600 });
    assert.equal(engine.nextOpen(1, 0), BigInt(DAY + 10 * HOUR));
    // Friday 10:00-17:00 is the only open time before Monday.
    assert.equal(engine.addBusinessTime(1, 0, 8 * HOUR), BigInt(4 * DAY + 10 * HOUR));
    assert.equal(engine.nextOpen(0, 12345), 12345n); // 24/7
    assert.equal(engine.addBusinessTime(1, Limits.CALENDAR_TIME_MAX - 1n, HOUR), Limits.TIME_NEVER);
    assert.throws(() => engine.addCalendar(1, 'UTC'), { code: Status.EEXIST });
    assert.throws(() => engine.addCalendar(2, '../etc/passwd'), { code: Status.EINVAL });
    assert.throws(() => engine.addCalendar(2, 'Nowhere/Atlantis'), { code: Status.ENOTFOUND });
    assert.throws(() => engine.addHoliday(1, { year: 1970, month: 2, day: 30 }), { code: Status.EINVAL });
    assert.throws(() => engine.setCalendarHours(1, []), { code: Status.EINVAL });
    engine.removeCalendar(1);
    assert.throws(() => engine.nextOpen(1, 0), { code: Status.ENOTFOUND });
});

test('a calendar from TZif bytes', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    const tzif = fs.readFileSync('/usr/share/zoneinfo/Europe/Berlin');
    engine.addCalendarTzif(3, tzif);
    engine.setCalendarHours(3, OFFICE_HOURS);
    // 09:00 in Berlin on Thursday 1970-01-01 was 08:00 UTC (CET, UTC+1).
    assert.equal(engine.nextOpen(3, 0), BigInt(8 * HOUR));
    engine.addCalendarTzif(4, new Uint8Array(tzif).buffer); // an ArrayBuffer too
    assert.throws(() => engine.addCalendarTzif(5, Buffer.from('not TZif data')), { code: Status.ECORRUPT });
});

test('a policy: warnings, breach, met, and their statistics', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    engine.addSlaPolicy(1, { targets: { firstResponse: 60000, resolution: { ms: HOUR } }, warnings: [500, 750] });
    assert.throws(() => engine.addSlaPolicy(1, { targets: { resolution: 1 } }), { code: Status.EEXIST });
    assert.throws(() => engine.addSlaPolicy(2, {}), { code: Status.EINVAL }); // no target
    assert.throws(() => engine.addSlaPolicy(2, { targets: { resolution: 1 }, warnings: [750, 500] }),
        { code: Status.EINVAL });
    engine.setSlaRules([], 1);
    engine.startSla(100, { channel: 2 });
    engine.startSla(200, { channel: 2 });
    assert.throws(() => engine.startSla(100, {}), { code: Status.EEXIST });
    engine.advance(40000);
    engine.reportSla(200, SlaReport.AGENT_REPLY);
    engine.advance(60000);
    assert.deepEqual(events.map((e) => [e.type, e.ticketId, e.reason, e.detail, e.dueMs]), [
        ['SLA_WARNING', 100n, SlaTarget.FIRST_RESPONSE, 500, 30000n],
        ['SLA_WARNING', 200n, SlaTarget.FIRST_RESPONSE, 500, 30000n],
        ['SLA_MET', 200n, SlaTarget.FIRST_RESPONSE, 0, 0n],
        ['SLA_WARNING', 100n, SlaTarget.FIRST_RESPONSE, 750, 45000n],
        ['SLA_BREACHED', 100n, SlaTarget.FIRST_RESPONSE, 0, 60000n],
    ]);
    assert.equal(events[2].value, 20000n); // ms left when met
    const first = engine.getSla(100, SlaTarget.FIRST_RESPONSE);
    assert.equal(first.state, SlaState.BREACHED);
    assert.equal(first.policy, 1);
    assert.equal(first.remainingMs, 0n);
    const resolution = engine.getSla(100, SlaTarget.RESOLUTION);
    assert.deepEqual(resolution, { state: SlaState.RUNNING, policy: 1, dueMs: BigInt(HOUR), elapsedMs: 60000n,
        remainingMs: BigInt(HOUR - 60000) });
    assert.equal(engine.getSla(100, SlaTarget.NEXT_RESPONSE).state, SlaState.INACTIVE);
    assert.deepEqual(engine.slaPolicyStats(1), { met: [1n, 0n, 0n, 0n], breached: [1n, 0n, 0n, 0n] });
    assert.deepEqual(engine.slaChannelStats(2), { met: [1n, 0n, 0n, 0n], breached: [1n, 0n, 0n, 0n] });
    assert.deepEqual(engine.slaChannelStats(0), { met: [0n, 0n, 0n, 0n], breached: [0n, 0n, 0n, 0n] });

    engine.reportSla(100, SlaReport.SOLVED);
    assert.throws(() => engine.reportSla(100, SlaReport.SOLVED), { code: Status.ESTATE });
    assert.equal(engine.getSla(100, SlaTarget.RESOLUTION).state, SlaState.MET);
    engine.forgetSla(100);
    assert.throws(() => engine.getSla(100, SlaTarget.RESOLUTION), { code: Status.ENOTFOUND });
    assert.throws(() => engine.getSla(200, 4), { code: Status.EINVAL });
});

test('rules choose the policy; an update chooses again', (t) => {
    const { engine } = recordingEngine();
    t.after(() => engine.close());
    engine.addSlaPolicy(1, { targets: { resolution: DAY } });
    engine.addSlaPolicy(2, { targets: { resolution: HOUR } });
    assert.throws(() => engine.setSlaRules([{ policy: 9 }]), { code: Status.ENOTFOUND });
    assert.throws(() => engine.setSlaRules([{ policy: 1, minPriority: 5, maxPriority: 1 }]), { code: Status.EINVAL });
    engine.setSlaRules([{ policy: 2, minPriority: 100 }, { policy: 1, channel: 0 }]);
    engine.startSla(1, { channel: 0 });
    assert.equal(engine.getSla(1, SlaTarget.RESOLUTION).policy, 1);
    engine.updateSla(1, { channel: 0, priority: 500 });
    assert.equal(engine.getSla(1, SlaTarget.RESOLUTION).policy, 2);
    assert.throws(() => engine.startSla(2, { channel: 1 }), { code: Status.ENOTFOUND }); // no rule, no default
    assert.throws(() => engine.updateSla(3, {}), { code: Status.ENOTFOUND });
    assert.throws(() => engine.startSla(4, { createdMs: 5 }), { code: Status.EINVAL }); // after the clock
});

test('business-time targets, paused while pending the customer', (t) => {
    const { engine, events } = recordingEngine();
    t.after(() => engine.close());
    engine.addCalendar(1, 'UTC');
    engine.setCalendarHours(1, OFFICE_HOURS);
    engine.addSlaPolicy(7, {
        calendar: 1, holdEvents: true,
        targets: { firstResponse: { ms: HOUR, business: true }, resolution: { ms: 4 * HOUR, business: true, pausable: true } },
    });
    assert.throws(() => engine.removeCalendar(1), { code: Status.ESTATE });
    engine.setSlaRules([], 7);
    engine.startSla(1, {});
    assert.equal(engine.getSla(1, SlaTarget.FIRST_RESPONSE).dueMs, BigInt(10 * HOUR));
    engine.advance(9 * HOUR + 30 * 60000);
    engine.reportSla(1, SlaReport.PENDING_CUSTOMER);
    assert.equal(engine.getSla(1, SlaTarget.RESOLUTION).state, SlaState.PAUSED);
    assert.equal(engine.getSla(1, SlaTarget.FIRST_RESPONSE).state, SlaState.RUNNING);
    engine.advance(11 * HOUR);
    engine.reportSla(1, SlaReport.RESUMED);
    const resolution = engine.getSla(1, SlaTarget.RESOLUTION);
    assert.equal(resolution.state, SlaState.RUNNING);
    assert.equal(resolution.elapsedMs, BigInt(30 * 60000)); // paused time did not count
    assert.deepEqual(types(events), ['SLA_BREACHED']);
    assert.equal(events[0].dueMs, BigInt(10 * HOUR));
});
