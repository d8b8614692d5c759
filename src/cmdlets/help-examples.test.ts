// Every example Get-Help shows parses, and shows the command it is filed under.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_EXAMPLES, examplesOf } from '../shell/builtins/help-examples.js';
import { parseScript } from '../shell/parser.js';
import { EXAMPLES, registerHelpExamples } from './help-examples.js';

describe('help examples', () => {
  for (const [label, catalog] of [
    ['cmdlets', EXAMPLES],
    ['shell commands', BUILTIN_EXAMPLES],
  ] as const) {
    it(`the ${label}' examples parse and use their command`, () => {
      for (const [name, examples] of Object.entries(catalog)) {
        assert.ok(examples.length > 0, name);
        for (const ex of examples) {
          assert.doesNotThrow(() => parseScript(ex.code), `${name}: ${ex.code}`);
          assert.ok(ex.code.toLowerCase().includes(name.toLowerCase()), `${name}: ${ex.code}`);
          assert.ok(ex.remarks.trim().length > 0, `${name}: ${ex.code}`);
        }
      }
    });
  }

  it('a command keeps its own examples; the catalog fills in for one without', () => {
    registerHelpExamples();
    const own = { code: 'Get-Queue -Include External', remarks: 'own' };
    assert.deepEqual(examplesOf({ name: 'Get-Queue', synopsis: '', parameters: [], examples: [own], invoke: () => [] }), [own]);
    assert.equal(examplesOf({ name: 'get-queue', synopsis: '', parameters: [], invoke: () => [] }), EXAMPLES['Get-Queue']);
    assert.deepEqual(examplesOf({ name: 'Nothing-Known', synopsis: '', parameters: [], invoke: () => [] }), []);
  });
});
