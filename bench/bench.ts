// `npm run bench [-- --quick] [--peers gatehouse,postfix,haraka] [--reps N]`
// (also mailbox-sqlite,mailbox-pg: a Mailbox server with its organization in SQLite or PostgreSQL):
// Gatehouse, Postfix and Haraka relaying the same load (Postfix's
// smtp-source, one session per message) for contoso.com to one smart host
// (Postfix's smtp-sink), interleaved in one run so that the machine's noise
// spreads over all of them. A run counts only when every message reached the
// sink. Also: end-of-DATA to 250 latency per peer, fsyncs per message (strace),
// Gatehouse's RSS with 1,000 idle connections, and its throughput with a
// backlog of deferred messages in the queue. Results: a table on stdout,
// bench/results/latest.json and bench/results/chart.svg.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../src/lab/seed-script.js';
import { acceptLatencies, percentile, smtpSource } from './load.js';
import { GatehousePeer, HarakaPeer, MailboxPeer, PostfixPeer, processTree, rssMb, type PeerName, type RelayPeer } from './peers.js';
import { chart, latencyTable, median, table, type Row } from './report.js';
import { Sink } from './sink.js';
import { FLAT_LIMIT, soak } from './soak.js';

const SINK = { address: '127.0.80.9', port: 2626 };
const ADDRESSES: Record<PeerName, string> = { gatehouse: '127.0.80.1', postfix: '127.0.80.2', haraka: '127.0.80.3', 'mailbox-sqlite': '127.0.80.4', 'mailbox-pg': '127.0.80.5' };
/** The mailbox-pg peer's PostgreSQL. */
const DATABASE = { address: '127.0.80.6', port: 5432 };
const PORT = 2525;

interface Options {
  quick: boolean;
  peers: PeerName[];
  reps: number;
  out: string;
  /** --soak: only Gatehouse, c=10 2 KiB for this many minutes, its RSS sampled throughout. */
  soakMinutes: number | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, peers: ['gatehouse', 'postfix', 'haraka'], reps: 3, out: join(ROOT, 'bench', 'results'), soakMinutes: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--peers') o.peers = argv[++i].split(',').map((p) => p.trim()) as PeerName[];
    else if (a === '--reps') o.reps = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--soak') o.soakMinutes = 30;
    else if (a === '--minutes') o.soakMinutes = Number(argv[++i]);
    else throw new Error(`unknown option ${a} (use --quick, --peers gatehouse,postfix,haraka, --reps N, --out DIR, --soak [--minutes N])`);
  }
  if (o.soakMinutes !== null && !(o.soakMinutes >= 2 && o.soakMinutes <= 240)) throw new Error('--minutes takes 2 to 240');
  if (o.peers.some((p) => !(p in ADDRESSES))) throw new Error('--peers takes gatehouse, postfix, haraka, mailbox-sqlite and mailbox-pg');
  if (!(o.reps >= 1 && o.reps <= 20)) throw new Error('--reps takes 1 to 20');
  return o;
}

const log = (s: string) => process.stdout.write(s + '\n');

/** smtp-source and smtp-sink come with Debian's postfix package; strace for the fsync check. */
function ensureTools(): void {
  const missing = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0;
  const want: string[] = [];
  if (missing('/usr/sbin/smtp-source') || missing('/usr/sbin/postfix')) want.push('postfix');
  if (missing('strace')) want.push('strace');
  if (want.length === 0) return;
  log(`Installing ${want.join(', ')} from Debian's packages...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('sh', ['-c', 'echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections'], { stdio: 'ignore', env });
  if (spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env, timeout: 600_000 }).status !== 0) throw new Error('apt-get update failed');
  if (spawnSync('apt-get', ['install', '-y', '-q', ...want], { stdio: 'ignore', env, timeout: 600_000 }).status !== 0) throw new Error(`apt-get install ${want.join(' ')} failed`);
}

async function waitQueueEmpty(peer: RelayPeer, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (peer.queueEmpty()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

interface Sample {
  msgsPerS: number;
  ok: boolean;
  rss: number;
  error?: string;
}

/** One run: N messages through the peer, timed from the first send to the last arrival at the sink. */
async function runPoint(peer: RelayPeer, sink: Sink, c: number, size: number, n: number): Promise<Sample> {
  await waitQueueEmpty(peer, 60_000);
  spawnSync('sync');
  await new Promise((r) => setTimeout(r, 1000));
  const before = sink.messages;
  let rss = 0;
  const sampler = setInterval(() => {
    rss = Math.max(rss, rssMb(processTree(peer.rootPids())));
  }, 200);
  const t0 = performance.now();
  const source = await smtpSource({ address: peer.address, port: PORT, concurrency: c, messages: n, size, timeoutMs: 240_000 });
  const arrived = await sink.waitFor(before + n, Date.now() + 120_000);
  clearInterval(sampler);
  rss = Math.max(rss, rssMb(processTree(peer.rootPids())));
  await new Promise((r) => setTimeout(r, 300));
  const extra = sink.messages - (before + n);
  const ok = source.ok && arrived !== null && extra === 0;
  const error = !source.ok ? source.error : arrived === null ? `only ${sink.messages - before} of ${n} arrived` : extra !== 0 ? `${extra} more than sent arrived` : undefined;
  return { msgsPerS: arrived !== null ? n / ((arrived - t0) / 1000) : 0, ok, rss, ...(error && { error }) };
}

/** fsync/fdatasync calls per message while the peer relays `n` messages (strace on its process tree). */
async function fsyncsPerMessage(peer: RelayPeer, sink: Sink, n: number): Promise<{ fsyncs: number; perMessage: number; ok: boolean }> {
  const pids = processTree(peer.rootPids());
  const out = join(tmpdir(), `bench-strace-${process.pid}-${peer.name}.txt`);
  const strace = spawn('strace', ['-f', '-c', '-o', out, '-e', 'trace=fsync,fdatasync,sync_file_range', ...pids.flatMap((p) => ['-p', String(p)])], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const before = sink.messages;
  const source = await smtpSource({ address: peer.address, port: PORT, concurrency: 1, messages: n, size: 2048, timeoutMs: 120_000 });
  await sink.waitFor(before + n, Date.now() + 60_000);
  await new Promise((r) => setTimeout(r, 500));
  await new Promise<void>((resolve) => {
    strace.once('exit', () => resolve());
    strace.kill('SIGINT');
    setTimeout(() => strace.kill('SIGKILL'), 5000);
  });
  let text = '';
  try {
    text = readFileSync(out, 'utf8');
    rmSync(out, { force: true });
  } catch {
    /* none */
  }
  let fsyncs = 0;
  for (const m of text.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync|sync_file_range)\s*$/gm)) fsyncs += Number(m[1]);
  return { fsyncs, perMessage: fsyncs / n, ok: source.ok };
}

/** 1,000 idle sessions held open: the peer's RSS, and whether a new session is still served. */
async function idlePoint(peer: RelayPeer, sink: Sink): Promise<{ idle: number; rss_mb: number; served: boolean; msgs_per_s: number }> {
  // A steady state, not the tail of the previous load: the service has been quiet for 5 s (Gatehouse
  // gives back a burst's memory 3 s after its input stops).
  await new Promise((r) => setTimeout(r, 5000));
  const sockets: Socket[] = [];
  const greeted = { n: 0 };
  for (let i = 0; i < 1000; i++) {
    const s = connect({ host: peer.address, port: PORT });
    s.on('error', () => undefined);
    s.once('data', () => greeted.n++);
    sockets.push(s);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
  }
  const deadline = Date.now() + 30_000;
  while (greeted.n < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const rss = rssMb(processTree(peer.rootPids()));
  const sample = await runPoint(peer, sink, 10, 2048, 500);
  for (const s of sockets) s.destroy();
  return { idle: greeted.n, rss_mb: rss, served: sample.ok, msgs_per_s: sample.msgsPerS };
}

/** The machine's own limit at a point: smtp-source straight into the sink, nothing between them. */
async function physicalLimit(sink: Sink, c: number, size: number, n: number): Promise<number> {
  spawnSync('sync');
  const before = sink.messages;
  const t0 = performance.now();
  const source = await smtpSource({ address: sink.address, port: sink.port, concurrency: c, messages: n, size, timeoutMs: 240_000 });
  const arrived = await sink.waitFor(before + n, Date.now() + 60_000);
  return source.ok && arrived !== null ? n / ((arrived - t0) / 1000) : 0;
}

/** --soak: only Gatehouse (bench/soak.ts); soak.json in the output folder. */
async function runSoak(o: Options, sink: Sink, scratch: string): Promise<boolean> {
  const r = await soak(o.soakMinutes!, ADDRESSES.gatehouse, PORT, sink, scratch, log);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'soak.json'), JSON.stringify(r, null, 2) + '\n');
  log(`${r.messages} messages in ${r.minutes} minutes (${r.failed_batches} failed batches); RSS window medians after ${r.warmup_s} s: ${r.window_median_rss_mb.map((w) => w.toFixed(0)).join(' ')} MB`);
  log(`RSS ${r.flat ? 'flat' : 'NOT flat'}: largest window ${(r.growth * 100).toFixed(1)}% above the smallest (limit ${FLAT_LIMIT * 100}%). Written: ${join(o.out, 'soak.json')}`);
  return r.flat && r.failed_batches === 0;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  ensureTools();
  const sizes = [2048, 102_400];
  const concurrency = [1, 10, 50];
  const count = (size: number, c: number) => (o.quick ? (size > 10_000 ? 400 : c === 1 ? 500 : 2000) : size > 10_000 ? 2000 : 5000);
  const reps = o.quick ? Math.min(o.reps, 1) : o.reps;
  const backlog = o.quick ? 10_000 : 100_000;
  const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  chmodSync(scratch, 0o755); // Postfix's daemons (user postfix) and smtp-sink (nobody) must reach their folders
  const cache = join(tmpdir(), 'gatehouse-bench-haraka');
  const sink = await Sink.start(SINK.address, SINK.port);
  if (o.soakMinutes !== null) {
    try {
      process.exitCode = (await runSoak(o, sink, scratch)) ? 0 : 1;
    } finally {
      await sink.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
    return;
  }
  const all: RelayPeer[] = [
    new GatehousePeer(ADDRESSES.gatehouse, PORT, SINK, scratch),
    new PostfixPeer(ADDRESSES.postfix, PORT, SINK, scratch),
    new HarakaPeer(ADDRESSES.haraka, PORT, SINK, scratch, cache),
    new MailboxPeer('mailbox-sqlite', ADDRESSES['mailbox-sqlite'], PORT, SINK, scratch),
    new MailboxPeer('mailbox-pg', ADDRESSES['mailbox-pg'], PORT, SINK, scratch, DATABASE),
  ].filter((p) => o.peers.includes(p.name));
  const started: RelayPeer[] = [];
  const t0 = Date.now();
  try {
    for (const p of all) {
      log(`Starting ${p.name}...`);
      await p.start();
      started.push(p);
      log(`  ${p.version} on ${p.address}:${PORT}`);
    }

    log('\nDurability check (strace, 100 messages each):');
    const durability: Record<string, { fsyncs: number; per_message: number }> = {};
    for (const p of all) {
      const d = await fsyncsPerMessage(p, sink, 100);
      durability[p.name] = { fsyncs: d.fsyncs, per_message: Number(d.perMessage.toFixed(2)) };
      log(`  ${p.name}: ${d.fsyncs} fsync calls for 100 messages (${d.perMessage.toFixed(2)} per message)${d.ok ? '' : ' (the load failed)'}`);
    }

    log('\nWarm-up...');
    for (const p of all) await runPoint(p, sink, 10, 2048, 500);

    const samples = new Map<string, Sample[]>();
    for (let r = 1; r <= reps; r++) {
      for (const size of sizes)
        for (const c of concurrency)
          for (const p of all) {
            const n = count(size, c);
            const s = await runPoint(p, sink, c, size, n);
            const key = `${p.name}|${size}|${c}`;
            samples.set(key, [...(samples.get(key) ?? []), s]);
            log(`  rep ${r} ${p.name.padEnd(14)} size ${String(size).padStart(6)} c=${String(c).padStart(2)} n=${n}: ${s.ok ? `${s.msgsPerS.toFixed(0)} msgs/s` : `FAILED (${s.error})`}, RSS ${s.rss.toFixed(0)} MB`);
          }
    }

    log('\nLatency, end of DATA to 250, at every point:');
    const latency: Record<string, { p50: number; p99: number }> = {};
    for (const size of sizes)
      for (const c of concurrency)
        for (const p of all) {
          await waitQueueEmpty(p, 60_000);
          const l = await acceptLatencies({ address: p.address, port: PORT, concurrency: c, messages: Math.max(c * 4, o.quick ? 200 : 600), size, deadlineMs: 120_000 });
          latency[`${p.name}|${size}|${c}`] = { p50: percentile(l, 50), p99: percentile(l, 99) };
          log(`  ${p.name.padEnd(14)} size ${String(size).padStart(6)} c=${String(c).padStart(2)}: p50 ${percentile(l, 50).toFixed(2)} ms, p99 ${percentile(l, 99).toFixed(2)} ms (${l.length} messages)`);
        }

    log('\nThe physical limit (smtp-source straight into smtp-sink):');
    const limit: Record<string, number> = {};
    for (const size of sizes)
      for (const c of concurrency) {
        const runs: number[] = [];
        for (let r = 0; r < reps; r++) runs.push(await physicalLimit(sink, c, size, count(size, c)));
        limit[`${size}|${c}`] = Number(median(runs).toFixed(1));
        log(`  size ${String(size).padStart(6)} c=${String(c).padStart(2)}: ${limit[`${size}|${c}`].toFixed(0)} msgs/s`);
      }

    const rows: Row[] = [];
    for (const p of all)
      for (const size of sizes)
        for (const c of concurrency) {
          const list = samples.get(`${p.name}|${size}|${c}`) ?? [];
          const good = list.filter((s) => s.ok).map((s) => s.msgsPerS);
          rows.push({
            peer: p.name,
            concurrency: c,
            size,
            msgs_per_s: good.length ? Number(median(good).toFixed(1)) : 0,
            min: good.length ? Number(Math.min(...good).toFixed(1)) : 0,
            max: good.length ? Number(Math.max(...good).toFixed(1)) : 0,
            runs: good.length,
            p50_accept_ms: Number(latency[`${p.name}|${size}|${c}`].p50.toFixed(2)),
            p99_accept_ms: Number(latency[`${p.name}|${size}|${c}`].p99.toFixed(2)),
            limit_msgs_per_s: limit[`${size}|${c}`],
            rss_mb: Number(Math.max(0, ...list.map((s) => s.rss)).toFixed(1)),
          });
        }

    const extra: Record<string, unknown> = {};
    const gatehouse = all.find((p): p is GatehousePeer => p instanceof GatehousePeer);
    if (gatehouse) {
      log('\nGatehouse with 1,000 idle connections:');
      const idle = await idlePoint(gatehouse, sink);
      extra.idle_connections = idle;
      log(`  ${idle.idle} greeted and held, RSS ${idle.rss_mb.toFixed(0)} MB; new sessions ${idle.served ? 'served' : 'NOT served'} at ${idle.msgs_per_s.toFixed(0)} msgs/s`);

      log(`\nGatehouse with ${backlog} deferred messages in the queue:`);
      gatehouse.addDeadRoute('deferred.example', '127.0.80.99');
      await new Promise((r) => setTimeout(r, 3000)); // the running service applies the change within a second or two
      const fill = await new Promise<boolean>((resolve) => {
        const child = spawn('/usr/sbin/smtp-source', ['-s', '20', '-m', String(backlog), '-l', '1024', '-N', '-f', 'sender@fabrikam.example', '-t', 'user@deferred.example', '-M', 'client.bench.test', `${gatehouse.address}:${PORT}`], {
          stdio: 'ignore',
        });
        const t = setTimeout(() => child.kill('SIGKILL'), 900_000);
        child.on('exit', (code) => {
          clearTimeout(t);
          resolve(code === 0);
        });
      });
      const queued = gatehouse.queued();
      const base = rows.find((r) => r.peer === 'gatehouse' && r.size === 2048 && r.concurrency === 10)?.msgs_per_s ?? 0;
      const withBacklog = await runPoint(gatehouse, sink, 10, 2048, count(2048, 10));
      extra.deferred_backlog = { queued, filled: fill, msgs_per_s: Number(withBacklog.msgsPerS.toFixed(1)), ok: withBacklog.ok, without_backlog_msgs_per_s: base };
      log(`  ${queued} messages waiting${fill ? '' : ' (smtp-source did not complete the fill)'}; c=10 2 KiB: ${withBacklog.msgsPerS.toFixed(0)} msgs/s (${withBacklog.ok ? 'complete' : withBacklog.error}), without the backlog ${base}`);
    }

    const result = {
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memory_gb: Number((totalmem() / 2 ** 30).toFixed(1)), kernel: release(), node: process.version },
      versions: Object.fromEntries(all.map((p) => [p.name, p.version])),
      mode: o.quick ? 'quick' : 'full',
      repetitions: reps,
      durability,
      limit,
      extra,
      started_at: new Date(t0).toISOString(),
      duration_s: Math.round((Date.now() - t0) / 1000),
      rows,
    };
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(o.out, 'chart.svg'), chart(rows, `Relay throughput, ${result.machine.cpus} cores (${o.quick ? 'quick' : `median of ${reps}`})`));
    log(`\n${result.machine.cpu}, ${result.machine.cpus} cores, ${result.machine.memory_gb} GB, Linux ${result.machine.kernel}, Node ${result.machine.node}`);
    log(table(rows));
    log('\n' + latencyTable(rows));
    log(`\nWritten: ${join(o.out, 'latest.json')}, ${join(o.out, 'chart.svg')} (${result.duration_s} s)`);
  } finally {
    for (const p of started) await p.stop().catch(() => undefined);
    await sink.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
