// The `gatehouse` command: wires the pieces together. `setup` creates a server
// folder; `shell` opens the Exchange Management Shell of a server (interactive
// on a terminal, or running -c COMMAND, -f SCRIPT.ps1 or piped standard input);
// `backup` and `restore` copy a server to one file and back.
// Every command that writes into server folders runs with umask 077, so what it
// creates there (stores and their -wal/-shm, logs, Maildir files, the status
// file) is private to its user whatever umask it was started with.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { PRODUCT_VERSION, type ServerRoleName } from '../config/model/server.js';
import { PRIVATE_UMASK } from '../setup/folder-privacy.js';
import { SetupError, setupServer } from '../setup/setup.js';
import { runShell } from './shell-command.js';
import { runRemoteShell } from './remote-shell-command.js';
import { runStart } from './start-command.js';
import { runStatus } from './status-command.js';
import { runCheck } from './check-command.js';
import { runLab } from './lab-command.js';
import { KeyRotationError, rotateKey } from '../setup/key-rotation.js';
import { askOrganizationPassword } from '../setup/organization-password.js';
import { organizationStoreOf } from '../setup/server-folder.js';
import { runBackup, runRestore } from './backup-command.js';
import { runDovecotAuth } from './dovecot-auth-command.js';
import { commandHelp, parseCommandLine, UsageError, type CommandLine, type CommandSpec, type OptionSpec } from './command-line.js';

const USAGE = `usage:
  gatehouse setup --role EdgeTransport|Mailbox --name NAME --fqdn FQDN --data DIR [--org ORG.db | --org postgresql://USER@HOST:PORT/DB [--org-key FILE]]
  gatehouse shell [--data DIR] [-c COMMAND | -f SCRIPT.ps1]     (reads a script from piped standard input too;
                                                                 --echo prints each statement as a transcript)
  gatehouse shell --connect https://SERVER/PowerShell/ [--user DOMAIN\\USER] [--skip-ca-check] [--skip-cn-check]
                  [--data DIR] [-c COMMAND | -f SCRIPT.ps1]      (a shell whose cmdlets run on that server's
                                                                 management endpoint; asks for the password, or
                                                                 reads it from the next line of piped input; --data
                                                                 trusts that local server's certificates too)
  gatehouse start [--data DIR] [--metrics ADDRESS:PORT [--metrics-token-file FILE]]
                                                                 (the transport service, in the foreground;
                                                                 Prometheus /metrics and /health on that IP
                                                                 address only, e.g. --metrics 127.0.0.1:9425,
                                                                 as in the README; with a token file, /metrics
                                                                 needs "Authorization: Bearer <token>" and
                                                                 /health answers its status alone without it)
  gatehouse status [--data DIR] [--json]                         (running or not, bound addresses, queue summary;
                                                                 exit 0 running, 3 not running, 4 degraded: some
                                                                 Receive connectors could not bind)
  gatehouse check [--data DIR] [--offline] [--json]             (the whole configuration of a server, as postfix
                                                                 check: modes, certificates, bindings, routes, DNS
                                                                 servers (not probed with --offline), credentials,
                                                                 the organization store; each finding with the
                                                                 command that fixes it; exit 0 clean, 1 findings)
  gatehouse backup [--data DIR] --to FILE                        (a consistent copy of the server, running or not:
                                                                 its stores, keys, queue with its spool, Maildir
                                                                 and logs, and a SQLite organization store; one
                                                                 file, mode 0600)
  gatehouse restore --from FILE [--data DIR] [--force] [--org ORG.db]
                                                                 (brings a backup back into an empty or new folder,
                                                                 or replaces its content with --force; a Mailbox
                                                                 server's organization store goes to a new file)
  gatehouse lab [--dir DIR] [--once | --keep-running] [--port-base N] [--dns builtin|dnsmasq]
                [--org-store sqlite|postgresql]                  (the seed's topology on loopback: an Edge, two
                                                                 Mailbox servers, the Internet; default DIR data/lab;
                                                                 postgresql: the organization in a private PostgreSQL
                                                                 cluster, MBX01 and MBX02 each as its own user)
  gatehouse rotate-key [--data DIR] --new-key FILE              (seals the configuration store's secrets under a new
                                                                 master key, written to FILE and put in place of the
                                                                 old one; see README, "Several hosts")
  gatehouse dovecot-auth --data DIR REPLY                       (Dovecot's checkpassword passdb: mailbox users log on
                                                                 to IMAP and POP3 with their Gatehouse passwords)
  gatehouse version

DIR defaults to $GATEHOUSE_DATA. The server folder must be private to the service's user
(setup makes it 0700, files 0600); start refuses one that group or others can read. A Mailbox server's organization store (--org) defaults
to organization.db beside DIR, so Mailbox servers set up side by side share it.
Each command's options: gatehouse COMMAND --help (or gatehouse help COMMAND). A value follows its option, or comes after "=" (--data=DIR).`;

export { UsageError };

const DATA: OptionSpec = { name: 'data', type: 'string', value: 'DIR', description: 'the server folder (default $GATEHOUSE_DATA)' };

/** Every command's options and help. */
export const COMMANDS: Record<string, CommandSpec> = {
  setup: {
    name: 'setup',
    usage: ['--role EdgeTransport|Mailbox --name NAME --fqdn FQDN --data DIR [--org ORG.db | --org postgresql://USER@HOST:PORT/DB [--org-key FILE]]'],
    summary: 'Creates a server folder: its configuration store, master key and default configuration (0700, files 0600).',
    options: [
      { name: 'role', type: 'string', value: 'EdgeTransport|Mailbox', description: 'the server role (Edge is EdgeTransport too)' },
      { name: 'name', type: 'string', value: 'NAME', description: 'the server name, e.g. EDGE01' },
      { name: 'fqdn', type: 'string', value: 'FQDN', description: 'the server FQDN, e.g. edge01.contoso.net' },
      { ...DATA, description: 'the new server folder (default $GATEHOUSE_DATA)' },
      { name: 'org', type: 'string', value: 'ORG.db|postgresql://USER@HOST:PORT/DB', description: "a Mailbox server's organization store (default organization.db beside DIR, shared by Mailbox servers set up side by side)" },
      { name: 'org-key', type: 'string', value: 'FILE', description: 'the key of a PostgreSQL organization store' },
    ],
  },
  shell: {
    name: 'shell',
    usage: ['[--data DIR] [-c COMMAND | -f SCRIPT.ps1] [--echo]', '--connect https://SERVER/PowerShell/ [--user DOMAIN\\USER] [--skip-ca-check] [--skip-cn-check] [--data DIR] [-c COMMAND | -f SCRIPT.ps1]'],
    summary:
      'The Exchange Management Shell of a server: interactive on a terminal, or running -c COMMAND, -f SCRIPT.ps1 or a script piped to standard input. ' +
      "With --connect, a shell whose cmdlets run on that server's management endpoint; it asks for the password, or reads it from the next line of piped input.",
    options: [
      { ...DATA, description: 'the server folder (default $GATEHOUSE_DATA); with --connect, a local server whose certificates are trusted too' },
      { name: 'Command', type: 'string', short: 'c', aliases: ['-Command'], value: 'COMMAND', description: 'run these statements and exit' },
      { name: 'File', type: 'string', short: 'f', aliases: ['-File'], value: 'SCRIPT.ps1', description: 'run this script and exit' },
      { name: 'echo', type: 'boolean', description: 'print each statement of piped standard input as a transcript' },
      { name: 'connect', type: 'string', value: 'URL', description: 'the management endpoint of a server, https://SERVER/PowerShell/' },
      { name: 'user', type: 'string', value: 'DOMAIN\\USER', description: 'with --connect: the account (asked for when not given)' },
      { name: 'skip-ca-check', type: 'boolean', description: 'with --connect: accept a certificate no trusted authority issued' },
      { name: 'skip-cn-check', type: 'boolean', description: 'with --connect: accept a certificate for another name' },
    ],
  },
  start: {
    name: 'start',
    usage: ['[--data DIR] [--metrics ADDRESS:PORT [--metrics-token-file FILE]]'],
    summary: 'Runs the transport service in the foreground.',
    options: [
      DATA,
      { name: 'metrics', type: 'string', value: 'ADDRESS:PORT', description: 'serve Prometheus /metrics and /health on that IP address only, e.g. 127.0.0.1:9425 or [::1]:9425' },
      { name: 'metrics-token-file', type: 'string', value: 'FILE', description: '/metrics needs "Authorization: Bearer <token>" with the token in FILE; /health answers its status alone without it' },
    ],
  },
  status: {
    name: 'status',
    usage: ['[--data DIR] [--json]'],
    summary: 'Running or not, bound addresses, queue summary. Exit 0 running, 3 not running, 4 degraded (some Receive connectors could not bind).',
    options: [DATA, { name: 'json', type: 'boolean', description: 'the same as one JSON object' }],
  },
  check: {
    name: 'check',
    usage: ['[--data DIR] [--offline] [--json]'],
    summary:
      'Checks the whole configuration of a server, as postfix check does: modes, certificates, bindings, routes, DNS servers, credentials, the organization store; ' + 'each finding with the command that fixes it. Exit 0 clean, 1 findings.',
    options: [DATA, { name: 'offline', type: 'boolean', description: 'do not probe the DNS servers' }, { name: 'json', type: 'boolean', description: 'the findings as one JSON object' }],
  },
  backup: {
    name: 'backup',
    usage: ['[--data DIR] --to FILE'],
    summary: 'A consistent copy of the server, running or not: its stores, keys, queue with its spool, Maildir and logs, and a SQLite organization store; one file, mode 0600.',
    options: [DATA, { name: 'to', type: 'string', value: 'FILE', description: 'where the backup goes (outside the server folder)' }],
  },
  restore: {
    name: 'restore',
    usage: ['--from FILE [--data DIR] [--force] [--org ORG.db]'],
    summary: "Brings a backup back into an empty or new folder, or replaces its content with --force; a Mailbox server's organization store goes to a new file.",
    options: [
      { name: 'from', type: 'string', value: 'FILE', description: 'the backup file' },
      DATA,
      { name: 'force', type: 'boolean', description: 'replace the content of a folder that is not empty' },
      { name: 'org', type: 'string', value: 'ORG.db', description: "where a Mailbox server's organization store goes" },
    ],
  },
  lab: {
    name: 'lab',
    usage: ['[--dir DIR] [--once | --keep-running] [--port-base N] [--dns builtin|dnsmasq] [--org-store sqlite|postgresql]'],
    summary: "The seed's topology on loopback: an Edge, two Mailbox servers, the Internet.",
    options: [
      { name: 'dir', type: 'string', value: 'DIR', description: 'the lab folder (default data/lab)' },
      { name: 'once', type: 'boolean', description: 'deliver the messages and exit (the default): 0 when every one was delivered' },
      { name: 'keep-running', type: 'boolean', description: 'keep the servers up until SIGINT/SIGTERM' },
      { name: 'port-base', type: 'string', value: 'N', description: 'add N to every port (0 to 64948), e.g. 20000 without the privilege for port 25' },
      { name: 'dns', type: 'string', value: 'builtin|dnsmasq', description: "the lab's own DNS server (default) or dnsmasq" },
      { name: 'org-store', type: 'string', value: 'sqlite|postgresql', description: 'the organization in one file (default), or in a private PostgreSQL cluster with MBX01 and MBX02 each as its own user' },
    ],
  },
  'rotate-key': {
    name: 'rotate-key',
    usage: ['[--data DIR] --new-key FILE'],
    summary: 'Seals the configuration store\'s secrets under a new master key, written to FILE and put in place of the old one (README, "Several hosts").',
    options: [DATA, { name: 'new-key', type: 'string', value: 'FILE', description: 'where the new key is written (a new file, mode 0600)' }],
  },
  'dovecot-auth': {
    name: 'dovecot-auth',
    usage: ['--data DIR REPLY'],
    summary: "Dovecot's checkpassword passdb: mailbox users log on to IMAP and POP3 with their Gatehouse passwords.",
    options: [DATA],
    positionals: { name: 'REPLY', description: 'the reply program Dovecot names', max: 1 },
  },
};

function dataDir(args: CommandLine): string {
  const dir = args.string('data') ?? process.env.GATEHOUSE_DATA;
  if (!dir) throw args.error('say which server: --data DIR (or set GATEHOUSE_DATA)');
  return dir;
}

async function setup(args: CommandLine): Promise<number> {
  const roleText = args.string('role');
  const roles: Record<string, ServerRoleName> = { edgetransport: 'EdgeTransport', edge: 'EdgeTransport', mailbox: 'Mailbox' };
  const role = roleText ? roles[roleText.toLowerCase()] : undefined;
  if (!role) throw args.error('--role must be EdgeTransport or Mailbox');
  const name = args.string('name');
  const fqdn = args.string('fqdn');
  if (!name) throw args.error('--name NAME is required (e.g. EDGE01)');
  if (!fqdn) throw args.error('--fqdn FQDN is required (e.g. edge01.contoso.net)');
  try {
    const result = await setupServer({ role, name, fqdn, dataDir: dataDir(args), orgPath: args.string('org'), orgKeyPath: args.string('org-key') });
    for (const line of result.lines) process.stdout.write(line + '\n');
    return 0;
  } catch (err) {
    if (err instanceof SetupError) {
      process.stderr.write(`gatehouse setup: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function shell(args: CommandLine): Promise<number> {
  const command = args.string('Command');
  const file = args.string('File');
  if (command !== undefined && file !== undefined) throw args.error('give either -c COMMAND or -f SCRIPT, not both');
  let script: { text: string; source?: string } | undefined;
  if (command !== undefined) script = { text: command };
  if (file !== undefined) {
    try {
      script = { text: readFileSync(file, 'utf8'), source: file };
    } catch (err) {
      throw new Error(`cannot read the script ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (args.has('echo') && script) throw args.error('--echo writes a transcript of piped standard input; it does not combine with -c or -f');
  const connect = args.string('connect');
  if (connect !== undefined) {
    return runRemoteShell(
      {
        url: connect,
        ...(args.has('user') && { user: args.string('user') }),
        skipCaCheck: args.has('skip-ca-check'),
        skipCnCheck: args.has('skip-cn-check'),
        ...(args.has('data') && { dataDir: args.string('data') }),
        echo: args.has('echo'),
      },
      script,
    );
  }
  for (const f of ['user', 'skip-ca-check', 'skip-cn-check']) if (args.has(f)) throw args.error(`--${f} goes with --connect URL`);
  return runShell(dataDir(args), script, { echo: args.has('echo') });
}

/** `--metrics ADDRESS:PORT`: an IP address of this machine (IPv6 in brackets) and a port; nothing is guessed. */
export function metricsAddress(text: string): { host: string; port: number } {
  const example = 'e.g. 127.0.0.1:9425 or [::1]:9425';
  const m = /^(?:\[([^\]]*)\]|([^:\[\]]*)):(\d*)$/.exec(text);
  if (!m) throw new UsageError(`--metrics ${text}: give ADDRESS:PORT, the IP address and port the endpoint listens on (${example}; IPv6 in brackets)`, 'start');
  const host = m[1] ?? m[2];
  if (host === '') throw new UsageError(`--metrics ${text}: the address is missing; say where the endpoint listens (${example}). It listens on that address only, never on every interface by default`, 'start');
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4) {
    throw new UsageError(`--metrics ${text}: ${host} is not an ${m[1] !== undefined ? 'IPv6' : 'IPv4'} address; give an IP address of this machine (${example}), not a host name`, 'start');
  }
  const port = Number(m[3]);
  if (m[3] === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--metrics ${text}: the port must be a number from 1 to 65535 (${example})`, 'start');
  return { host, port };
}

/** Commands that create files in server folders. */
const PRIVATE_COMMANDS = new Set(['setup', 'shell', 'start', 'status', 'check', 'lab', 'backup', 'restore', 'rotate-key', 'dovecot-auth']);

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (PRIVATE_COMMANDS.has(sub)) process.umask(PRIVATE_UMASK);
  try {
    const spec = sub === undefined ? undefined : COMMANDS[sub];
    if (spec) {
      const args = parseCommandLine(spec, rest);
      if (args.help) {
        process.stdout.write(commandHelp(spec));
        return 0;
      }
      return await run(args);
    }
    switch (sub) {
      case 'version':
      case '--version':
        process.stdout.write(`gatehouse ${PRODUCT_VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h': {
        const about = sub === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
        if (sub === 'help' && rest[0] !== undefined && !about) throw new UsageError(`unknown command ${rest[0]}`);
        process.stdout.write(about ? commandHelp(about) : USAGE + '\n');
        return sub === undefined ? 2 : 0;
      }
      default:
        throw new UsageError(`unknown command ${sub}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const spec = err.command === undefined ? undefined : COMMANDS[err.command];
      process.stderr.write(
        spec ? `gatehouse ${spec.name}: ${err.message}\n${spec.usage.map((u) => `usage: gatehouse ${spec.name} ${u}`).join('\n')}\nSee gatehouse ${spec.name} --help for its options.\n` : `gatehouse: ${err.message}\n${USAGE}\n`,
      );
      return 2;
    }
    if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError) && !(err instanceof ReferenceError)) {
      process.stderr.write(`gatehouse ${sub}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Runs a command whose command line was read. */
async function run(args: CommandLine): Promise<number> {
  switch (args.command) {
    case 'setup':
      return await setup(args);
    case 'shell':
      return await shell(args);
    case 'start': {
      const m = args.string('metrics');
      const tokenFile = args.string('metrics-token-file');
      if (tokenFile !== undefined && m === undefined) throw args.error('--metrics-token-file protects the metrics endpoint: give --metrics ADDRESS:PORT too');
      const metrics = m === undefined ? undefined : { ...metricsAddress(m), ...(tokenFile !== undefined && { tokenFile }) };
      return await runStart(dataDir(args), metrics);
    }
    case 'rotate-key': {
      const newKey = args.string('new-key');
      if (!newKey) throw args.error('--new-key FILE is required: where the new key is written (a new file, mode 0600)');
      const dir = dataDir(args);
      const orgPassword = await askOrganizationPassword(organizationStoreOf(dir));
      try {
        for (const line of rotateKey(dir, newKey, { ...(orgPassword !== undefined && { orgPassword }) }).lines) process.stdout.write(line + '\n');
        return 0;
      } catch (err) {
        if (!(err instanceof KeyRotationError)) throw err;
        process.stderr.write(`gatehouse rotate-key: ${err.message}\n`);
        return 1;
      }
    }
    case 'status':
      return runStatus(dataDir(args), (t) => process.stdout.write(t), { json: args.has('json') });
    case 'check':
      return await runCheck(dataDir(args), { offline: args.has('offline'), json: args.has('json') }, (t) => process.stdout.write(t));
    case 'backup': {
      const to = args.string('to');
      if (!to) throw args.error('say where the backup goes: --to FILE (outside the server folder)');
      return await runBackup(dataDir(args), to, (t) => process.stdout.write(t));
    }
    case 'restore': {
      const from = args.string('from');
      if (!from) throw args.error('say which backup to restore: --from FILE');
      return runRestore(
        { from, dataDir: dataDir(args), force: args.has('force'), ...(args.has('org') && { orgPath: args.string('org') }) },
        (t) => process.stdout.write(t),
        (t) => process.stderr.write(t),
      );
    }
    case 'lab': {
      if (args.has('keep-running') && args.has('once')) throw args.error('give either --keep-running or --once');
      const base = args.string('port-base') ?? '0';
      if (!/^\d{1,5}$/.test(base) || Number(base) + 587 > 65535) throw args.error(`--port-base ${base}: give a number from 0 to 64948, e.g. 20000`);
      const dns = (args.string('dns') ?? 'builtin').toLowerCase();
      if (dns !== 'builtin' && dns !== 'dnsmasq') throw args.error(`--dns ${dns}: give builtin (the lab's own DNS server) or dnsmasq`);
      const orgStore = (args.string('org-store') ?? 'sqlite').toLowerCase();
      if (orgStore !== 'sqlite' && orgStore !== 'postgresql') throw args.error(`--org-store ${orgStore}: give sqlite (one organization file beside the server folders) or postgresql (a private PostgreSQL cluster the lab starts)`);
      if (Number(base) + 5432 > 65535 && orgStore === 'postgresql') throw args.error(`--port-base ${base}: with --org-store postgresql, give a number up to 60103`);
      return await runLab({ dir: args.string('dir') ?? 'data/lab', portBase: Number(base), keepRunning: args.has('keep-running'), dns, orgStore });
    }
    case 'dovecot-auth':
      return await runDovecotAuth(dataDir(args), args.positionals[0]);
    default:
      throw new UsageError(`unknown command ${args.command}`);
  }
}
