// What a benchmark run leaves behind: the table on stdout, latest.json, and an
// SVG bar chart of the matrix (msgs/s per peer, per size and concurrency).

import type { PeerName } from './peers.js';

export interface Row {
  peer: PeerName;
  concurrency: number;
  size: number;
  msgs_per_s: number;
  min: number;
  max: number;
  runs: number;
  p50_accept_ms: number | null;
  p99_accept_ms: number | null;
  /** smtp-source straight into smtp-sink at this point: the machine's limit. */
  limit_msgs_per_s?: number;
  rss_mb: number | null;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const sizeText = (n: number) => (n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} B`);
const f = (n: number | null, d = 0) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(d));

export function table(rows: Row[]): string {
  const points = [...new Map(rows.map((r) => [`${r.size}|${r.concurrency}`, { size: r.size, c: r.concurrency }])).values()];
  const peers = [...new Set(rows.map((r) => r.peer))];
  const lines = [
    '| size | c | ' +
      peers.map((p) => `${p} msgs/s median [min-max]`).join(' | ') +
      ' | ' +
      peers
        .filter((p) => p !== 'gatehouse')
        .map((p) => `gatehouse/${p}`)
        .join(' | ') +
      ' |',
  ];
  lines.push('|' + ' --- |'.repeat(2 + peers.length + peers.filter((p) => p !== 'gatehouse').length));
  for (const pt of points) {
    const at = (p: PeerName) => rows.find((r) => r.peer === p && r.size === pt.size && r.concurrency === pt.c);
    const g = at('gatehouse');
    lines.push(
      `| ${sizeText(pt.size)} | ${pt.c} | ` +
        peers
          .map((p) => {
            const r = at(p);
            return r ? `${f(r.msgs_per_s)} [${f(r.min)}-${f(r.max)}]` : '-';
          })
          .join(' | ') +
        ' | ' +
        peers
          .filter((p) => p !== 'gatehouse')
          .map((p) => {
            const r = at(p);
            return g && r ? (g.msgs_per_s / r.msgs_per_s).toFixed(2) : '-';
          })
          .join(' | ') +
        ' |',
    );
  }
  return lines.join('\n');
}

/** End-of-DATA to 250 at every point, p50/p99 per peer, and Gatehouse's throughput as a fraction of the machine's limit. */
export function latencyTable(rows: Row[]): string {
  const points = [...new Map(rows.map((r) => [`${r.size}|${r.concurrency}`, { size: r.size, c: r.concurrency }])).values()];
  const peers = [...new Set(rows.map((r) => r.peer))];
  const lines = [`| size | c | ${peers.map((p) => `${p} p50 / p99 ms`).join(' | ')} | limit msgs/s | gatehouse/limit |`, '|' + ' --- |'.repeat(4 + peers.length)];
  for (const pt of points) {
    const at = (p: PeerName) => rows.find((r) => r.peer === p && r.size === pt.size && r.concurrency === pt.c);
    const g = at('gatehouse');
    const lim = g?.limit_msgs_per_s ?? rows.find((r) => r.size === pt.size && r.concurrency === pt.c)?.limit_msgs_per_s;
    lines.push(
      `| ${sizeText(pt.size)} | ${pt.c} | ${peers
        .map((p) => {
          const r = at(p);
          return r ? `${f(r.p50_accept_ms, 2)} / ${f(r.p99_accept_ms, 2)}` : '-';
        })
        .join(' | ')} | ${f(lim ?? null)} | ${g && lim ? (g.msgs_per_s / lim).toFixed(2) : '-'} |`,
    );
  }
  return lines.join('\n');
}

const COLORS: Record<PeerName, string> = { gatehouse: '#2b6cb0', postfix: '#dd6b20', haraka: '#718096', 'mailbox-sqlite': '#38a169', 'mailbox-pg': '#805ad5' };

export function chart(rows: Row[], title: string): string {
  const points = [...new Map(rows.map((r) => [`${r.size}|${r.concurrency}`, { size: r.size, c: r.concurrency }])).values()];
  const peers = [...new Set(rows.map((r) => r.peer))];
  const max = Math.max(1, ...rows.map((r) => r.max));
  const W = 760,
    H = 360,
    left = 60,
    bottom = 60,
    top = 40;
  const groupW = (W - left - 20) / Math.max(1, points.length);
  const barW = Math.min(36, (groupW - 16) / Math.max(1, peers.length));
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${H - bottom}" x2="${W - 10}" y2="${H - bottom}" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`, `<line x1="${left}" y1="${y(v)}" x2="${W - 10}" y2="${y(v)}" stroke="#eee"/>`);
  }
  points.forEach((pt, gi) => {
    const x0 = left + gi * groupW + 8;
    peers.forEach((p, pi) => {
      const r = rows.find((x) => x.peer === p && x.size === pt.size && x.concurrency === pt.c);
      if (!r) return;
      const x = x0 + pi * barW;
      parts.push(`<rect x="${x}" y="${y(r.msgs_per_s)}" width="${barW - 2}" height="${H - bottom - y(r.msgs_per_s)}" fill="${COLORS[p]}"><title>${p}: ${r.msgs_per_s.toFixed(0)} msgs/s</title></rect>`);
      parts.push(`<line x1="${x + (barW - 2) / 2}" y1="${y(r.min)}" x2="${x + (barW - 2) / 2}" y2="${y(r.max)}" stroke="black"/>`);
    });
    parts.push(`<text x="${x0 + (peers.length * barW) / 2}" y="${H - bottom + 16}" text-anchor="middle">${sizeText(pt.size)}, c=${pt.c}</text>`);
  });
  peers.forEach((p, i) => parts.push(`<rect x="${left + 10 + i * 110}" y="${H - 22}" width="12" height="12" fill="${COLORS[p]}"/>`, `<text x="${left + 26 + i * 110}" y="${H - 12}">${p}</text>`));
  parts.push(`<text x="14" y="${(H - bottom + top) / 2}" transform="rotate(-90 14 ${(H - bottom + top) / 2})" text-anchor="middle">msgs/s (median, min-max)</text>`, '</svg>');
  return parts.join('\n') + '\n';
}
