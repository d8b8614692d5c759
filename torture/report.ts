// The torture's books in words: the verdict (what the acceptance requires),
// the summary printed at the end of a run, and the Markdown report.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TortureResult } from './crash-torture.js';
import type { FindingRecord, SuiteResult } from './suites.js';

/** Duplicates above this share of acknowledged messages fail a long run (the acceptance's aim). */
export const DUPLICATE_LIMIT = 0.005;
/** The share is judged from this many kills on: a short run's few kills say little about it. */
export const DUPLICATE_RATE_MIN_KILLS = 20;
/**
 * Only a message in flight at a kill can arrive twice: at most one per outbound connection,
 * MaxPerDomainOutboundConnections (20 by default), per kill.
 */
export const DUPLICATES_PER_KILL_LIMIT = 20;

export function tortureVerdict(r: TortureResult): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (r.lost.length) reasons.push(`${r.lost.length} acknowledged message(s) lost`);
  if (r.phantom.length) reasons.push(`${r.phantom.length} message(s) arrived that were never accepted`);
  if (r.reportedNotArrived.length) reasons.push(`${r.reportedNotArrived.length} message(s) reported sent that never arrived`);
  if (!r.drained) reasons.push('the queue did not drain');
  if (r.kills.length >= DUPLICATE_RATE_MIN_KILLS && r.acknowledged && r.duplicates / r.acknowledged > DUPLICATE_LIMIT) {
    reasons.push(`duplicates ${((100 * r.duplicates) / r.acknowledged).toFixed(2)}% above ${DUPLICATE_LIMIT * 100}%`);
  }
  const worst = Math.max(0, ...r.kills.map((k) => k.duplicates));
  if (worst > DUPLICATES_PER_KILL_LIMIT) reasons.push(`${worst} duplicates after one kill, more than the ${DUPLICATES_PER_KILL_LIMIT} messages that can be in flight`);
  if (r.acknowledged === 0) reasons.push('nothing was acknowledged');
  return { ok: reasons.length === 0, reasons };
}

export function summary(r: TortureResult): string {
  const pct = r.acknowledged ? ((100 * r.duplicates) / r.acknowledged).toFixed(3) : '0';
  return [
    `cycles (SIGKILLs): ${r.kills.length}`,
    `messages issued: ${r.issued}, sent: ${r.sent}, acknowledged (250): ${r.acknowledged}, refused: ${r.refused}, cut off before the reply: ${r.unanswered} (${r.unansweredArrived} of them arrived)`,
    `lost: ${r.lost.length}${r.lost.length ? ' (' + r.lost.slice(0, 10).join(', ') + ')' : ''}`,
    `duplicates: ${r.duplicates} (${pct}% of acknowledged; per kill: ${r.kills.map((k) => k.duplicates).join(' ')})`,
    `phantom arrivals: ${r.phantom.length}, reported sent but not received: ${r.reportedNotArrived.length}`,
    `replies that ended a transaction before DATA: ${
      Object.entries(r.setbacks)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ') || 'none'
    }`,
    `queue drained: ${r.drained ? 'yes' : `NO (${r.leftInQueue.join('; ')})`}; ${(r.elapsedMs / 1000).toFixed(0)} s`,
  ].join('\n');
}

export interface ReportInput {
  torture: TortureResult;
  options: { cycles: number; messages: number; sessions: number; durationMs: number; seed: number };
  suites: SuiteResult[];
  /** The attacks on the Edge the suites reproduced, each with its reply and what reached the next hop. */
  findings?: FindingRecord[];
}

/** The findings of "An Edge you can put on the Internet", in order, for the report's headings. */
export const FINDINGS: Record<number, string> = {
  1: 'Header firewall bypass with a bare CR or LF (high)',
  2: "CRLF injection into the Edge's own Received header (medium)",
  3: 'Memory exhaustion by large messages (medium)',
  4: 'One client locks out every connector (medium)',
  5: 'BDAT smuggling (medium)',
  6: 'Unlimited TLS renegotiation (low-medium)',
  7: 'AUTH state survives STARTTLS (low)',
  8: 'Header From unchecked on client submission (low)',
  9: 'Online password guessing (low)',
  10: 'Folder modes (low)',
  11: 'Credentials can go to an impostor (info)',
  12: 'Smaller items: tarpit listeners, refused BDAT replies, the metrics endpoint',
};

function findingsMarkdown(findings: FindingRecord[]): string[] {
  const out: string[] = ['## An Edge on the Internet: the attacks, reproduced', ''];
  out.push(
    'Each attack found on the running lab, made again against `gatehouse start` on loopback by the suite named below: what was sent, what the service answered, and what reached the next hop (or what the service did). Recorded by the tests as they ran.',
    '',
  );
  for (const n of Object.keys(FINDINGS).map(Number)) {
    const rows = findings.filter((f) => f.finding === n);
    out.push(`### ${n}. ${FINDINGS[n]}`, '');
    if (rows.length === 0) {
      out.push('No test recorded this finding in this run.', '');
      continue;
    }
    out.push('| case | attack | reply | what reached the next hop / what happened | as required |', '| --- | --- | --- | --- | :---: |');
    for (const f of rows) out.push(`| ${cell(f.title)} | ${cell(f.attack)} | ${cell(f.reply)} | ${cell(f.outcome)} | ${f.ok ? 'yes' : '**no**'} |`);
    out.push('');
  }
  return out;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** Longest reason shown for a failed case (the service logs some assertions carry can be long). */
export const REASON_LIMIT = 6000;

/** A failed case's reason as an indented code block under its list item. */
function reasonBlock(reason: string | undefined): string[] {
  let text = (reason ?? 'no reason recorded').replace(/\r/g, '');
  if (text.length > REASON_LIMIT) text = `${text.slice(0, REASON_LIMIT)}\n… (${text.length - REASON_LIMIT} more characters)`;
  const fence = text.includes('```') ? '~~~~' : '```';
  return ['', `  ${fence}text`, ...text.split('\n').map((l) => `  ${l}`), `  ${fence}`, ''];
}

export function reportMarkdown(input: ReportInput, when = new Date()): string {
  const r = input.torture;
  const o = input.options;
  const verdict = tortureVerdict(r);
  const k = r.kills;
  const out: string[] = [];
  out.push('# Trust under fire', '');
  out.push(`Written by \`npm run torture -- --report\` on ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC. Rerun it to check these figures.`, '');
  out.push('## Crash-safety torture', '');
  out.push(
    `An Edge ("From Internet" relaying contoso.com through "To Internal Org" to Postfix's smtp-sink) under ${o.sessions} concurrent SMTP sessions was killed with SIGKILL ${k.length} times and restarted (seed ${o.seed}; \`--cycles ${o.cycles} --messages ${o.messages}\`). Then the queue drained and the sink's records were compared with what the senders were told.`,
    '',
  );
  out.push('| figure | value |', '| --- | ---: |');
  const rows: [string, string | number][] = [
    ['SIGKILLs (cycles)', k.length],
    ['… with sessions waiting for the 250 (group commit, fsync)', k.filter((x) => x.awaitingReply > 0).length],
    ['… while delivering to the smart host', k.filter((x) => x.deliveringWithin500ms).length],
    ['… right after the Send connector was re-pointed (re-routing)', k.filter((x) => x.rerouted).length],
    ['messages sent (end of DATA written)', r.sent],
    ['acknowledged with 250', r.acknowledged],
    ['refused (4xx/5xx)', r.refused],
    ['cut off before the reply', `${r.unanswered} (${r.unansweredArrived} arrived: accepted just before the kill)`],
    ['**lost** (acknowledged, never arrived)', `**${r.lost.length}**`],
    [
      'duplicates',
      `${r.duplicates} (${r.acknowledged ? ((100 * r.duplicates) / r.acknowledged).toFixed(3) : '0'}% of acknowledged; aim below ${DUPLICATE_LIMIT * 100}%${r.kills.length < DUPLICATE_RATE_MIN_KILLS ? `, judged from ${DUPLICATE_RATE_MIN_KILLS} kills on` : ''})`,
    ],
    ['duplicates after one kill (most; at most one per outbound connection)', `${Math.max(0, ...r.kills.map((x) => x.duplicates))} (limit ${DUPLICATES_PER_KILL_LIMIT})`],
    ['arrived but never accepted', r.phantom.length],
    ['reported sent (tracking SEND) but never arrived', r.reportedNotArrived.length],
    [
      'transactions ended before DATA (by reply)',
      Object.entries(r.setbacks)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ') || 'none',
    ],
    ['queue drained at the end', r.drained ? 'yes' : 'no'],
    ['duration', `${(r.elapsedMs / 1000).toFixed(0)} s`],
  ];
  for (const [name, value] of rows) out.push(`| ${name} | ${value} |`);
  out.push('', `Verdict: **${verdict.ok ? 'pass' : 'FAIL: ' + verdict.reasons.join('; ')}**.`, '');
  if (input.findings) out.push(...findingsMarkdown(input.findings));
  out.push('## Suites', '');
  out.push('| section | tests passed | failed | skipped | files |', '| --- | ---: | ---: | ---: | --- |');
  for (const s of input.suites) out.push(`| ${s.title} | ${s.passed} | ${s.failed} | ${s.skipped} | ${s.files.map((f) => '`' + f.replace(/\.js$/, '.ts') + '`').join(', ') || '(not built)'} |`);
  for (const s of input.suites) {
    out.push('', `### ${s.title}`, '');
    if (s.figures.length) {
      out.push('| subject | finding | as required |', '| --- | --- | :---: |');
      for (const f of s.figures) out.push(`| ${cell(f.subject)} | ${cell(f.finding)} | ${f.ok ? 'yes' : '**no**'} |`);
      out.push('');
    }
    const failed = s.cases.filter((c) => !c.passed);
    if (failed.length) {
      out.push(`Failed (${failed.length}):`, '');
      for (const c of failed) out.push(`- **FAIL**: ${cell(c.name)}`, ...reasonBlock(c.reason));
      out.push('');
    }
    if (s.cases.length) {
      out.push('<details><summary>' + `${s.cases.length} cases` + '</summary>', '');
      for (const c of s.cases) out.push(`- ${c.skipped ? 'skipped' : c.passed ? 'pass' : '**FAIL**'}: ${cell(c.name)}`);
      out.push('', '</details>');
    } else {
      out.push('No test file of this section was built.');
    }
  }
  return out.join('\n') + '\n';
}

export function writeReport(path: string, input: ReportInput): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, reportMarkdown(input));
}
