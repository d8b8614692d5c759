// Formatter tests: value text, the Format-List and Format-Table writers, word
// wrap and the pieces of the error view.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDateDisplay } from '../conversion.js';
import { ellipsize, positionMessage } from './error-view.js';
import { renderList } from './list.js';
import { renderTable } from './table.js';
import { formatValue } from './value.js';
import { wordWrap } from './wrap.js';
import { PSCredential, SecureString } from '../values.js';

describe('value rendering', () => {
  it('renders scalars, collections and the enumeration limit', () => {
    assert.equal(formatValue(null), '');
    assert.equal(formatValue(true), 'True');
    assert.equal(formatValue(['a', 'b']), '{a, b}');
    assert.equal(formatValue([]), '{}');
    assert.equal(formatValue(['a', null, 'c']), '{a, , c}');
    assert.equal(formatValue([1, 2, 3, 4, 5], 4), '{1, 2, 3, 4...}');
    assert.equal(formatValue(new Set(['x'])), '{x}');
    assert.equal(formatValue(new SecureString('p')), 'System.Security.SecureString');
    assert.equal(formatValue(new PSCredential('u', new SecureString('p'))), 'System.Management.Automation.PSCredential');
  });
  it('renders dates in the en-US form', () => {
    assert.equal(formatDateDisplay(new Date(2026, 10, 27, 17, 34, 56)), '11/27/2026 5:34:56 PM');
    assert.equal(formatDateDisplay(new Date(2026, 0, 2, 0, 5, 6)), '1/2/2026 12:05:06 AM');
  });
});

describe('Format-List writer', () => {
  it('pads labels per object and frames with blank lines', () => {
    const text = renderList(
      [
        [
          { name: 'Identity', value: 'EX01\\Submission' },
          { name: 'DeliveryType', value: 'Undefined' },
        ],
        [{ name: 'A', value: '' }],
      ],
      119,
    );
    assert.equal(text, '\n\nIdentity     : EX01\\Submission\nDeliveryType : Undefined\n\nA : \n\n\n\n');
  });
  it('wraps long values under the value column', () => {
    const text = renderList([[{ name: 'N', value: 'aaa bbb ccc' }]], 12);
    assert.equal(text, '\n\nN : aaa bbb\n    ccc\n\n\n\n');
  });
  it('word-wraps and cuts over-long words', () => {
    assert.deepEqual(wordWrap('one two three', 7), ['one two', 'three']);
    assert.deepEqual(wordWrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(wordWrap('a\nb', 10), ['a', 'b']);
  });
});

describe('Format-Table writer', () => {
  it('writes labels, dashes, padded cells and alignment', () => {
    const text = renderTable(
      [
        { label: 'UserName', align: 'left' },
        { label: 'Password', align: 'right' },
      ],
      [['admin', 'System.Security.SecureString']],
      { width: 119 },
    );
    assert.equal(text, '\nUserName                     Password\n--------                     --------\nadmin    System.Security.SecureString\n\n\n');
  });
  it('truncates with ... keeping the tail of right-aligned cells', () => {
    const text = renderTable(
      [
        { label: 'L', width: 6, align: 'left' },
        { label: 'R', width: 6, align: 'right' },
      ],
      [['abcdefghij', '1234567890']],
      { width: 119 },
    );
    assert.equal(text, '\nL           R\n-           -\nabc... ...890\n\n\n');
  });
  it('cuts a value at its first newline', () => {
    const text = renderTable([{ label: 'V', align: 'left' }], [['first\nsecond']], { width: 119 });
    assert.match(text, /\nfirst\.\.\.\n/);
  });
  it('shrinks then hides the last column when the line is too narrow', () => {
    const shrunk = renderTable(
      [
        { label: 'A', align: 'left' },
        { label: 'B', align: 'left' },
      ],
      [['aaaa', 'bbbbbbbbbb']],
      { width: 12 },
    );
    assert.equal(shrunk.split('\n')[3], 'aaaa bbbb...');
    const hidden = renderTable(
      [
        { label: 'A', align: 'left' },
        { label: 'B', align: 'left' },
      ],
      [['aaaaaaaaaa', 'bbbbbbbbbb']],
      { width: 12 },
    );
    assert.equal(hidden.split('\n')[3], 'aaaaaaaaaa');
  });
  it('wraps long labels of fixed-width columns onto more header lines', () => {
    const text = renderTable([{ label: 'DeliveryType', width: 8, align: 'left' }], [['x']], { width: 119 });
    assert.equal(text, '\nDelivery\nType    \n--------\nx       \n\n\n');
  });
});

describe('error view pieces', () => {
  it('shortens long CategoryInfo parts', () => {
    assert.equal(ellipsize('ParameterBindingArgumentTransformationException'), 'ParameterBindin...mationException');
    assert.equal(ellipsize('ManagementObjectNotFoundException'), 'ManagementObjectNotFoundException');
  });
  it('points at the extent on its line', () => {
    assert.equal(positionMessage({ text: 'a\nGet-X -Foo 1' }, { start: 8, end: 12 }), 'At line:2 char:7\n+ Get-X -Foo 1\n+       ~~~~');
    assert.equal(positionMessage({ text: 'Get-X', name: 'C:\\x.ps1' }, { start: 0, end: 5 }), 'At C:\\x.ps1:1 char:1\n+ Get-X\n+ ~~~~~');
  });
});
