// The command lines of the seed procedure (Configure Internet mail flow
// through an Edge Transport server without using EdgeSync) parse, bind
// against commands with the same parameter names, and run verbatim with
// Get-Credential answered from the input lines.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CommandAst } from './ast.js';
import { CommandBinder, type BindItem } from './binder.js';
import { evaluate } from './evaluator.js';
import { testShell } from './fixtures.js';
import { parseScript } from './parser.js';
import { PSCredential, SecureString } from './values.js';

const copy = fileURLToPath(new URL('../../../src/shell/testdata/seed-commands.ps1', import.meta.url));
const original = fileURLToPath(new URL('../../../../shared/seed/000_e504709cd81ff148.txt', import.meta.url));
const commands = readFileSync(copy, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

describe('seed procedure', () => {
  it('the copy holds the command lines of the seed document', { skip: !existsSync(original) }, () => {
    const lines = readFileSync(original, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => /^(New-|Set-|Get-)[A-Za-z]+Connector\b|^\$\w+ = Get-Credential$/.test(l));
    assert.deepEqual(lines, commands);
    assert.equal(commands.length, 10);
  });

  it('every command line parses and binds', async () => {
    const { session } = testShell();
    const rt = session.runtime;
    rt.variables.set('MailboxCredentials', new PSCredential('CONTOSO\\relay', new SecureString('x')));
    rt.variables.set('EdgeCredentials', new PSCredential('relay', new SecureString('y')));
    for (const line of commands) {
      const script = parseScript(line);
      rt.source = script.source;
      for (const statement of script.statements) {
        const pipeline = statement.kind === 'assignment' ? statement.value : statement;
        assert.equal(pipeline.kind, 'pipeline', line);
        if (pipeline.kind !== 'pipeline') continue;
        for (const el of pipeline.elements) {
          assert.equal(el.kind, 'command', line);
          const cmd = el as CommandAst;
          const spec = rt.resolveCommand(cmd.name as string);
          assert.ok(spec, `${String(cmd.name)} is known`);
          const items: BindItem[] = [];
          for (const e of cmd.elements) {
            if (e.kind === 'parameter') {
              items.push({ kind: 'parameter', name: e.name, extent: e.extent, colon: e.colon, argument: e.argument ? { value: await evaluate(rt, e.argument), extent: e.argument.extent } : undefined });
            } else {
              items.push({ kind: 'argument', value: await evaluate(rt, e), extent: e.extent, text: '' });
            }
          }
          const binder = new CommandBinder(spec);
          binder.bindCommandLine(items);
          const set = binder.resolveSet();
          const hasPipelineInput = pipeline.elements.indexOf(el) > 0;
          if (!hasPipelineInput)
            assert.deepEqual(
              binder.missingMandatory(set).map((p) => p.name),
              [],
              line,
            );
        }
      }
    }
  });

  it('binds the seed values as typed', async () => {
    const { session, world } = testShell({ lines: ['CONTOSO\\edgeauth', 'Mbx-Secret'] });
    const edge = commands.slice(0, 7).join('\n');
    assert.equal(await session.runScript(edge), true);
    const internal = world.send.find((s) => s.get('Name') === 'To Internal Org');
    assert.ok(internal);
    assert.deepEqual(internal.get('SmartHosts'), ['mbxserver01.contoso.com', 'mbxserver02.contoso.com']);
    assert.equal(internal.get('DNSRoutingEnabled'), false);
    const cred = internal.get('AuthenticationCredential');
    assert.ok(cred instanceof PSCredential);
    assert.equal(cred.UserName, 'CONTOSO\\edgeauth');
    assert.equal(cred.Password.reveal(), 'Mbx-Secret');
    const fromOrg = world.receive.find((r) => r.get('Name') === 'From Internal Org');
    assert.deepEqual(fromOrg?.get('RemoteIPRanges'), ['192.168.5.10', '192.168.5.20']);
    assert.deepEqual(world.receive[0].get('Bindings'), ['10.1.1.1:25']);
    assert.equal(world.receive[0].get('Name'), 'From Internet');
  });

  it('runs the Edge procedure verbatim; Format-List drops the misspelled DSNRoutingEnabled', async () => {
    const { session, host } = testShell({ lines: ['CONTOSO\\edgeauth', 'Mbx-Secret'] });
    assert.equal(await session.runScript(commands.slice(0, 7).join('\n')), true);
    assert.equal(host.err, '');
    assert.ok(!/DSNRoutingEnabled/i.test(host.out));
    assert.ok(!host.out.includes('Mbx-Secret'));
    assert.ok(
      host.out.includes(
        [
          'Name                   : To Internal Org',
          'Usage                  : Internal',
          'AddressSpaces          : {SMTP:*.contoso.com;1}',
          'SourceTransportServers : {}',
          'SmartHosts             : {mbxserver01.contoso.com, mbxserver02.contoso.com}',
          'SmartHostAuthMechanism : BasicAuthRequireTLS',
          '',
        ].join('\n'),
      ),
      host.out,
    );
    assert.ok(host.out.includes('\ncmdlet Get-Credential at command pipeline position 1\nSupply values for the following parameters:\nCredential\nUser: \nPassword for user CONTOSO\\edgeauth: \n\n'), host.out);
  });

  it('runs the Mailbox procedure line by line from piped input', async () => {
    const lines = commands.slice(7).flatMap((l) => (l.endsWith('Get-Credential') ? [l, 'mbxrelay', 'Edge-Secret'] : [l]));
    const { session, host, world } = testShell({ lines });
    assert.equal(await session.runInteractiveLines(), true, host.err);
    const toEdge = world.send.find((s) => s.get('Name') === 'To Edge');
    assert.deepEqual(toEdge?.get('SourceTransportServers'), ['mbxserver01.contoso.com', 'mbxserver02.contoso.com']);
    assert.match(host.out, /SmartHosts {13}: \{edge01\.contoso\.com\}/);
  });
});
