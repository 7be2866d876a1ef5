'use strict';
// UsherError: a negative usher_status returned by a C function.

const { native } = require('./ffi');

class UsherError extends Error {
    /**
     * @param {number} code    the usher_status, e.g. -3
     * @param {string} func    the C function that returned it, e.g. "usher_ticket_get"
     * @param {string} [text]  the description, when the binding knows better
     *                          than usher_strerror() (a closed Engine)
     */
    constructor(code, func, text) {
        const c = native();
        const status = c.usher_status_name(code);
        super(`${func}: ${text ?? c.usher_strerror(code)} (${status})`);
        /** The numeric usher_status, e.g. -3 (compare with Status.ENOTFOUND). */
        this.code = code;
        /** Its stable symbolic name from usher_status_name(), e.g. "USHER_ENOTFOUND". */
        this.status = status;
        /** The C function that failed. */
        this.function = func;
    }
}

Object.defineProperty(UsherError.prototype, 'name', { value: 'UsherError', configurable: true, writable: true });

module.exports = { UsherError };
