'use strict';
// Every public function of include/usher.h is declared for koffi, with its
// number of parameters, and nothing else is.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PROTOTYPES, functionName } = require('../lib/ffi');

const HEADER = path.resolve(__dirname, '..', '..', '..', 'include', 'usher.h');

function parameterCount(list) {
    const inner = list.trim();
    return inner === 'void' ? 0 : inner.split(',').length;
}

// name -> parameter count, from "USHER_API <type> usher_name(<params>);".
function headerFunctions() {
    const text = fs.readFileSync(HEADER, 'utf8');
    const found = new Map();
    for (const match of text.matchAll(/^USHER_API[^(]*?\b(usher_\w+)\(([^)]*)\);/gm))
        found.set(match[1], parameterCount(match[2]));
    return found;
}

test('every USHER_API function is declared, with its parameter count', () => {
    const header = headerFunctions();
    assert.ok(header.size >= 80, `only ${header.size} functions parsed from the header`);
    const declared = new Map(PROTOTYPES.map((p) => [functionName(p), parameterCount(p.slice(p.indexOf('(') + 1, -1))]));
    assert.deepEqual([...declared.keys()].sort(), [...header.keys()].sort());
    for (const [name, count] of header) assert.equal(declared.get(name), count, name);
});
