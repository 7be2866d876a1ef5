'use strict';
// The koffi declarations against the C compiler's view of include/usher.h:
// every struct's size, every field's offset and size, and every constant.
// A small C program generated from the JS declarations prints them.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const koffi = require('koffi');
const { STRUCTS } = require('../lib/types');
const constants = require('../lib/constants');

const INCLUDE = path.resolve(__dirname, '..', '..', '..', 'include');

// One line "<key> <value>" per fact, the same keys from C and from JS.
function jsFacts() {
    const facts = new Map();
    for (const declared of STRUCTS.keys()) {
        const info = koffi.introspect(declared);
        facts.set(`sizeof ${info.name}`, String(info.size));
        for (const member of Object.values(info.members)) {
            facts.set(`offsetof ${info.name}.${member.name}`, String(member.offset));
            facts.set(`sizeof ${info.name}.${member.name}`, String(koffi.sizeof(member.type)));
        }
    }
    for (const [tableName, prefix] of Object.entries(constants.C_PREFIX))
        for (const [name, value] of Object.entries(constants[tableName]))
            facts.set(`${prefix}${name}`, String(value));
    return facts;
}

function cProgram(facts) {
    const lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "usher.h"', 'int main(void)', '{'];
    for (const key of facts.keys()) {
        const [what, subject] = key.split(' ');
        let expr;
        if (what === 'sizeof' && subject.includes('.')) {
            const [type, field] = subject.split('.');
            expr = `(unsigned long long)sizeof(((${type} *)0)->${field})`;
        } else if (what === 'sizeof') {
            expr = `(unsigned long long)sizeof(${subject})`;
        } else if (what === 'offsetof') {
            const [type, field] = subject.split('.');
            expr = `(unsigned long long)offsetof(${type}, ${field})`;
        }
        if (expr) {
            lines.push(`    printf("%s %llu\\n", "${key}", ${expr});`);
        } else if (facts.get(key).startsWith('-')) { // a constant
            lines.push(`    printf("%s %lld\\n", "${key}", (long long)(${key}));`);
        } else {
            lines.push(`    printf("%s %llu\\n", "${key}", (unsigned long long)(${key}));`);
        }
    }
    lines.push('    return 0;', '}', '');
    return lines.join('\n');
}

test('struct layouts and constants match the C compiler', (t) => {
    const facts = jsFacts();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usher-layout-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const source = path.join(dir, 'layout.c');
    const binary = path.join(dir, 'layout');
    fs.writeFileSync(source, cProgram(facts));
    const cc = process.env.CC || 'cc';
    const compiled = spawnSync(cc, ['-std=c11', '-Wall', '-Werror', `-I${INCLUDE}`, source, '-o', binary],
        { encoding: 'utf8' });
    if (compiled.error && compiled.error.code === 'ENOENT') {
        t.skip(`no C compiler (${cc}): layouts not checked`);
        return;
    }
    assert.equal(compiled.status, 0, `compiling the layout program failed:\n${compiled.stderr}`);
    const ran = spawnSync(binary, [], { encoding: 'utf8' });
    assert.equal(ran.status, 0);
    const fromC = new Map(ran.stdout.trim().split('\n').map((line) => {
        const cut = line.lastIndexOf(' ');
        return [line.slice(0, cut), line.slice(cut + 1)];
    }));
    assert.equal(fromC.size, facts.size);
    assert.ok(facts.size > 300, `only ${facts.size} facts checked`);
    for (const [key, value] of facts) assert.equal(value, fromC.get(key), key);
});

test('every byte of every struct is a declared field (the header has no implicit padding)', () => {
    // A field missing from a declaration (a reserved one, say) leaves a gap.
    for (const declared of STRUCTS.keys()) {
        const info = koffi.introspect(declared);
        const fields = Object.values(info.members).reduce((sum, m) => sum + koffi.sizeof(m.type), 0);
        assert.equal(fields, info.size, info.name);
    }
});

test('every numeric macro of the header is in Limits', () => {
    const header = fs.readFileSync(path.join(INCLUDE, 'usher.h'), 'utf8');
    const macros = [...header.matchAll(/^#define (USHER_\w+) /gm)].map((m) => m[1])
        // USHER_H and USHER_API are not numbers; the version is the loaded
        // library's, from versionNumber().
        .filter((name) => !['USHER_H', 'USHER_API'].includes(name) && !name.startsWith('USHER_VERSION_'));
    assert.ok(macros.length > 30, `only ${macros.length} macros parsed`);
    const bound = Object.keys(constants.Limits).map((name) => `USHER_${name}`);
    assert.deepEqual([...new Set(macros)].sort(), bound.sort());
});

