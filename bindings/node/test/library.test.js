'use strict';
// Where the binding looks for libusher (lib/library.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { locate, SYSTEM_NAME } = require('../lib/library');
const { libraryPath } = require('..');

const CHECKOUT = '/src/usher';
const existing = (...files) => (file) => files.includes(file);

test('USHER_LIBRARY wins, even over a built checkout', () => {
    const found = locate({ USHER_LIBRARY: '/opt/lib/libusher.so.0', BUILD: 'b' }, CHECKOUT,
        existing(`${CHECKOUT}/include/usher.h`, `${CHECKOUT}/b/libusher.so`));
    assert.deepEqual(found, { file: '/opt/lib/libusher.so.0', from: 'USHER_LIBRARY' });
});

test("then the checkout's build directory, $BUILD or build", () => {
    const header = `${CHECKOUT}/include/usher.h`;
    assert.equal(locate({}, CHECKOUT, existing(header, `${CHECKOUT}/build/libusher.so`)).file,
        `${CHECKOUT}/build/libusher.so`);
    assert.equal(locate({ BUILD: 'build/clang' }, CHECKOUT, existing(header, `${CHECKOUT}/build/clang/libusher.so`)).file,
        `${CHECKOUT}/build/clang/libusher.so`);
    assert.equal(locate({ BUILD: '/tmp/out' }, CHECKOUT, existing(header, '/tmp/out/libusher.so')).file,
        '/tmp/out/libusher.so');
});

test('then the system loader, when nothing is built or outside a checkout', () => {
    const system = { file: SYSTEM_NAME, from: 'the system loader' };
    assert.deepEqual(locate({}, CHECKOUT, existing(`${CHECKOUT}/include/usher.h`)), system);
    assert.deepEqual(locate({}, CHECKOUT, existing(`${CHECKOUT}/build/libusher.so`)), system);
    assert.equal(SYSTEM_NAME, 'libusher.so.0');
});

test('this process loaded the library the environment names', () => {
    const { file } = libraryPath();
    if (process.env.USHER_LIBRARY) assert.equal(file, process.env.USHER_LIBRARY);
    else assert.ok(path.isAbsolute(file) || file === SYSTEM_NAME);
});
