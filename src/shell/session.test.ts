// Session tests: error records in both layouts, -ErrorAction, ShouldProcess,
// pipeline binding, mandatory prompts, line-by-line input and completion.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeWorld, testShell } from './fixtures.js';
import { PipelineStopped } from './host.js';
import { MemoryHost } from './host-memory.js';
import { ShellSession } from './session.js';

/** A person who presses Ctrl+C at a command's User prompt. */
class InterruptingHost extends MemoryHost {
  override readLine(prompt: string): Promise<string | null> {
    if (prompt === 'User: ') return Promise.reject(new PipelineStopped('stopped'));
    return super.readLine(prompt);
  }
}

const setup = 'New-SendConnector -Name "To Internet" -AddressSpaces * -Usage Internet -DNSRoutingEnabled $true | Out-Null\n';

describe('session: error records', () => {
  it('renders an unknown command in the local layout', async () => {
    const { session, host } = testShell();
    assert.equal(await session.runScript('Foo-Bar -x 1'), false);
    assert.equal(
      host.err,
      [
        "Foo-Bar : The term 'Foo-Bar' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
        'At line:1 char:1',
        '+ Foo-Bar -x 1',
        '+ ~~~~~~~',
        '    + CategoryInfo          : ObjectNotFound: (Foo-Bar:String) [], CommandNotFoundException',
        '    + FullyQualifiedErrorId : CommandNotFoundException',
        ' ',
        '',
      ].join('\n'),
    );
    assert.equal(session.hadErrors, true);
  });

  it('renders binding errors with the script path and a marker under the parameter', async () => {
    const { session, host } = testShell();
    await session.runScript(setup + 'Set-SendConnector "To Internet" -Colour Blue', '/tmp/edge.ps1');
    assert.equal(
      host.err,
      [
        "Set-SendConnector : A parameter cannot be found that matches parameter name 'Colour'.",
        'At /tmp/edge.ps1:2 char:33',
        '+ Set-SendConnector "To Internet" -Colour Blue',
        '+                                 ~~~~~~~',
        '    + CategoryInfo          : InvalidArgument: (:) [Set-SendConnector], ParameterBindingException',
        '    + FullyQualifiedErrorId : NamedParameterNotFound,Set-SendConnector',
        ' ',
        '',
      ].join('\n'),
    );
  });

  it('marks the argument of a transformation error and shortens the reason', async () => {
    const { session, host } = testShell();
    await session.runScript('New-SendConnector -Name X -AuthenticationCredential "user:password"');
    assert.match(
      host.err,
      /^New-SendConnector : Cannot process argument transformation on parameter 'AuthenticationCredential'\. Cannot convert the "user:password" value of type "System\.String" to type "System\.Management\.Automation\.PSCredential"\.\n/,
    );
    assert.match(host.err, /\n\+ {53}~{15}\n/);
    assert.match(host.err, /CategoryInfo {10}: InvalidData: \(:\) \[New-SendConnector\], ParameterBindin\.\.\.mationException\n/);
    assert.match(host.err, /FullyQualifiedErrorId : ParameterArgumentTransformationError,New-SendConnector\n/);
  });

  it('reports a missing Identity without prompting on a non-interactive host', async () => {
    const { session, host } = testShell();
    await session.runScript('Set-ReceiveConnector -Name "Renamed"');
    assert.match(host.err, /^Set-ReceiveConnector : Cannot process command because of one or more missing mandatory parameters: Identity\.\nAt line:1 char:1\n\+ Set-ReceiveConnector -Name "Renamed"\n\+ ~{36}\n/);
    assert.equal(host.out, '');
  });

  it('renders cmdlet errors in the Exchange remote layout', async () => {
    const { session, host } = testShell();
    await session.runScript('Set-SendConnector "No Such Connector" -Enabled $false');
    const lines = host.err.split('\n');
    assert.equal(lines[0], "The operation couldn't be performed because object 'No Such Connector' couldn't be found on 'edge01.contoso.com'.");
    assert.equal(lines[1], '    + CategoryInfo          : NotSpecified: (:) [Set-SendConnector], ManagementObjectNotFoundException');
    const fqid = '+ FullyQualifiedErrorId : [Server=EDGE01,RequestId=3f2b8c1e-0d4a-4c6e-9a57-1b2c3d4e5f60,TimeStamp=11/27/2026 5:34:56 PM] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] ';
    // The long id is cut every 114 characters (width 119 - 5), each piece on its own line indented 4 spaces.
    assert.equal(lines[2], '    ' + fqid.slice(0, 114));
    assert.ok(lines[3].startsWith('    ' + fqid.slice(114)), lines[3]);
    const joined = lines
      .slice(2, 5)
      .map((l) => l.slice(4))
      .join('');
    assert.match(joined, /\] [0-9A-F]{8},Microsoft\.Exchange\.Management\.SystemConfigurationTasks\.SetSendConnector$/);
    assert.equal(lines[5], '    + PSComputerName        : edge01.contoso.com');
    assert.equal(lines[6], ' ');
  });

  it('reports a parse error and runs nothing', async () => {
    const { session, host, world } = testShell();
    assert.equal(await session.runScript(setup + 'Get-SendConnector "abc'), false);
    assert.equal(world.send.length, 0);
    assert.equal(
      host.err,
      [
        'At line:2 char:19',
        '+ Get-SendConnector "abc',
        '+                   ~~~~',
        'The string is missing the terminator: ".',
        '    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException',
        '    + FullyQualifiedErrorId : TerminatorExpectedAtEndOfString',
        ' ',
        '',
      ].join('\n'),
    );
  });

  it('keeps going after an error and reports failure', async () => {
    const { session, host } = testShell();
    assert.equal(await session.runScript('Foo-Bar\n"after"'), false);
    assert.equal(host.out, 'after\n');
  });
});

describe('session: -ErrorAction and $?', () => {
  it('SilentlyContinue hides the error, keeps it in $Error and sets $? to false', async () => {
    const { session, host } = testShell();
    const ok = await session.runScript('Get-SendConnector Nope -ErrorAction SilentlyContinue\n$?\n$Error.Count');
    assert.equal(ok, true);
    assert.equal(host.err, '');
    assert.equal(host.out, 'False\n1\n');
  });
  it('Stop stops the script', async () => {
    const { session, host } = testShell();
    assert.equal(await session.runScript('Get-SendConnector Nope -ea Stop\n"not reached"'), false);
    assert.equal(host.out, '');
    assert.match(host.err, /couldn't be found/);
  });
  it('$ErrorActionPreference = "Stop" stops at the first error', async () => {
    const { session, host } = testShell();
    await session.runScript('$ErrorActionPreference = "Stop"\nFoo-Bar\n"not reached"');
    assert.equal(host.out, '');
  });
  it('-ErrorVariable collects the errors', async () => {
    const { session, host } = testShell();
    await session.runScript('Get-SendConnector Nope -ea SilentlyContinue -ErrorVariable err\n$err.Count');
    assert.equal(host.out, '1\n');
  });
});

describe('session: ShouldProcess', () => {
  it('-WhatIf prints the action and changes nothing', async () => {
    const { session, host, world } = testShell();
    await session.runScript(setup + 'Remove-SendConnector "To Internet" -WhatIf');
    assert.equal(host.out, 'What if: Removing Send connector "To Internet".\n');
    assert.equal(world.send.length, 1);
  });
  it('asks for High impact commands on an interactive host', async () => {
    const { session, host, world } = testShell({ interactive: true, lines: ['n'] });
    await session.runScript(setup + 'Remove-SendConnector "To Internet"');
    assert.equal(host.out, ['', 'Confirm', 'Are you sure you want to perform this action?', 'Removing Send connector "To Internet".', '[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [?] Help (default is "Y"): ', ''].join('\n'));
    assert.equal(world.send.length, 1);
  });
  it('takes the default answer Yes and shows help on ?', async () => {
    const { session, host, world } = testShell({ interactive: true, lines: ['?', ''] });
    await session.runScript(setup + 'Remove-SendConnector "To Internet"');
    assert.match(host.out, /Y - Continue with only the next step of the operation\./);
    assert.equal(world.send.length, 0);
  });
  it('reads the answer from the next input line on a non-interactive host', async () => {
    const yes = testShell({ lines: ['y'] });
    assert.equal(await yes.session.runScript(setup + 'Remove-SendConnector "To Internet"'), true);
    assert.equal(yes.world.send.length, 0);
    assert.match(yes.host.out, /Are you sure you want to perform this action\?\nRemoving Send connector "To Internet"\./);
    const no = testShell({ lines: ['N'] });
    assert.equal(await no.session.runScript(setup + 'Remove-SendConnector "To Internet"'), true);
    assert.equal(no.world.send.length, 1);
  });
  it('fails without changing anything when a script gives no answer', async () => {
    const { session, host, world } = testShell();
    assert.equal(await session.runScript(setup + 'Remove-SendConnector "To Internet"'), false);
    assert.equal(world.send.length, 1);
    assert.match(
      host.err,
      /Remove-SendConnector : Confirmation needed for: Removing Send connector "To Internet"\. Nothing was changed: the input ended before the answer\. Put the answer \(Y, A, N or L\) on the line after the command, or add -Confirm:\$false to go ahead without asking\./,
    );
  });
  it('leaves a line that is not an answer for the shell to run', async () => {
    const { session, host, world } = testShell({ lines: [setup.trim(), 'Remove-SendConnector "To Internet"', '"next line ran"'] });
    assert.equal(await session.runInteractiveLines(), false);
    assert.equal(world.send.length, 1);
    assert.match(host.err, /the next input line, ""next line ran"", is not an answer/);
    assert.match(host.out, /next line ran\n$/);
  });
  it('does not ask with -Confirm:$false', async () => {
    const a = testShell();
    await a.session.runScript(setup + 'Remove-SendConnector "To Internet" -Confirm:$false');
    assert.equal(a.world.send.length, 0);
    assert.equal(a.host.out, '');
    const b = testShell({ interactive: true });
    await b.session.runScript(setup + 'Remove-SendConnector "To Internet" -Confirm:$false');
    assert.equal(b.world.send.length, 0);
    assert.equal(b.host.out, '');
  });
  it('-Confirm asks even on a stream host; Yes to All covers the pipeline', async () => {
    const { session, host, world } = testShell({ lines: ['a'] });
    await session.runScript(setup + 'New-SendConnector -Name B -AddressSpaces b.com | Out-Null\nGet-SendConnector | Remove-SendConnector -Confirm');
    assert.equal(world.send.length, 0);
    assert.equal((host.out.match(/Are you sure/g) ?? []).length, 1);
  });
  it('No to All skips every object', async () => {
    const { session, world } = testShell({ interactive: true, lines: ['l'] });
    await session.runScript(setup + 'New-SendConnector -Name B -AddressSpaces b.com -Confirm:$false | Out-Null\nGet-SendConnector | Remove-SendConnector');
    assert.equal(world.send.length, 2);
  });
});

describe('session: pipelines and prompts', () => {
  it('binds pipeline objects per object', async () => {
    const { session, world } = testShell();
    await session.runScript(setup + 'New-SendConnector -Name B -AddressSpaces b.com | Out-Null\n"B" | Set-SendConnector -Enabled $false\nGet-SendConnector | Remove-SendConnector -Confirm:$false');
    assert.equal(world.send.length, 0);
  });
  it('prompts for a missing mandatory parameter on an interactive host', async () => {
    const { session, host, world } = testShell({ interactive: true, lines: ['Default internal Receive connector Edge01'] });
    await session.runScript('Set-ReceiveConnector -Name "From Internet"');
    assert.equal(host.out, '\ncmdlet Set-ReceiveConnector at command pipeline position 1\nSupply values for the following parameters:\nIdentity: \n');
    assert.equal(world.receive[0].get('Name'), 'From Internet');
  });
  it('runs line by line, asking for more lines while a statement is open', async () => {
    const { session, host } = testShell({ lines: ['$x = @{', '  a = 1', '}', '"a=$($x.a)"', 'Write-Output `', '  done'] });
    assert.equal(await session.runInteractiveLines(), true);
    assert.equal(host.out, 'a=1\ndone\n');
  });
  it('shows the statement and continuation prompts on an interactive host', async () => {
    const { session, host } = testShell({ interactive: true, lines: ['"a" +', '"b"'] });
    await session.runInteractiveLines();
    assert.deepEqual(host.prompts, ['[PS] EDGE01.contoso.com> ', '>> ', '[PS] EDGE01.contoso.com> ']);
    assert.match(host.out, /ab\n/);
  });
  it('reports a parse error in line mode and continues', async () => {
    const { session, host } = testShell({ lines: ['Get-X )', '"next"'] });
    assert.equal(await session.runInteractiveLines(), false);
    assert.match(host.err, /Unexpected token '\)' in expression or statement\./);
    assert.equal(host.out, 'next\n');
  });
  it('completes command and parameter names', () => {
    const { session } = testShell();
    assert.deepEqual(session.completions('Get-Send'), ['Get-SendConnector']);
    assert.deepEqual(session.completions('Get-SendConnector | Remove-SendConnector -Con'), ['-Confirm']);
    assert.ok(session.completions('New-SendConnector -Sm').includes('-SmartHosts'));
    assert.ok(session.completions('$Form').includes('$FormatEnumerationLimit'));
  });
});

describe('session: line by line', () => {
  it('stops a command cancelled at its prompt without an error, records it as Stopped, and goes on', async () => {
    const world = fakeWorld();
    const host = new InterruptingHost({ lines: ['$c = Get-Credential', '"after: $($null -eq $c)"', 'Get-History | ForEach-Object { "$($_.Id) $($_.ExecutionStatus) $($_.CommandLine)" }'] });
    const session = new ShellSession({ commands: world.commands, views: world.views, computerName: 'EDGE01.contoso.com' }, host);
    await session.runInteractiveLines();
    assert.equal(host.err, '');
    assert.match(host.out, /after: True\n1 Stopped \$c = Get-Credential\n2 Completed "after: \$\(\$null -eq \$c\)"\n$/);
  });
  it('exit and quit end the input', async () => {
    for (const word of ['exit', 'QUIT', ' exit ']) {
      const { session, host } = testShell({ lines: ['"before"', word, '"after"'] });
      await session.runInteractiveLines();
      assert.equal(host.out, 'before\n', word);
    }
  });
});
