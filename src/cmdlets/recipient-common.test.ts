import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvocationContext } from '../shell/command.js';
import { PSObject } from '../shell/values.js';
import { DEFAULT_RESULT_SIZE_WARNING, filterAndLimit, MORE_RESULTS_WARNING, resultSizeParameter } from './recipient-common.js';

const objects = (n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      new PSObject('Mailbox', [
        ['Name', `user${i}`],
        ['Alias', i % 2 === 0 ? `even${i}` : `odd${i}`],
      ]),
  );

function run(n: number, given: Record<string, unknown>): { names: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const inv = { warn: (m: string) => warnings.push(m) } as unknown as InvocationContext;
  const args = new Map(Object.entries(given).map(([k, v]) => [k, k === 'ResultSize' ? resultSizeParameter.convert!(v) : v]));
  return { names: filterAndLimit(objects(n), args, inv, ['Name', 'Alias']).map((o) => String(o.get('Name'))), warnings };
}

describe('-ResultSize and -Filter of the recipient cmdlets', () => {
  it("returns the first 1000 by default, with Exchange's warning only when more exist", () => {
    const cut = run(1001, {});
    assert.equal(cut.names.length, 1000);
    assert.deepEqual(cut.warnings, [DEFAULT_RESULT_SIZE_WARNING]);
    assert.match(DEFAULT_RESULT_SIZE_WARNING, /^By default, only the first 1000 items are returned\. Use the ResultSize parameter to specify the number of items returned\. To return all items, specify "-ResultSize Unlimited"\./);
    assert.deepEqual(run(1000, {}).warnings, []);
  });

  it('takes a number (warning when results are cut) or Unlimited', () => {
    assert.deepEqual(run(5, { ResultSize: 2 }), { names: ['user0', 'user1'], warnings: [MORE_RESULTS_WARNING] });
    assert.deepEqual(run(2, { ResultSize: '2' }).warnings, []);
    assert.equal(run(1500, { ResultSize: 'Unlimited' }).names.length, 1500);
    assert.throws(() => resultSizeParameter.convert!('0'), /use a whole number of at least 1, or Unlimited/);
    assert.throws(() => resultSizeParameter.convert!('lots'), /use a whole number of at least 1, or Unlimited/);
  });

  it('filters before limiting', () => {
    assert.deepEqual(run(10, { Filter: "Alias -like 'odd*'", ResultSize: 3 }).names, ['user1', 'user3', 'user5']);
  });
});
