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
to organization.db beside DIR, so Mailbox servers set up side by side share it.`;

export class UsageError extends Error {}

interface Parsed {
  flags: Map<string, string>;
  rest: string[];
}

function parseFlags(argv: string[], known: Record<string, 'value' | 'switch'>): Parsed {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const kind = known[a];
    if (kind === undefined) {
      if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
      rest.push(a);
    } else if (kind === 'switch') {
      flags.set(a, 'true');
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      flags.set(a, argv[++i]);
    }
  }
  return { flags, rest };
}

function dataDir(flags: Map<string, string>): string {
  const dir = flags.get('--data') ?? process.env.GATEHOUSE_DATA;
  if (!dir) throw new UsageError('say which server: --data DIR (or set GATEHOUSE_DATA)');
  return dir;
}

async function setup(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, { '--role': 'value', '--name': 'value', '--fqdn': 'value', '--data': 'value', '--org': 'value', '--org-key': 'value' });
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  const roleText = flags.get('--role');
  const roles: Record<string, ServerRoleName> = { edgetransport: 'EdgeTransport', edge: 'EdgeTransport', mailbox: 'Mailbox' };
  const role = roleText ? roles[roleText.toLowerCase()] : undefined;
  if (!role) throw new UsageError('--role must be EdgeTransport or Mailbox');
  const name = flags.get('--name');
  const fqdn = flags.get('--fqdn');
  if (!name) throw new UsageError('--name NAME is required (e.g. EDGE01)');
  if (!fqdn) throw new UsageError('--fqdn FQDN is required (e.g. edge01.contoso.net)');
  try {
    const result = await setupServer({ role, name, fqdn, dataDir: dataDir(flags), orgPath: flags.get('--org'), orgKeyPath: flags.get('--org-key') });
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

async function shell(argv: string[]): Promise<number> {
  const { flags, rest } = parseFlags(argv, {
    '--data': 'value', '-c': 'value', '-Command': 'value', '-f': 'value', '-File': 'value', '--echo': 'switch',
    '--connect': 'value', '--user': 'value', '--skip-ca-check': 'switch', '--skip-cn-check': 'switch',
  });
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  const command = flags.get('-c') ?? flags.get('-Command');
  const file = flags.get('-f') ?? flags.get('-File');
  if (command !== undefined && file !== undefined) throw new UsageError('give either -c COMMAND or -f SCRIPT, not both');
  let script: { text: string; source?: string } | undefined;
  if (command !== undefined) script = { text: command };
  if (file !== undefined) {
    try {
      script = { text: readFileSync(file, 'utf8'), source: file };
    } catch (err) {
      throw new Error(`cannot read the script ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (flags.has('--echo') && script) throw new UsageError('--echo writes a transcript of piped standard input; it does not combine with -c or -f');
  const connect = flags.get('--connect');
  if (connect !== undefined) {
    return runRemoteShell({
      url: connect, ...(flags.has('--user') && { user: flags.get('--user') }), skipCaCheck: flags.has('--skip-ca-check'), skipCnCheck: flags.has('--skip-cn-check'),
      ...(flags.has('--data') && { dataDir: flags.get('--data') }), echo: flags.has('--echo'),
    }, script);
  }
  for (const f of ['--user', '--skip-ca-check', '--skip-cn-check']) if (flags.has(f)) throw new UsageError(`${f} goes with --connect URL`);
  return runShell(dataDir(flags), script, { echo: flags.has('--echo') });
}

/** `--metrics ADDRESS:PORT`: an IP address of this machine (IPv6 in brackets) and a port; nothing is guessed. */
export function metricsAddress(text: string): { host: string; port: number } {
  const example = 'e.g. 127.0.0.1:9425 or [::1]:9425';
  const m = /^(?:\[([^\]]*)\]|([^:\[\]]*)):(\d*)$/.exec(text);
  if (!m) throw new UsageError(`--metrics ${text}: give ADDRESS:PORT, the IP address and port the endpoint listens on (${example}; IPv6 in brackets)`);
  const host = m[1] ?? m[2];
  if (host === '') throw new UsageError(`--metrics ${text}: the address is missing; say where the endpoint listens (${example}). It listens on that address only, never on every interface by default`);
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4) {
    throw new UsageError(`--metrics ${text}: ${host} is not an ${m[1] !== undefined ? 'IPv6' : 'IPv4'} address; give an IP address of this machine (${example}), not a host name`);
  }
  const port = Number(m[3]);
  if (m[3] === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--metrics ${text}: the port must be a number from 1 to 65535 (${example})`);
  return { host, port };
}

/** Commands that create files in server folders. */
const PRIVATE_COMMANDS = new Set(['setup', 'shell', 'start', 'status', 'check', 'lab', 'backup', 'restore', 'rotate-key', 'dovecot-auth']);

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (PRIVATE_COMMANDS.has(sub)) process.umask(PRIVATE_UMASK);
  try {
    switch (sub) {
      case 'setup':
        return await setup(rest);
      case 'shell':
        return await shell(rest);
      case 'start': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value', '--metrics': 'value', '--metrics-token-file': 'value' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        const m = flags.get('--metrics');
        const tokenFile = flags.get('--metrics-token-file');
        if (tokenFile !== undefined && m === undefined) throw new UsageError('--metrics-token-file protects the metrics endpoint: give --metrics ADDRESS:PORT too');
        const metrics = m === undefined ? undefined : { ...metricsAddress(m), ...(tokenFile !== undefined && { tokenFile }) };
        return await runStart(dataDir(flags), metrics);
      }
      case 'rotate-key': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value', '--new-key': 'value' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        const newKey = flags.get('--new-key');
        if (!newKey) throw new UsageError('--new-key FILE is required: where the new key is written (a new file, mode 0600)');
        const dir = dataDir(flags);
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
      case 'status': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value', '--json': 'switch' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        return runStatus(dataDir(flags), (t) => process.stdout.write(t), { json: flags.has('--json') });
      }
      case 'check': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value', '--offline': 'switch', '--json': 'switch' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        return await runCheck(dataDir(flags), { offline: flags.has('--offline'), json: flags.has('--json') }, (t) => process.stdout.write(t));
      }
      case 'backup': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value', '--to': 'value' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        const to = flags.get('--to');
        if (!to) throw new UsageError('say where the backup goes: --to FILE (outside the server folder)');
        return await runBackup(dataDir(flags), to, (t) => process.stdout.write(t));
      }
      case 'restore': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value', '--from': 'value', '--force': 'switch', '--org': 'value' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        const from = flags.get('--from');
        if (!from) throw new UsageError('say which backup to restore: --from FILE');
        return runRestore({ from, dataDir: dataDir(flags), force: flags.has('--force'), ...(flags.has('--org') && { orgPath: flags.get('--org') }) },
          (t) => process.stdout.write(t), (t) => process.stderr.write(t));
      }
      case 'lab': {
        const { flags, rest: extra } = parseFlags(rest, { '--dir': 'value', '--port-base': 'value', '--keep-running': 'switch', '--once': 'switch', '--dns': 'value', '--org-store': 'value' });
        if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
        if (flags.has('--keep-running') && flags.has('--once')) throw new UsageError('give either --keep-running or --once');
        const base = flags.get('--port-base') ?? '0';
        if (!/^\d{1,5}$/.test(base) || Number(base) + 587 > 65535) throw new UsageError(`--port-base ${base}: give a number from 0 to 64948, e.g. 20000`);
        const dns = (flags.get('--dns') ?? 'builtin').toLowerCase();
        if (dns !== 'builtin' && dns !== 'dnsmasq') throw new UsageError(`--dns ${dns}: give builtin (the lab's own DNS server) or dnsmasq`);
        const orgStore = (flags.get('--org-store') ?? 'sqlite').toLowerCase();
        if (orgStore !== 'sqlite' && orgStore !== 'postgresql') throw new UsageError(`--org-store ${orgStore}: give sqlite (one organization file beside the server folders) or postgresql (a private PostgreSQL cluster the lab starts)`);
        if (Number(base) + 5432 > 65535 && orgStore === 'postgresql') throw new UsageError(`--port-base ${base}: with --org-store postgresql, give a number up to 60103`);
        return await runLab({ dir: flags.get('--dir') ?? 'data/lab', portBase: Number(base), keepRunning: flags.has('--keep-running'), dns, orgStore });
      }
      case 'dovecot-auth': {
        const { flags, rest: extra } = parseFlags(rest, { '--data': 'value' });
        if (extra.length > 1) throw new UsageError(`unexpected argument ${extra[1]}`);
        return await runDovecotAuth(dataDir(flags), extra[0]);
      }
      case 'version':
      case '--version':
        process.stdout.write(`gatehouse ${PRODUCT_VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${sub}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`gatehouse: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError) && !(err instanceof ReferenceError)) {
      process.stderr.write(`gatehouse ${sub}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
