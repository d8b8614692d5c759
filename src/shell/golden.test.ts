// Golden transcripts: each testdata/*.in script runs in a session over the
// fake connector commands with an in-memory host; its interleaved output and
// errors must equal testdata/*.ref byte for byte. UPDATE_GOLDEN=1 rewrites
// the .ref files.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testShell } from './fixtures.js';

const dir = fileURLToPath(new URL('../../../src/shell/testdata/', import.meta.url));

describe('golden transcripts', () => {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.in'))
    .sort()) {
    it(file, async () => {
      const script = readFileSync(dir + file, 'utf8');
      const { session, host } = testShell();
      await session.runScript(script);
      const refPath = dir + file.replace(/\.in$/, '.ref');
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(refPath, host.transcript);
      assert.equal(host.transcript, readFileSync(refPath, 'utf8'));
    });
  }
});
