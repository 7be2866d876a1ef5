'use strict';
// Argument checks made in JavaScript before any value reaches C. koffi
// silently truncates 1.5 to 1 and wraps -1 to 2^64 - 1, so every integer the
// binding passes to C goes through one of these first. Wrong types throw a
// TypeError, values outside the C type's range a RangeError. Ranges narrower
// than the C type (a priority above 1000, a time above TIME_MAX) are left to
// the library, which answers USHER_EINVAL (see UsherError). A C double
// (staffing only) takes any Number: NaN and the infinities are doubles too,
// and the functions that take doubles refuse them themselves (EINVAL).

const U32_MAX = 0xffffffff;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function describe(value) {
    if (value === null) return 'null';
    if (Array.isArray(value)) return 'an array';
    if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
    return `a value of type ${typeof value}`;
}

// A JS integer (Number or BigInt) as a BigInt, checked against [min, max].
function integer(name, value, min, max) {
    if (typeof value === 'bigint') {
        if (value < min || value > max)
            throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
        return value;
    }
    if (typeof value !== 'number')
        throw new TypeError(`${name} must be an integer (Number or BigInt), got ${describe(value)}`);
    if (!Number.isInteger(value))
        throw new RangeError(`${name} must be an integer, got ${value}`);
    if (!Number.isSafeInteger(value))
        throw new RangeError(`${name} is beyond Number.MAX_SAFE_INTEGER and was rounded: pass a BigInt (got ${value})`);
    const big = BigInt(value);
    if (big < min || big > max)
        throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}`);
    return big;
}

/** uint32_t: returned as a Number. */
function u32(name, value) {
    return Number(integer(name, value, 0n, BigInt(U32_MAX)));
}

/** int32_t: returned as a Number. */
function i32(name, value) {
    return Number(integer(name, value, BigInt(I32_MIN), BigInt(I32_MAX)));
}

/** uint64_t (ids, times): returned as a BigInt. */
function u64(name, value) {
    return integer(name, value, 0n, U64_MAX);
}

/** int64_t (scores): returned as a BigInt. */
function i64(name, value) {
    return integer(name, value, I64_MIN, I64_MAX);
}

/** double: a Number, returned unchanged (NaN and Infinity included). */
function double(name, value) {
    if (typeof value !== 'number')
        throw new TypeError(`${name} must be a Number, got ${describe(value)}`);
    return value;
}

function bool(name, value) {
    if (typeof value !== 'boolean')
        throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
    return value;
}

function string(name, value) {
    if (typeof value !== 'string')
        throw new TypeError(`${name} must be a string, got ${describe(value)}`);
    return value;
}

function array(name, value) {
    if (!Array.isArray(value))
        throw new TypeError(`${name} must be an array, got ${describe(value)}`);
    return value;
}

function func(name, value) {
    if (typeof value !== 'function')
        throw new TypeError(`${name} must be a function, got ${describe(value)}`);
    return value;
}

/**
 * An options object: undefined gives {}, anything but a plain object throws,
 * and so does a key outside `allowed` (a misspelt option is an error, not a
 * silently ignored default).
 */
function options(name, value, allowed) {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new TypeError(`${name} must be an object, got ${describe(value)}`);
    for (const key of Object.keys(value))
        if (!allowed.includes(key))
            throw new TypeError(`${name} has an unknown option "${key}" (known: ${allowed.join(', ')})`);
    return value;
}

/** Bytes for a `const void *, size_t` pair: a Buffer, TypedArray or ArrayBuffer. */
function bytes(name, value) {
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    throw new TypeError(`${name} must be a Buffer, TypedArray or ArrayBuffer, got ${describe(value)}`);
}

/** A 64-bit value koffi returned (a Number when small, else a BigInt) as a BigInt. */
function big(value) {
    return typeof value === 'bigint' ? value : BigInt(value);
}

module.exports = { u32, i32, u64, i64, double, bool, string, array, func, options, bytes, big, U32_MAX, U64_MAX, I64_MAX };
