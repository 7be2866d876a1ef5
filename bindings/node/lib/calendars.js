'use strict';
// Engine methods for business-hours calendars.

const { call } = require('./engine');
const { OpenHours, toC } = require('./types');
const { u32, u64, string, array, bytes, options, big } = require('./convert');

const HOURS_ZERO = { weekday: 0, open_minute: 0, close_minute: 0 };

module.exports = {
    /** Creates calendar calendarId (not 0) in IANA zone `zone`, read from /usr/share/zoneinfo. */
    addCalendar(calendarId, zone) {
        call(this, 'usher_calendar_add', u32('calendarId', calendarId), string('zone', zone));
    },

    /** As addCalendar, with the zone's TZif data (a Buffer, TypedArray or ArrayBuffer). */
    addCalendarTzif(calendarId, tzif) {
        const data = bytes('tzif', tzif);
        call(this, 'usher_calendar_add_tzif', u32('calendarId', calendarId), data, data.byteLength);
    },

    removeCalendar(calendarId) {
        call(this, 'usher_calendar_remove', u32('calendarId', calendarId));
    },

    /** hours: [{ weekday (0 = Sunday), openMinute, closeMinute }, ...] replaces the weekly hours. */
    setCalendarHours(calendarId, hours) {
        const id = u32('calendarId', calendarId);
        const list = array('hours', hours).map((h, i) => toC(OpenHours, `hours[${i}]`, HOURS_ZERO, h));
        call(this, 'usher_calendar_set_hours', id, list.length ? list : null, list.length);
    },

    /** Closes the calendar on a local date: { year, month, day, fromMinute = 0, toMinute = 1440 }. */
    addHoliday(calendarId, holiday) {
        const id = u32('calendarId', calendarId);
        const h = options('holiday', holiday, ['year', 'month', 'day', 'fromMinute', 'toMinute']);
        call(this, 'usher_calendar_add_holiday', id, u32('holiday.year', h.year), u32('holiday.month', h.month),
            u32('holiday.day', h.day), u32('holiday.fromMinute', h.fromMinute ?? 0),
            u32('holiday.toMinute', h.toMinute ?? 1440));
    },

    /** The instant (BigInt ms) when businessMs of open time have passed from fromMs, or Limits.TIME_NEVER. */
    addBusinessTime(calendarId, fromMs, businessMs) {
        const out = [0];
        call(this, 'usher_calendar_add_business', u32('calendarId', calendarId), u64('fromMs', fromMs),
            u64('businessMs', businessMs), out);
        return big(out[0]);
    },

    /** The open time (BigInt ms) between fromMs and toMs. */
    businessBetween(calendarId, fromMs, toMs) {
        const out = [0];
        call(this, 'usher_calendar_business_between', u32('calendarId', calendarId), u64('fromMs', fromMs),
            u64('toMs', toMs), out);
        return big(out[0]);
    },

    /** The first instant (BigInt ms) at or after atMs when the calendar is open, or Limits.TIME_NEVER. */
    nextOpen(calendarId, atMs) {
        const out = [0];
        call(this, 'usher_calendar_next_open', u32('calendarId', calendarId), u64('atMs', atMs), out);
        return big(out[0]);
    },
};
