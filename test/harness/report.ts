// Figures for the "trust under fire" report. A suite records what it measured
// (an audit finding, a count) with recordFigure; `npm run torture -- --report`
// sets GATEHOUSE_REPORT_DIR, runs the suites and turns the records into the
// report's tables. Without the variable nothing is written.

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Figure {
  /** What was measured, e.g. "nmap smtp-open-relay on From Internet (127.10.83.1:25)". */
  subject: string;
  /** What was found, in a few words, e.g. "Server doesn't seem to be an open relay". */
  finding: string;
  /** Whether the finding is what the suite requires. */
  ok: boolean;
}

export function recordFigure(suite: string, figure: Figure): void {
  const dir = process.env.GATEHOUSE_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${suite}.jsonl`), `${JSON.stringify(figure)}\n`);
}

/** One attack on the Edge, as a test reproduced it: what was sent, what the service answered, what reached the next hop. */
export interface FindingRecord {
  /** The finding's number in "An Edge you can put on the Internet" (1-12). */
  finding: number;
  title: string;
  attack: string;
  reply: string;
  /** What reached the next hop (or what the service did), as the test observed it. */
  outcome: string;
  /** Whether the outcome is what is required. */
  ok: boolean;
}

export function recordFinding(r: FindingRecord): void {
  const dir = process.env.GATEHOUSE_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'findings.jsonl'), `${JSON.stringify(r)}\n`);
}
