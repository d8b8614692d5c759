// Tab completion candidates: commands, parameters, variables, enumeration
// values (also in a comma list), object names with the person's quotes,
// arguments by position, and wildcards.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandSpec } from './command.js';
import { MemoryHost } from './host-memory.js';
import { ShellSession } from './session.js';

const connectors = ['From Internet', 'From Internal Org', 'Default Frontend EDGE01', "Bob's relay"];
const groups = ['None', 'AnonymousUsers', 'ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers', 'Partners', 'Custom'];

const commands: CommandSpec[] = [
  {
    name: 'Set-ReceiveConnector',
    synopsis: 'test',
    supportsShouldProcess: true,
    parameters: [
      { name: 'Identity', typeName: 'ReceiveConnectorIdParameter', position: 0, completions: () => connectors },
      { name: 'PermissionGroups', typeName: 'PermissionGroups', completions: () => groups },
      { name: 'Enabled', typeName: 'Boolean' },
      { name: 'Force', typeName: 'SwitchParameter', switch: true },
    ],
    invoke: () => [],
  },
  { name: 'Get-ReceiveConnector', synopsis: 'test', parameters: [{ name: 'Identity', typeName: 'ReceiveConnectorIdParameter', position: 0, completions: () => connectors }], invoke: () => [] },
  { name: 'Get-Queue', synopsis: 'test', parameters: [], invoke: () => [] },
  { name: 'Get-QueueDigest', synopsis: 'test', parameters: [], invoke: () => [] },
];

function shell(): ShellSession {
  return new ShellSession({ commands, views: [], computerName: 'EDGE01.contoso.com' }, new MemoryHost());
}

describe('completion', () => {
  it('completes command names, with wildcards', () => {
    const s = shell();
    assert.deepEqual(s.completions('Get-Rec'), ['Get-ReceiveConnector']);
    assert.deepEqual(s.completions('*-Queue'), ['Get-Queue', 'Get-QueueDigest']);
    assert.deepEqual(s.completions('Get-Queue | Get-Q'), ['Get-Queue', 'Get-QueueDigest']);
  });
  it('completes parameter names and variables', () => {
    const s = shell();
    assert.deepEqual(s.completions('Set-ReceiveConnector x -Perm'), ['-PermissionGroups']);
    assert.ok(s.completions('Set-ReceiveConnector x -C').includes('-Confirm'));
    assert.ok(s.completions('$Confirm').includes('$ConfirmPreference'));
  });
  it('completes enumeration values, also after a comma', () => {
    const s = shell();
    assert.deepEqual(s.completions('Set-ReceiveConnector "From Internet" -PermissionGroups Anon'), ['AnonymousUsers']);
    assert.deepEqual(s.completions('Set-ReceiveConnector x -PermissionGroups AnonymousUsers,Exchange'), ['ExchangeLegacyServers', 'ExchangeServers', 'ExchangeUsers']);
    const c = s.complete('Set-ReceiveConnector x -PermissionGroups AnonymousUsers,Part');
    assert.equal(c.start, 'Set-ReceiveConnector x -PermissionGroups AnonymousUsers,'.length);
    assert.deepEqual(c.candidates, ['Partners']);
  });
  it('completes object names in the quotes the person opened, or in single quotes when they have spaces', () => {
    const s = shell();
    assert.deepEqual(s.completions('Get-ReceiveConnector "Fr'), ['"From Internal Org"', '"From Internet"']);
    assert.deepEqual(s.completions('Get-ReceiveConnector Fr'), ["'From Internal Org'", "'From Internet'"]);
    assert.deepEqual(s.completions("Get-ReceiveConnector 'Bob"), ["'Bob''s relay'"]);
    assert.deepEqual(s.completions('Get-ReceiveConnector -Identity De'), ["'Default Frontend EDGE01'"]);
  });
  it('finds the positional parameter after named arguments and switches', () => {
    const s = shell();
    assert.deepEqual(s.completions('Set-ReceiveConnector -Enabled $true -Force Fr'), ["'From Internal Org'", "'From Internet'"]);
    assert.deepEqual(s.completions('Set-ReceiveConnector x Fr'), []);
  });
  it('replaces the whole word under the cursor', () => {
    const s = shell();
    const line = 'Get-ReceiveConnector "Fr -x';
    const c = s.complete(line, line.indexOf(' -x'));
    assert.deepEqual([c.start, c.end], [21, 24]);
    const word = s.complete('Get-Rec | x', 7);
    assert.deepEqual([word.start, word.end, word.candidates], [0, 7, ['Get-ReceiveConnector']]);
  });
});
