// `npm run torture [-- --quick] [--cycles N] [--messages N] [--duration 30m]
//                  [--sessions N] [--seed N] [--report [FILE]] [--suite NAME]...`
// Runs the crash-safety torture (see crash-torture.ts) and prints its books.
// With --report it also runs the fault-injection, hostile-input, audit and
// secrets suites and writes everything as a Markdown report (by default
// docs/trust-under-fire.md, which the README links). --suite limits the report
// to the named sections (crash, faults, hostile, ...: SUITES' figures keys).
// Exit status 0 only when nothing acknowledged was lost, nothing phantom
// arrived, and (with --report) every suite passed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../src/lab/seed-script.js';
import { namingSeed, seededRandom } from '../test/harness/seeded-random.js';
import { crashTorture, type TortureResult } from './crash-torture.js';
import { summary, tortureVerdict, writeReport } from './report.js';
import { runSuites, SUITES, type FindingRecord } from './suites.js';

interface Options {
  cycles: number;
  messages: number;
  sessions: number;
  durationMs: number;
  seed: number;
  report: string | null;
  keep: boolean;
  /** The report's sections to run (their figures keys); empty: all. */
  suites: string[];
}

const USAGE = 'usage: npm run torture -- [--quick] [--cycles N] [--messages N] [--duration 30m|900s] [--sessions N] [--seed N] [--report [FILE]] [--suite NAME]... [--keep]';

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`--duration takes a number with s, m or h (e.g. 30m), not "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { cycles: 50, messages: 100_000, sessions: 20, durationMs: 60 * 60_000, seed: Date.now() % 1_000_000, report: null, keep: false, suites: [] };
  const count = (name: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} takes a whole number from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      o.cycles = 5;
      o.messages = 5000;
    } else if (a === '--cycles') o.cycles = count(a, argv[++i], 1, 10_000);
    else if (a === '--messages') o.messages = count(a, argv[++i], 10, 10_000_000);
    else if (a === '--sessions') o.sessions = count(a, argv[++i], 1, 500);
    else if (a === '--seed') o.seed = count(a, argv[++i], 0, 2 ** 31);
    else if (a === '--duration') o.durationMs = parseDuration(argv[++i] ?? '');
    else if (a === '--keep') o.keep = true;
    else if (a === '--suite') {
      const name = argv[++i] ?? '';
      if (!SUITES.some((s) => s.figures === name)) throw new Error(`--suite takes one of ${SUITES.map((s) => s.figures).join(', ')}, not "${name}"`);
      o.suites.push(name);
    } else if (a === '--report') o.report = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : join(ROOT, 'docs', 'trust-under-fire.md');
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-torture-'));
  console.log(`crash torture: ${o.cycles} cycles, ${o.messages} messages, ${o.sessions} sessions, duration cap ${o.durationMs / 1000} s, seed ${o.seed}`);
  let result: TortureResult;
  try {
    result = await crashTorture({
      scratch,
      edge: { host: '127.57.84.1', port: 25 },
      sinks: ['127.57.84.9', '127.57.84.10'],
      sinkPort: 25,
      cycles: o.cycles,
      messages: o.messages,
      sessions: o.sessions,
      bodyBytes: 1024,
      minUptimeMs: 1500,
      durationMs: o.durationMs,
      drainMs: Math.max(120_000, o.messages * 5),
      random: seededRandom(o.seed),
      progress: (line) => console.log(line),
    });
  } catch (err) {
    throw namingSeed(err, o.seed, `npm run torture -- --seed ${o.seed}`);
  } finally {
    if (o.keep) console.log(`scratch folder kept: ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  console.log(summary(result));
  const verdict = tortureVerdict(result);
  if (!verdict.ok && result.edgeErrors.length) console.log(`the Edge's warnings and errors (first ${result.edgeErrors.length}):\n${result.edgeErrors.join('\n')}`);
  let ok = verdict.ok;
  if (o.report) {
    const findings: FindingRecord[] = [];
    const suites = await runSuites((line) => console.log(line), findings, o.suites);
    // The findings come from the inbound section; a report without it has none to show.
    const withFindings = o.suites.length === 0 || o.suites.includes('inbound');
    writeReport(o.report, { torture: result, options: { ...o, seed: o.seed }, suites, ...(withFindings && { findings }) });
    console.log(`report written: ${o.report}`);
    ok = ok && suites.every((s) => s.failed === 0);
  }
  console.log(ok ? 'torture: PASS' : `torture: FAIL (${verdict.reasons.join('; ')}) (seed ${o.seed}; replay: npm run torture -- --seed ${o.seed} with the same options)`);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`torture: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
