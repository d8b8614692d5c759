// Golden SMTP dialogs (test/dialogs/*.dialog, format in harness/dialog-script.ts)
// against the production session: one Edge Transport server set up with the
// built binary, one Receive connector per dialog (New-ReceiveConnector on its
// own loopback address, TarpitInterval and AuthTarpitInterval 00:00:00 so
// refusals are not delayed, then the dialog's own Set-ReceiveConnector
// parameters), the service started with `gatehouse start`, and each dialog
// played over a real socket: every packet written at once, then everything the
// server sent since the previous step compared, exactly, with the expected
// lines once their number has arrived (or the server closed). After a STARTTLS
// answered 220 the connection is upgraded to TLS. A dialog marked
// "# KNOWN BUG:" runs as a todo test until production is fixed.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDialog, replyMatcher, type DialogScript } from './harness/dialog-script.js';
import { gatehouse, ROOT, scratchDir } from './harness/gatehouse.js';
import { startService, type RunningService } from './harness/service.js';
import { SmtpDialog } from './harness/smtp-dialog.js';

const DIALOGS = join(ROOT, 'test', 'dialogs');
const FQDN = 'edge01.contoso.net';
/** Where the clients connect from; the server shows it as {client}. */
const CLIENT = '127.10.94.1';
/** The default connector is moved here, out of the way of the dialogs' addresses. */
const DEFAULT_CONNECTOR = '127.10.93.254';
const STEP_TIMEOUT_MS = 10_000;

interface Dialog {
  file: string;
  name: string;
  address: string;
  script: DialogScript;
}

const files = readdirSync(DIALOGS)
  .filter((f) => f.endsWith('.dialog'))
  .sort();
const dialogs: Dialog[] = files.map((file, i) => ({
  file,
  name: `Dialog ${file.replace(/\.dialog$/, '')}`,
  address: `127.10.93.${i + 1}`,
  script: parseDialog(readFileSync(join(DIALOGS, file), 'utf8'), file),
}));

/** The shell script that creates the accounts and one connector per dialog (passwords follow their Read-Host). */
function configuration(): string {
  const lines = ['New-AcceptedDomain Contoso -DomainName contoso.com', `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${DEFAULT_CONNECTOR}:25`];
  const accounts = new Map<string, string>();
  for (const d of dialogs) {
    for (const a of d.script.accounts) {
      const known = accounts.get(a.name);
      if (known !== undefined && known !== a.password) throw new Error(`${d.file}: local user ${a.name} has another password in another dialog`);
      if (known === undefined) lines.push(`New-LocalUser -Name ${a.name} -Password (Read-Host -AsSecureString "Password")`, a.password);
      accounts.set(a.name, a.password);
    }
  }
  const members = new Set(dialogs.flatMap((d) => d.script.groupMembers));
  for (const m of members) lines.push(`Add-LocalGroupMember ${m}`);
  for (const d of dialogs) {
    lines.push(`New-ReceiveConnector -Name "${d.name}" -Usage ${d.script.usage} -Bindings ${d.address}:25 -TarpitInterval 00:00:00 -AuthTarpitInterval 00:00:00`);
    if (d.script.set.length > 0) lines.push(`Set-ReceiveConnector "${d.name}" ${d.script.set.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

const show = (lines: string[]) => (lines.length ? lines.map((l) => `    ${JSON.stringify(l)}`).join('\n') : '    (nothing)');

async function play(d: Dialog, service: RunningService): Promise<void> {
  const client = await SmtpDialog.open(d.address, 25, CLIENT).catch((err: Error) => assert.fail(`${d.file}: cannot connect to ${d.address}:25 (${err.message}); ${service.describe()}`));
  const vars = { client: CLIENT, fqdn: FQDN };
  let seen = 0;
  try {
    for (const step of d.script.steps) {
      if (step.packet.length > 0) client.write(step.packet);
      const complete = () => (client.transcript.slice(seen).match(/\r\n/g)?.length ?? 0) >= step.replies.length && (!step.closed || client.closed);
      await client.until(complete, STEP_TIMEOUT_MS);
      const received = client.transcript.slice(seen);
      seen = client.transcript.length;
      const lines = received.split('\r\n');
      const partial = lines.pop()!;
      const ok = partial === '' && lines.length === step.replies.length && step.replies.every((p, i) => replyMatcher(p, vars).test(lines[i]!));
      const where = `${d.file}:${step.line}`;
      if (!ok) {
        assert.fail(
          `${where}: the server's replies differ\n  expected:\n${show(step.replies)}${step.closed ? '\n    <closed>' : ''}\n  received:\n${show(lines)}${partial ? `\n    (unterminated) ${JSON.stringify(partial)}` : ''}${client.closed ? '\n    <closed>' : ''}${service.running() ? '' : `\n${service.describe()}`}`,
        );
      }
      if (step.closed) assert.ok(client.closed, `${where}: the server did not close the connection within ${STEP_TIMEOUT_MS} ms`);
      else assert.ok(!client.closed, `${where}: the server closed the connection after:\n${show(lines)}`);
      if (step.startTls && lines.some((l) => l.startsWith('220 '))) await client.upgrade(FQDN);
    }
  } finally {
    client.close();
  }
}

describe('golden SMTP dialogs against the production session', () => {
  const dir = scratchDir('dialogs');
  const dataDir = join(dir.path, 'EDGE01');
  let service: RunningService | undefined;

  before(async () => {
    const setup = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', FQDN, '--data', dataDir]);
    assert.equal(setup.code, 0, setup.stderr);
    const shell = await gatehouse(['shell', '--data', dataDir], { input: configuration() });
    assert.equal(shell.code, 0, `${shell.stdout}\n${shell.stderr}`);
    service = await startService(dataDir);
    const ready = service.lines.find((l) => l.event === 'service.ready')!.listening as string[];
    for (const d of dialogs)
      assert.ok(
        ready.some((l) => l.startsWith(`${d.address}:25 `)),
        `${d.name} is not listening on ${d.address}:25; ${service.describe()}`,
      );
  });

  after(async () => {
    if (service) await service.stop();
    dir.remove();
  });

  for (const d of dialogs) {
    const options = d.script.knownBug ? { todo: 'a step marked # KNOWN BUG: production does not do this yet' } : {};
    it(`${d.file} (${d.address})`, options, () => play(d, service!));
  }

  it('no session hit a bug, and the service is still running', () => {
    assert.ok(service, 'the service started');
    const bugs = service.lines.filter((l) => l.event === 'smtp.in.session.bug');
    assert.deepEqual(bugs, [], 'smtp.in.session.bug');
    assert.ok(service.running(), service.describe());
  });
});
