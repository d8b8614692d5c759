// The metrics endpoint listens only where it is told and, with
// --metrics-token-file, answers /metrics only to a bearer of the token, with
// curl as the client and Python's prometheus_client reading what it gets:
// - --metrics without an IP address, with a host name, port 0 or an
//   unbracketed IPv6 address is refused before anything starts (exit 2);
// - the endpoint answers on its address and nowhere else on the host;
// - a token file that group or others can read, or another user owns, or
//   that holds too short a token, stops the start (service.start.failed);
// - without the token, /metrics is 401 with WWW-Authenticate: Bearer, a
//   wrong token is 401 with error="invalid_token"; with it, 200 and a text
//   prometheus_client parses; /health answers its status alone without a
//   token and its detail with it; a wrong token on /health is 401;
// - the token is in no log line, not in service.json, not in `gatehouse
//   status`, which names the token file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse, scratchDir } from './harness/gatehouse.js';
import { recordFinding } from './harness/report.js';
import { startService, type LogLine, type RunningService } from './harness/service.js';

const EDGE = '127.10.92.20';
const METRICS_HOST = '127.10.92.21';
const ELSEWHERE = '127.10.92.22';
const PORT = 9425;
const TOKEN = 'metrics-bearer-5f1c2a9e7d3b4c61a8e0';

interface CurlResult {
  status: number;
  headers: string;
  body: string;
}

/** One request with curl: the status, the response headers and the body. */
function curl(path: string, args: string[] = []): CurlResult {
  const r = spawnSync('curl', ['-sS', '-D', '-', '--max-time', '10', ...args, `http://${METRICS_HOST}:${PORT}${path}`], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `curl ${path}: ${r.stderr}`);
  const split = r.stdout.indexOf('\r\n\r\n');
  const headers = r.stdout.slice(0, split);
  return { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1]), headers, body: r.stdout.slice(split + 4) };
}

/** Metric family names, as prometheus_client's parser reads the text. */
function families(text: string): string[] {
  const r = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      `
import sys, json
from prometheus_client.parser import text_string_to_metric_families
print(json.dumps([f.name for f in text_string_to_metric_families(sys.stdin.read())]))`,
    ],
    { input: text, encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

/** Whether anything accepts a TCP connection on address:port. */
function answers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 5000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

describe('the metrics endpoint: where it listens and who it answers', () => {
  const dir = scratchDir('metrics-auth');
  const data = join(dir.path, 'EDGE01');
  const tokenFile = join(dir.path, 'metrics.token');
  let service: RunningService | undefined;

  /** Writes the token file with exactly this mode (writeFileSync keeps an existing file's mode). */
  const writeToken = (text: string, mode: number) => {
    writeFileSync(tokenFile, text);
    chmodSync(tokenFile, mode);
  };

  const startFails = async (args: string[]): Promise<{ code: number | null; lines: LogLine[]; output: string }> => {
    const r = await gatehouse(['start', '--data', data, ...args], { timeoutMs: 20_000 });
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as LogLine);
    return { code: r.code, lines, output: r.stdout + r.stderr };
  };

  before(async () => {
    assert.equal((await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data])).code, 0);
    const r = await gatehouse(['shell', '--data', data, '-c', `Set-ReceiveConnector "Default internal Receive connector EDGE01" -Bindings ${EDGE}:25`]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it('refuses --metrics without an IP address and port, before anything starts', async () => {
    const cases: [string, RegExp][] = [
      ['9425', /give ADDRESS:PORT/],
      [`:${PORT}`, /the address is missing.*never on every interface/],
      [`localhost:${PORT}`, /localhost is not an IPv4 address; give an IP address of this machine/],
      [`[localhost]:${PORT}`, /localhost is not an IPv6 address/],
      [`::1:${PORT}`, /give ADDRESS:PORT.*IPv6 in brackets/],
      [`${METRICS_HOST}:0`, /port must be a number from 1 to 65535/],
      [`${METRICS_HOST}:70000`, /port must be a number from 1 to 65535/],
      [`${METRICS_HOST}:`, /port must be a number from 1 to 65535/],
    ];
    for (const [value, message] of cases) {
      const r = await gatehouse(['start', '--data', data, '--metrics', value]);
      assert.equal(r.code, 2, `${value}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, value);
      assert.equal(r.stdout, '', `${value}: nothing started`);
    }
    const noAddress = await gatehouse(['start', '--data', data, '--metrics-token-file', tokenFile]);
    assert.equal(noAddress.code, 2);
    assert.match(noAddress.stderr, /--metrics-token-file protects the metrics endpoint: give --metrics ADDRESS:PORT too/);
  });

  it('refuses a token file that others can read, that another user owns, or that holds a short token; the token never shows', async () => {
    writeToken(TOKEN + '\n', 0o644);
    const open = await startFails(['--metrics', `${METRICS_HOST}:${PORT}`, '--metrics-token-file', tokenFile]);
    assert.equal(open.code, 1, open.output);
    const failed = open.lines.find((l) => l.event === 'service.start.failed');
    assert.ok(failed, open.output);
    assert.equal(failed.option, '--metrics-token-file');
    assert.match(String(failed.error), /is open to group or others \(mode 0644\); it must be 0600 or 0400\. Fix it with: chown \$\(id -un\) .* && chmod 600 /);
    assert.ok(!open.output.includes(TOKEN), 'the token is not in the output');

    if (process.getuid?.() === 0) {
      writeToken(TOKEN + '\n', 0o600);
      chownSync(tokenFile, 65534, 65534);
      const foreign = await startFails(['--metrics', `${METRICS_HOST}:${PORT}`, '--metrics-token-file', tokenFile]);
      assert.equal(foreign.code, 1, foreign.output);
      assert.match(foreign.output, /is owned by uid 65534, not by the user the service runs as \(uid 0\)/);
      chownSync(tokenFile, 0, 0);
    }

    writeToken('short\n', 0o600);
    const short = await startFails(['--metrics', `${METRICS_HOST}:${PORT}`, '--metrics-token-file', tokenFile]);
    assert.equal(short.code, 1, short.output);
    assert.match(short.output, /has 5 characters; use at least 16/);
    assert.ok(!(await answers(METRICS_HOST, PORT)), 'no endpoint was left listening');
  });

  it('with a token: 401 and WWW-Authenticate: Bearer without it or with a wrong one, the metrics with it', async () => {
    writeToken(TOKEN + '\n', 0o600);
    service = await startService(data, ['--metrics', `${METRICS_HOST}:${PORT}`, '--metrics-token-file', tokenFile]);
    const ready = service.lines.find((l) => l.event === 'service.ready')!;
    assert.equal(ready.metricsAuthentication, 'bearer');

    const none = curl('/metrics');
    assert.equal(none.status, 401);
    assert.match(none.headers, /^www-authenticate: Bearer realm="gatehouse metrics"\r?$/im);
    assert.doesNotMatch(none.body, /gatehouse_/);

    const wrong = curl('/metrics', ['--oauth2-bearer', TOKEN.slice(0, -1) + 'X']);
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers, /^www-authenticate: Bearer realm="gatehouse metrics", error="invalid_token"\r?$/im);
    const basic = curl('/metrics', ['-u', `metrics:${TOKEN}`]);
    assert.equal(basic.status, 401, 'the token in another scheme is refused');

    const ok = curl('/metrics', ['--oauth2-bearer', TOKEN]);
    recordFinding({
      finding: 12,
      title: 'the metrics endpoint with a bearer-token file',
      attack: 'curl /metrics without a token, with a wrong one, with the token as Basic auth, and with the token',
      reply: `${none.status}, ${wrong.status}, ${basic.status}, ${ok.status}`,
      outcome: 'the metrics only with the token; WWW-Authenticate: Bearer otherwise',
      ok: none.status === 401 && wrong.status === 401 && basic.status === 401 && ok.status === 200,
    });
    assert.equal(ok.status, 200, ok.body);
    const names = families(ok.body);
    for (const name of ['gatehouse_messages_received', 'gatehouse_smtp_sessions', 'gatehouse_queue_messages']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);

    const refused = await service.waitFor((l) => l.event === 'metrics.request.refused', 10_000, 'metrics.request.refused');
    assert.equal(refused.level, 'warn');
    assert.match(String(refused.peer), /^127\./);
  });

  it("/health answers its status alone without a token (a load balancer's check), its detail with it, 401 to a wrong one", async () => {
    const bare = curl('/health');
    assert.equal(bare.status, 200);
    assert.deepEqual(JSON.parse(bare.body), { status: 'ok' });
    const full = curl('/health', ['--oauth2-bearer', TOKEN]);
    assert.equal(full.status, 200);
    const detail = JSON.parse(full.body) as { status: string; server: string; listening: string[] };
    assert.equal(detail.status, 'ok');
    assert.equal(detail.server, 'EDGE01');
    assert.ok(
      detail.listening.some((l) => l.startsWith(`${EDGE}:25`)),
      full.body,
    );
    const wrong = curl('/health', ['--oauth2-bearer', 'not-the-token-at-all-0000']);
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers, /^www-authenticate: Bearer/im);
  });

  it('listens on its address only, and keeps the token out of logs, service.json and gatehouse status', async () => {
    assert.ok(await answers(METRICS_HOST, PORT));
    assert.equal(await answers(ELSEWHERE, PORT), false, `nothing answers on ${ELSEWHERE}:${PORT}`);
    assert.equal(await answers('127.0.0.1', PORT), false, `nothing answers on 127.0.0.1:${PORT}`);

    const status = await gatehouse(['status', '--data', data]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`metrics: +http://${METRICS_HOST.replace(/\./g, '\\.')}:${PORT}/metrics \\(Authorization: Bearer, token in ${tokenFile.replace(/[.]/g, '\\.')}\\)`));
    const serviceJson = readFileSync(join(data, 'service.json'), 'utf8');
    assert.match(serviceJson, /"metricsTokenFile"/);
    for (const [where, text] of [
      ['status', status.stdout],
      ['service.json', serviceJson],
      ['the service log', service!.lines.map((l) => JSON.stringify(l)).join('\n')],
    ] as const) {
      assert.ok(!text.includes(TOKEN), `the token is in ${where}`);
    }
  });
});
