'use strict';
// Finding and loading libusher:
//   1. the file named by the environment variable USHER_LIBRARY (and only
//      it: a path that cannot be loaded is an error, never a fallback);
//   2. else, when this package sits in an usher checkout, that checkout's
//      build directory, $BUILD/libusher.so (BUILD as make uses it, default
//      "build", relative to the checkout), if the file exists;
//   3. else the system loader's search path: libusher.so.0 (the SONAME).

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

// The library major version this binding was written for (include/usher.h
// USHER_VERSION_MAJOR): struct layouts are fixed within a major version.
const EXPECTED_MAJOR = 0;
const SYSTEM_NAME = 'libusher.so.0';
const CHECKOUT = path.resolve(__dirname, '..', '..', '..');

/**
 * Which library to load: { file, from } (from: why, for messages). Pure:
 * the environment, the checkout directory and the existence test are
 * parameters.
 */
function locate(env = process.env, checkout = CHECKOUT, exists = fs.existsSync) {
    if (env.USHER_LIBRARY) return { file: env.USHER_LIBRARY, from: 'USHER_LIBRARY' };
    if (exists(path.join(checkout, 'include', 'usher.h'))) {
        const build = env.BUILD || 'build';
        const file = path.join(path.resolve(checkout, build), 'libusher.so');
        if (exists(file)) return { file, from: `the checkout's build directory (BUILD=${build})` };
    }
    return { file: SYSTEM_NAME, from: 'the system loader' };
}

function checkVersion(lib, where) {
    const versionNumber = lib.func('uint32_t usher_version_number(void)')();
    const major = Math.floor(versionNumber / 10000);
    if (major !== EXPECTED_MAJOR)
        throw new Error(`usher: ${where} is version ${versionNumber} (major ${major}); ` +
            `this binding needs major version ${EXPECTED_MAJOR}`);
}

let loaded = null;

/** The loaded library (koffi handle) and where it came from; loads it once. */
function library() {
    if (loaded) return loaded;
    const chosen = locate();
    let lib;
    try {
        lib = koffi.load(chosen.file);
    } catch (err) {
        throw new Error(`usher: cannot load ${chosen.file} (from ${chosen.from}): ${err.message}. ` +
            'Build it with `make` or set USHER_LIBRARY to the path of libusher.so.', { cause: err });
    }
    checkVersion(lib, chosen.file);
    loaded = { lib, file: chosen.file, from: chosen.from };
    return loaded;
}

module.exports = { library, locate, SYSTEM_NAME };
