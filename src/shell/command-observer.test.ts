// The command observer (what the server's audit log hangs on): told of each
// run of a command that is not part of the language, per pipeline object, with
// its outcome; a run that ShouldProcess declined everywhere says so.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinViews } from './builtins/index.js';
import type { CommandOutcome, CommandSpec } from './command.js';
import { MemoryHost } from './host-memory.js';
import { ShellSession } from './session.js';
import { CmdletError, PSObject } from './values.js';

interface Heard {
  name: string;
  args: Record<string, unknown>;
  outcome: CommandOutcome;
}

function shell(): { session: ShellSession; heard: Heard[] } {
  const heard: Heard[] = [];
  const commands: CommandSpec[] = [
    {
      name: 'Get-Widget',
      synopsis: '',
      parameters: [],
      invoke: () => ['a', 'b'].map((n) => new PSObject('Widget', [['Name', n]])),
    },
    {
      name: 'Set-Widget',
      synopsis: '',
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [{ name: 'Identity', typeName: 'String', position: 0, valueFromPipelineByPropertyName: true, convert: (v) => String((v as PSObject)?.get?.('Name') ?? v), aliases: ['Name'] }],
      invoke: async (args, inv) => {
        if (args.get('Identity') === 'broken') throw new CmdletError('The widget "broken" cannot be set.');
        if (args.get('Identity') === 'half') inv.writeError(new CmdletError('half of it failed'));
        await inv.shouldProcess(String(args.get('Identity')), 'Setting widget');
        return [];
      },
    },
  ];
  const session = new ShellSession(
    {
      commands,
      views: builtinViews,
      computerName: 'edge01.contoso.net',
      commandObserver: { completed: (spec, args, outcome) => heard.push({ name: spec.name, args: Object.fromEntries(args), outcome }) },
    },
    new MemoryHost(),
  );
  return { session, heard };
}

describe('the command observer', () => {
  it("hears each run of a server command, once per pipeline object, and none of the language's own", async () => {
    const { session, heard } = shell();
    await session.runScript('Get-Widget | Set-Widget\n$x = 1 | Where-Object { $_ -eq 1 }\nWrite-Output $x | Out-Null');
    assert.deepEqual(
      heard.map((h) => [h.name, h.args.Identity ?? null, h.outcome.succeeded, h.outcome.declined]),
      [
        ['Get-Widget', null, true, false],
        ['Set-Widget', 'a', true, false],
        ['Set-Widget', 'b', true, false],
      ],
    );
  });

  it('tells the error of a failed run, terminating or not, and a run that -WhatIf declined', async () => {
    const { session, heard } = shell();
    await session.runScript('Set-Widget broken\nSet-Widget half\nSet-Widget fine -WhatIf');
    assert.deepEqual(
      heard.map((h) => [h.args.Identity, h.outcome.succeeded, h.outcome.error?.message ?? null, h.outcome.declined]),
      [
        ['broken', false, 'The widget "broken" cannot be set.', false],
        ['half', false, 'half of it failed', false],
        ['fine', true, null, true],
      ],
    );
  });

  it('does not hear a command whose arguments could not be bound: it never ran', async () => {
    const { session, heard } = shell();
    await session.runScript('Set-Widget -Colour blue');
    assert.deepEqual(heard, []);
  });
});
