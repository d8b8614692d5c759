import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareValues } from '../shell/operators.js';
import { toNumber } from '../shell/conversion.js';
import { Hashtable, PSCredential, PSObject, SecureString } from '../shell/values.js';
import { parseEndpointUrl } from '../config/model/powershell-virtual-directory.js';
import { DeserializedValue, fromWire, toWire } from './protocol.js';
import { literal, commandLine } from './script-arguments.js';

class Size {
  constructor(private readonly bytes: number) {}
  valueOf(): number {
    return this.bytes;
  }
  toString(): string {
    return `${this.bytes / 1024} KB (${this.bytes} bytes)`;
  }
}

describe('remote protocol: objects as they cross the network', () => {
  it("sends an object's type names and properties, and receives a Deserialized property bag", () => {
    const when = new Date('2026-12-07T10:00:00Z');
    const obj = new PSObject(
      ['Queue', 'Base'],
      [
        ['Identity', 'MBX01\\3'],
        ['MessageCount', 4],
        ['Active', true],
        ['LastRetry', when],
        ['Names', ['a', 'b']],
        ['Size', new Size(2048)],
        ['None', null],
      ],
    );
    const back = fromWire(JSON.parse(JSON.stringify(toWire(obj)))) as PSObject;
    assert.deepEqual(back.typeNames, ['Deserialized.Queue', 'Deserialized.Base']);
    assert.equal(back.get('MessageCount'), 4);
    assert.equal(back.get('Active'), true);
    assert.equal((back.get('LastRetry') as Date).toISOString(), when.toISOString());
    assert.deepEqual(back.get('Names'), ['a', 'b']);
    assert.equal(back.get('None'), null);
    const size = back.get('Size') as DeserializedValue;
    assert.equal(String(size), '2 KB (2048 bytes)');
    assert.equal(toNumber(size), 2048, 'a size still compares by its number');
    assert.equal(compareValues(size, 4096), -1);
    assert.equal(String(back), 'MBX01\\3');
  });

  it('cuts nesting deeper than three levels to text, and never sends a secret', () => {
    let deep: unknown = new PSObject('Leaf', [['Name', 'leaf']]);
    for (let i = 0; i < 5; i++) deep = new PSObject('Level', [['Inner', deep]]);
    const text = JSON.stringify(toWire(deep));
    assert.ok(text.length < 600, text);
    const secret = JSON.stringify(
      toWire(
        new PSObject('X', [
          ['Password', new SecureString('Sekr1t!')],
          ['Cred', new PSCredential('u', new SecureString('Sekr1t!'))],
        ]),
      ),
    );
    assert.ok(!secret.includes('Sekr1t'), secret);
  });
});

describe('remote proxies: arguments written back as shell source', () => {
  it('quotes strings, keeps types, and names objects by their identity', () => {
    assert.equal(literal("O'Brien"), "'O''Brien'");
    assert.equal(literal(42), '42');
    assert.equal(literal(false), '$false');
    assert.equal(literal(null), '$null');
    assert.equal(literal(['a', 1]), "@('a', 1)");
    assert.equal(literal(new Hashtable([['Add', 'x']])), "@{'Add'='x'}");
    assert.equal(literal(new PSObject('Deserialized.Queue', [['Identity', 'MBX01\\3']])), "'MBX01\\3'");
    assert.equal(literal(new SecureString('p')), "(ConvertTo-SecureString 'p' -AsPlainText -Force)");
    assert.equal(
      commandLine(
        'Retry-Queue',
        new Map<string, unknown>([
          ['Identity', 'MBX01\\3'],
          ['Resubmit', true],
        ]),
        new Set(['resubmit']),
      ),
      "Retry-Queue -Identity 'MBX01\\3' -Resubmit:$true",
    );
  });
});

describe('PowerShell virtual directory URLs', () => {
  it('accepts https URLs (names, IP literals with a port) and refuses plain HTTP and credentials', () => {
    assert.equal(parseEndpointUrl('https://mbx01.contoso.com/PowerShell'), 'https://mbx01.contoso.com/PowerShell/');
    assert.equal(parseEndpointUrl('https://127.42.0.1:8443/PowerShell/'), 'https://127.42.0.1:8443/PowerShell/');
    assert.equal(parseEndpointUrl('https://[::1]:8443/PowerShell/'), 'https://[::1]:8443/PowerShell/');
    assert.throws(() => parseEndpointUrl('http://mbx01/PowerShell/'), /served over HTTPS only/);
    assert.throws(() => parseEndpointUrl('https://u:p@mbx01/PowerShell/'), /user name or password/);
    assert.throws(() => parseEndpointUrl('mbx01/PowerShell'), /not an absolute URL/);
  });
});
