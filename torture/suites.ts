// The suites behind the report's other sections, run one file at a time with
// Node's test runner (TAP). Each test's name states the case and its expected
// outcome; figures the suites record (test/harness/report.ts) are collected
// from GATEHOUSE_REPORT_DIR.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../src/lab/seed-script.js';
import type { Figure, FindingRecord } from '../test/harness/report.js';

/** What the suites record, as test/harness/report.ts writes it. */
export type { Figure, FindingRecord };

export interface CaseResult {
  name: string;
  passed: boolean;
  skipped: boolean;
  /** Why a case failed: the assertion's message (or the error), with the kind of failure when not an assertion. */
  reason?: string;
}

export interface SuiteResult {
  title: string;
  files: string[];
  cases: CaseResult[];
  passed: number;
  failed: number;
  skipped: number;
  figures: Figure[];
}

/** The report's sections and the compiled test files (under dist/) behind each. */
export const SUITES: { title: string; figures: string; files: string[] }[] = [
  {
    title: 'An Edge on the Internet: the attacks on the running lab',
    figures: 'inbound',
    files: ['test/inbound-trust.test.js', 'test/inbound-memory.test.js', 'test/lockout.test.js', 'test/folder-modes.test.js', 'test/outbound-trust.test.js', 'test/metrics-auth.test.js'],
  },
  { title: 'Crash safety (CI versions)', figures: 'crash', files: ['test/crash-torture.test.js', 'test/durability.test.js', 'test/delivery-crash.test.js', 'test/accept-fsync.test.js'] },
  { title: 'Outbound fault injection', figures: 'faults', files: ['test/fault-injection.test.js'] },
  {
    title: 'Hostile input',
    figures: 'hostile',
    files: ['test/hostile-input.test.js', 'test/hostile-connectors.test.js', 'test/dialogs.test.js', 'test/session-fuzz.test.js', 'src/smtp/protocol/hostile.test.js', 'src/smtp/protocol/fuzz.test.js'],
  },
  { title: 'Property-based fuzzing (fast-check)', figures: 'properties', files: [] },
  { title: 'Audits with real tools (nmap, testssl.sh, swaks)', figures: 'audits', files: ['test/audits.test.js'] },
  { title: 'Secrets at rest', figures: 'secrets', files: ['test/secrets-at-rest.test.js', 'src/secrets/secrets.test.js'] },
];

function propertyFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, 'dist', dir), { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) out.push(...propertyFiles(p));
    else if (name.name.endsWith('.property.test.js')) out.push(p);
  }
  return out.sort();
}

/** Runs the suites (only those whose figures key is in `only`, when given); the attacks they reproduced come back in `findings`, in the order they ran. */
export async function runSuites(say: (line: string) => void, findings: FindingRecord[] = [], only: string[] = []): Promise<SuiteResult[]> {
  const figuresDir = mkdtempSync(join(tmpdir(), 'gatehouse-report-'));
  const results: SuiteResult[] = [];
  try {
    for (const suite of SUITES.filter((s) => only.length === 0 || only.includes(s.figures))) {
      const files = (suite.files.length ? suite.files : propertyFiles('src')).filter((f) => existsSync(join(ROOT, 'dist', f)));
      const cases: CaseResult[] = [];
      for (const file of files) {
        say(`running ${file}`);
        cases.push(...(await runFile(join(ROOT, 'dist', file), figuresDir)));
      }
      const figuresFile = join(figuresDir, `${suite.figures}.jsonl`);
      const figures = existsSync(figuresFile)
        ? readFileSync(figuresFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Figure)
        : [];
      const result: SuiteResult = {
        title: suite.title,
        files,
        cases,
        passed: cases.filter((c) => c.passed && !c.skipped).length,
        failed: cases.filter((c) => !c.passed).length,
        skipped: cases.filter((c) => c.skipped).length,
        figures,
      };
      say(`${suite.title}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`);
      for (const c of cases.filter((x) => !x.passed)) say(`FAIL ${c.name}: ${c.reason ?? 'no reason recorded'}`);
      results.push(result);
    }
    const findingsFile = join(figuresDir, 'findings.jsonl');
    if (existsSync(findingsFile))
      findings.push(
        ...readFileSync(findingsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FindingRecord),
      );
  } finally {
    rmSync(figuresDir, { recursive: true, force: true });
  }
  return results;
}

/** Runs one test file and returns its leaf tests (suites left out), bounded at 15 minutes. */
function runFile(file: string, figuresDir: string): Promise<CaseResult[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_REPORT_DIR: figuresDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tap = '';
    // The run's stderr goes on to ours; its end is kept for a run that fails without a failing case.
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      tap += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, 15 * 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const cases = parseTap(tap);
      if (code !== 0 && !cases.some((c) => !c.passed)) {
        const ended = timedOut ? 'was killed after 15 minutes' : signal ? `was ended by ${signal}` : `ended with status ${code}`;
        const tail = stderrTail.trim() || tap.trim().split('\n').slice(-20).join('\n');
        cases.push({ name: `${file}: the test run ${ended}`, passed: false, skipped: false, reason: `the test run ${ended}${tail ? `; its last output:\n${tail}` : ''}` });
      }
      resolve(cases);
    });
  });
}

/**
 * Leaf test results from Node's TAP output; a suite's line is followed by "type: 'suite'". A failed
 * case carries its reason from the YAML block under it (error, failureType). A suite that failed for
 * a reason of its own (a before or after hook, not its tests) is a failed case too.
 */
export function parseTap(tap: string): CaseResult[] {
  const lines = tap.split('\n');
  const out: CaseResult[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(ok|not ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/.exec(lines[i]);
    if (!m) continue;
    const block = yamlBlock(lines, i + 1);
    const name = m[2].replace(/\\#/g, '#');
    const passed = m[1] === 'ok';
    if (block.type === 'suite') {
      if (!passed && block.failureType && block.failureType !== 'subtestsFailed') out.push({ name: `${name} (suite)`, passed, skipped: false, reason: reasonOf(block) });
      continue;
    }
    out.push({ name, passed, skipped: m[3] !== undefined, ...(!passed && { reason: reasonOf(block) }) });
  }
  return out;
}

function reasonOf(block: Record<string, string>): string {
  const kind = block.failureType && block.failureType !== 'testCodeFailure' ? `${block.failureType}: ` : '';
  const where = block.location ? ` (${block.location.replace(/^.*\/dist\//, '')})` : '';
  return `${kind}${block.error?.trim() || 'no reason given'}${where}`;
}

/** The scalar fields of the YAML block after a TAP result line ("---" … "..."), as strings. */
export function yamlBlock(lines: string[], from: number): Record<string, string> {
  const out: Record<string, string> = {};
  const start = /^(\s*)---\s*$/.exec(lines[from] ?? '');
  if (!start) return out;
  const base = start[1].length;
  for (let j = from + 1; j < lines.length && !/^\s*\.\.\.\s*$/.test(lines[j]); j++) {
    const kv = /^(\s*)([A-Za-z_]+): ?(.*)$/.exec(lines[j]);
    // Only the block's own keys: a deeper one belongs to a value (an object in expected or actual).
    if (!kv || kv[1].length !== base) continue;
    const [, indent, key, raw] = kv;
    let value = raw;
    if (/^[|>][-+]?$/.test(raw)) {
      // A block scalar: the lines indented deeper than its key.
      const body: string[] = [];
      while (j + 1 < lines.length && (lines[j + 1].trim() === '' || lines[j + 1].search(/\S/) > indent.length) && !/^\s*\.\.\.\s*$/.test(lines[j + 1])) {
        body.push(lines[++j].slice(indent.length + 2));
      }
      value = body.join('\n').replace(/\s+$/, '');
    } else if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
      value = raw.slice(1, -1).replace(/''/g, "'");
    } else if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw;
      }
    }
    if (!(key in out)) out[key] = value;
  }
  return out;
}
