// `gatehouse check`, folder and file modes: the server folder (stores, keys,
// queue, Maildirs, logs), a Mailbox server's SQLite organization store and its
// key, and log folders kept outside the server folder must be private to the
// service's user; each area that group or others can read or write is one
// finding with the chmod that fixes it (the rule `gatehouse start` enforces).

import { findExposed, octalMode, type PrivateArea } from './folder-privacy.js';
import type { Finding } from './check-finding.js';

export function checkFileModes(areas: PrivateArea[]): Finding[] {
  const out: Finding[] = [];
  for (const area of areas) {
    const report = findExposed(area.paths, { recursive: area.recursive });
    if (report.count === 0) continue;
    const examples = report.examples.map((e) => `${e.path} (${e.kind} ${octalMode(e.mode)})`).join(', ');
    out.push({
      area: 'files',
      problem: `${area.what}: ${report.count} path${report.count === 1 ? ' is' : 's are'} readable or writable by group or others, e.g. ${examples}; the service refuses to start`,
      fix: area.fix,
    });
  }
  return out;
}
