'use strict';
// usher for Node.js: the Engine class, UsherError, the constants of
// include/usher.h, and the library-wide functions (staffing included). See
// README.md.

const { Engine, mixin } = require('./engine');
const { UsherError } = require('./errors');
const { native } = require('./ffi');
const { library } = require('./library');
const { i32 } = require('./convert');
const { staffingEvaluate, staffingAgents } = require('./staffing');
const constants = require('./constants');

mixin(require('./agents'));
mixin(require('./routing'));
mixin(require('./calendars'));
mixin(require('./sla'));

/** The version of the loaded library, "MAJOR.MINOR.PATCH". */
function version() {
    return native().usher_version();
}

/** The version of the loaded library as MAJOR * 10000 + MINOR * 100 + PATCH. */
function versionNumber() {
    return native().usher_version_number();
}

/** usher_strerror(): a one-line description of a status code. */
function strerror(code) {
    return native().usher_strerror(i32('code', code));
}

/** usher_status_name(): the symbolic name of a status code, e.g. "USHER_ENOMEM". */
function statusName(code) {
    return native().usher_status_name(i32('code', code));
}

/** The path of the loaded library and why it was chosen: { file, from }. */
function libraryPath() {
    const { file, from } = library();
    return { file, from };
}

const { C_PREFIX, nameOf, ...publicConstants } = constants;

module.exports = {
    Engine, UsherError, version, versionNumber, strerror, statusName, libraryPath,
    staffingEvaluate, staffingAgents, ...publicConstants,
};
