import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { commandHelp, parseCommandLine, UsageError, type CommandSpec } from './command-line.js';
import { COMMANDS } from './main.js';

const shell = COMMANDS.shell;
const setup = COMMANDS.setup;

function usageError(fn: () => unknown, command: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.command, command);
    assert.match(err.message, message);
    return true;
  });
}

describe('parseCommandLine', () => {
  it('takes a value after a space or after "="', () => {
    const a = parseCommandLine(setup, ['--role', 'Edge', '--name=EDGE01', '--fqdn=edge01.contoso.net', '--data', '/srv/EDGE01']);
    assert.equal(a.string('role'), 'Edge');
    assert.equal(a.string('name'), 'EDGE01');
    assert.equal(a.string('fqdn'), 'edge01.contoso.net');
    assert.equal(a.string('data'), '/srv/EDGE01');
    assert.equal(a.has('org'), false);
    assert.equal(a.help, false);
  });

  it("keeps the shell's -c/-Command and -f/-File, and a value that starts with a dash", () => {
    assert.equal(parseCommandLine(shell, ['-c', 'Get-TransportService']).string('Command'), 'Get-TransportService');
    assert.equal(parseCommandLine(shell, ['-Command', '-not $true']).string('Command'), '-not $true');
    assert.equal(parseCommandLine(shell, ['-File', 'x.ps1', '--data', 'D']).string('File'), 'x.ps1');
    assert.equal(parseCommandLine(shell, ['-f', 'y.ps1']).string('File'), 'y.ps1');
    // The value of an option is never read as an option, even when it is spelled like one.
    const a = parseCommandLine(shell, ['-c', '-File', '--data', '--echo']);
    assert.equal(a.string('Command'), '-File');
    assert.equal(a.string('data'), '--echo');
    assert.equal(a.has('File'), false);
    assert.equal(a.has('echo'), false);
  });

  it('sets switches', () => {
    const a = parseCommandLine(COMMANDS.check, ['--offline', '--json']);
    assert.equal(a.has('offline'), true);
    assert.equal(a.has('json'), true);
    assert.equal(a.string('json'), undefined);
  });

  it('refuses an unknown option, naming the command', () => {
    usageError(() => parseCommandLine(setup, ['--role', 'Edge', '--bogus']), 'setup', /^unknown option --bogus$/);
    usageError(() => parseCommandLine(setup, ['--bogus=1']), 'setup', /^unknown option --bogus$/);
    usageError(() => parseCommandLine(COMMANDS.lab, ['-xyz']), 'lab', /^unknown option -xyz$/);
    usageError(() => parseCommandLine(COMMANDS.status, ['-Command', 'x']), 'status', /^unknown option -Command$/);
  });

  it('refuses a missing value, a value given to a switch, and extra arguments', () => {
    usageError(() => parseCommandLine(setup, ['--role']), 'setup', /^option --role needs a value/);
    usageError(() => parseCommandLine(shell, ['-c']), 'shell', /^option -c needs a value/);
    usageError(() => parseCommandLine(COMMANDS.status, ['--json=yes']), 'status', /^option --json takes no value/);
    usageError(() => parseCommandLine(COMMANDS.status, ['extra']), 'status', /^unexpected argument extra$/);
    usageError(() => parseCommandLine(COMMANDS['dovecot-auth'], ['--data', 'D', 'reply', 'more']), 'dovecot-auth', /^unexpected argument more$/);
  });

  it('takes positionals where the command has them, also after --', () => {
    assert.deepEqual(parseCommandLine(COMMANDS['dovecot-auth'], ['--data', 'D', '/usr/lib/dovecot/checkpassword-reply']).positionals, ['/usr/lib/dovecot/checkpassword-reply']);
    assert.deepEqual(parseCommandLine(COMMANDS['dovecot-auth'], ['--data=D', '--', '-odd-name']).positionals, ['-odd-name']);
  });

  it('asks for the help with -h or --help anywhere among the options', () => {
    assert.equal(parseCommandLine(setup, ['--help']).help, true);
    assert.equal(parseCommandLine(setup, ['--role', 'Edge', '-h', '--bogus']).help, true);
    assert.equal(parseCommandLine(shell, ['-c', '--help']).help, false, 'the value of -c');
    assert.equal(parseCommandLine(COMMANDS['dovecot-auth'], ['--', '--help']).help, false, 'after --');
  });

  it('gives every command a help with its usage and each option', () => {
    for (const spec of Object.values(COMMANDS)) {
      const help = commandHelp(spec);
      assert.match(help, new RegExp(`^usage: gatehouse ${spec.name}\\b`));
      for (const o of spec.options) assert.ok(help.includes(`--${o.name}`), `${spec.name} --help names --${o.name}`);
      assert.match(help, /-h, --help/);
    }
    assert.match(commandHelp(shell), /-c, -Command, --Command COMMAND +run these statements and exit/);
  });

  it('accepts exactly the options a command declares', () => {
    const spec: CommandSpec = { name: 'demo', usage: [''], summary: 'A demo.', options: [{ name: 'to', type: 'string', value: 'FILE', description: 'where' }] };
    assert.equal(parseCommandLine(spec, ['--to=a']).string('to'), 'a');
    usageError(() => parseCommandLine(spec, ['--data', 'x']), 'demo', /unknown option --data/);
  });
});

describe('gatehouse COMMAND --help and bad options', () => {
  const bin = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url));
  const gatehouse = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, GATEHOUSE_DATA: '' } });

  it("prints a command's help and exits 0", () => {
    for (const args of [
      ['setup', '--help'],
      ['setup', '-h'],
      ['help', 'setup'],
    ]) {
      const r = gatehouse(args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: gatehouse setup --role EdgeTransport\|Mailbox --name NAME/);
      assert.match(r.stdout, /--org-key FILE +the key of a PostgreSQL organization store/);
    }
  });

  it('names the command and its --help for an unknown option (exit 2)', () => {
    const r = gatehouse(['setup', '--bogus']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^gatehouse setup: unknown option --bogus\nusage: gatehouse setup .*\nSee gatehouse setup --help for its options\.\n$/);
  });

  it('keeps its messages for bad values (exit 2)', () => {
    const r = gatehouse(['setup', '--role=Gateway', '--name', 'X', '--fqdn', 'x.contoso.com', '--data', '/nonexistent/X']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^gatehouse setup: --role must be EdgeTransport or Mailbox\n/);
    const status = gatehouse(['status']);
    assert.equal(status.status, 2);
    assert.match(status.stderr, /^gatehouse status: say which server: --data DIR \(or set GATEHOUSE_DATA\)/);
  });
});
