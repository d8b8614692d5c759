// The soak: Gatehouse alone relaying 2 KiB messages at c=10 for some minutes, its RSS sampled
// every 5 s. After the warm-up the samples are cut into windows; memory is flat when the largest
// window median is within 10% of the smallest. `npm run bench -- --soak [--minutes N]` runs it
// for 30 minutes by default; the test suite runs a 3-minute one (test/soak.test.ts).

import { smtpSource } from './load.js';
import { GatehousePeer, processTree, rssMb } from './peers.js';
import { median } from './report.js';
import type { Sink } from './sink.js';

/** The largest window median may be this much above the smallest. */
export const FLAT_LIMIT = 0.1;

export interface SoakResult {
  minutes: number;
  messages: number;
  failed_batches: number;
  warmup_s: number;
  window_s: number;
  window_median_rss_mb: number[];
  growth: number;
  flat: boolean;
  samples: { t: number; rss: number }[];
}

/** Window medians of RSS samples: flat when the largest is within FLAT_LIMIT of the smallest. */
export function rssFlatness(samples: { t: number; rss: number }[], warmupMs: number, windowMs: number): { windows: number[]; growth: number; flat: boolean } {
  const after = samples.filter((x) => x.t >= warmupMs);
  const windows: number[] = [];
  for (let start = warmupMs; ; start += windowMs) {
    const inWindow = after.filter((x) => x.t >= start && x.t < start + windowMs).map((x) => x.rss);
    if (inWindow.length === 0) break;
    windows.push(median(inWindow));
  }
  const growth = windows.length > 1 ? Math.max(...windows) / Math.min(...windows) - 1 : 0;
  return { windows, growth, flat: windows.length > 1 && growth <= FLAT_LIMIT };
}

/**
 * Runs the soak against a Gatehouse Edge set up in `scratch` (the bench's Edge), listening on
 * address:port and relaying to `sink`. The warm-up is a fifth of the run (5 minutes at most);
 * the windows are a tenth of the rest (30 s at least).
 */
export async function soak(minutes: number, address: string, port: number, sink: Sink, scratch: string, log: (s: string) => void): Promise<SoakResult> {
  const peer = new GatehousePeer(address, port, { address: sink.address, port: sink.port }, scratch);
  log(`Starting gatehouse for a ${minutes}-minute soak at c=10, 2 KiB...`);
  await peer.start();
  const t0 = Date.now();
  const samples: { t: number; rss: number }[] = [];
  const sampler = setInterval(() => samples.push({ t: Date.now() - t0, rss: Number(rssMb(processTree(peer.rootPids())).toFixed(1)) }), 5000);
  let sent = 0;
  let failures = 0;
  try {
    const end = t0 + minutes * 60_000;
    for (let batch = 0; batch < 100_000 && Date.now() < end; batch++) {
      const before = sink.messages;
      const r = await smtpSource({ address, port, concurrency: 10, messages: 2000, size: 2048, timeoutMs: 240_000 });
      const arrived = await sink.waitFor(before + 2000, Date.now() + 120_000);
      if (!r.ok || arrived === null) failures++;
      sent += 2000;
    }
  } finally {
    clearInterval(sampler);
    await peer.stop().catch(() => undefined);
  }
  const warmupMs = Math.min(5 * 60_000, (minutes * 60_000) / 5);
  const windowMs = Math.max(30_000, Math.round((minutes * 60_000 - warmupMs) / 10));
  const f = rssFlatness(samples, warmupMs, windowMs);
  return { minutes, messages: sent, failed_batches: failures, warmup_s: warmupMs / 1000, window_s: windowMs / 1000, window_median_rss_mb: f.windows, growth: Number(f.growth.toFixed(3)), flat: f.flat, samples };
}
