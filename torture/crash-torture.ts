// Crash-safety torture: uniquely tagged messages flow over many concurrent
// sessions into an Edge that relays them to a recording sink, while the Edge
// is killed with SIGKILL at random moments (while sessions wait for the 250,
// i.e. during the group commit and its fsync; while it delivers; right after
// its Send connector was pointed at another smart host, i.e. while queued mail
// is re-routed) and started again, cycle after cycle. Then the queue drains
// and the books are compared: every message that got a 250 must have arrived
// (zero lost); duplicates are counted; nothing arrives that was never sent;
// and the Edge reports as sent (SEND) only what the sink received.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TorturedEdge } from './edge.js';
import { Ledger, runLoad } from './load.js';
import { RecordingSink } from './recording-sink.js';

export interface TortureOptions {
  scratch: string;
  edge: { host: string; port: number };
  /** Two smart hosts; the connector is switched between them in re-routing cycles. */
  sinks: [string, string];
  sinkPort: number;
  cycles: number;
  messages: number;
  sessions: number;
  bodyBytes: number;
  /** Wall-clock cap for the sending phase; the drain and the comparison still run after it. */
  durationMs: number;
  /** The least time between a restart and the next kill (a faster crash loop is poison detection's case). */
  minUptimeMs: number;
  /** How long the queue may take to drain at the end. */
  drainMs: number;
  /** Pseudo-random source, seeded by the caller so that a run can be repeated. */
  random: () => number;
  progress?: (line: string) => void;
}

export interface Kill {
  cycle: number;
  at: number;
  /** Messages delivered twice whose first delivery came after the previous kill and before this one. */
  duplicates: number;
  /** What was going on at the moment of the kill. */
  awaitingReply: number;
  deliveringWithin500ms: boolean;
  rerouted: boolean;
  queuedAtKill: number;
  acknowledgedSoFar: number;
}

export interface TortureResult {
  kills: Kill[];
  issued: number;
  sent: number;
  acknowledged: number;
  refused: number;
  /** Sent, and the connection died before the reply. */
  unanswered: number;
  /** Acknowledged messages that never arrived: must be empty. */
  lost: string[];
  /** Arrivals beyond the first of a message. */
  duplicates: number;
  /** Unanswered messages that arrived anyway (accepted just before the kill; a real client would resend). */
  unansweredArrived: number;
  /** Arrivals of tags never sent, or refused: must be empty. */
  phantom: string[];
  /** Messages the Edge's tracking log reports as sent that the sink never received: must be empty. */
  reportedNotArrived: string[];
  arrivals: number;
  /** Replies that ended a session's transaction before DATA, by command and code. */
  setbacks: Record<string, number>;
  drained: boolean;
  /** What was left in the queue when the drain timed out. */
  leftInQueue: string[];
  elapsedMs: number;
  edgeErrors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function crashTorture(o: TortureOptions): Promise<TortureResult> {
  const started = Date.now();
  const say = o.progress ?? (() => undefined);
  mkdirSync(o.scratch, { recursive: true });
  const sinks = await Promise.all(o.sinks.map((host, i) => RecordingSink.start(host, o.sinkPort, join(o.scratch, `sink-${i}`))));
  const edge = new TorturedEdge(o.scratch, o.edge.host, o.edge.port);
  const ledger = new Ledger(o.messages);
  const kills: Kill[] = [];
  let stopping = false;
  let load: Promise<void> | undefined;
  try {
    edge.setUp(o.sinks[0], o.sinkPort);
    await edge.start();
    const sendUntil = started + o.durationMs;
    load = runLoad(ledger, { host: o.edge.host, port: o.edge.port, sessions: o.sessions, perConnection: 10, bodyBytes: o.bodyBytes, stop: () => stopping || Date.now() > sendUntil });
    const perCycle = o.messages / (o.cycles + 1);
    let target = 0;
    let sinkIndex = 0;
    for (let cycle = 1; cycle <= o.cycles && Date.now() < sendUntil; cycle++) {
      // The kill comes after a random share of this cycle's messages were acknowledged.
      target += perCycle * (0.5 + o.random());
      const rerouting = cycle % 3 === 0;
      const cycleDeadline = Date.now() + 120_000;
      let arrivalsSeen = arrivalsOf(sinks);
      let lastArrivalAt = 0;
      let scannedAt = 0;
      const waitFor = async (count: number) => {
        while (ledger.acknowledged.size < count && ledger.issued < o.messages && Date.now() < Math.min(sendUntil, cycleDeadline)) {
          await sleep(20);
          // Reading the sinks' folders (up to one file per message) is costly: a few times a second is enough.
          if (Date.now() - scannedAt < 250) continue;
          scannedAt = Date.now();
          for (const s of sinks) s.scan();
          const now = arrivalsOf(sinks);
          if (now > arrivalsSeen) lastArrivalAt = Date.now();
          arrivalsSeen = now;
        }
      };
      // A restart recovers the messages that were in flight and sends them first; killing it again
      // before that is a crash loop, which poison detection (PoisonThreshold) is there to stop.
      const earliestKill = Date.now() + o.minUptimeMs;
      if (rerouting) {
        await waitFor(target - perCycle / 2);
        sinkIndex = 1 - sinkIndex;
        edge.reroute(o.sinks[sinkIndex]);
        // The service picks the change up within a second or two; kill somewhere in that window.
        await sleep(250 + o.random() * 1500);
      } else {
        await waitFor(target);
      }
      while (Date.now() < earliestKill) await sleep(20);
      for (const s of sinks) s.scan();
      if (arrivalsOf(sinks) > arrivalsSeen) lastArrivalAt = Date.now();
      const awaitingReply = ledger.awaitingReply;
      await edge.kill();
      const kill: Kill = {
        cycle,
        at: Date.now(),
        duplicates: 0,
        awaitingReply,
        deliveringWithin500ms: Date.now() - lastArrivalAt < 500,
        rerouted: rerouting,
        queuedAtKill: edge.queueDepth().pending,
        acknowledgedSoFar: ledger.acknowledged.size,
      };
      kills.push(kill);
      say(
        `cycle ${cycle}/${o.cycles}: SIGKILL with ${kill.awaitingReply} session(s) awaiting the 250, ${kill.queuedAtKill} recipient(s) queued${kill.deliveringWithin500ms ? ', delivering' : ''}${rerouting ? ', re-routing to ' + o.sinks[sinkIndex] : ''}; ${kill.acknowledgedSoFar} acknowledged so far`,
      );
      await edge.start();
    }
    say(`last kill done; sending the rest of the ${o.messages} messages`);
    await load;
    stopping = true;
    say(`sending stopped: ${ledger.acknowledged.size} acknowledged; draining the queue`);
    const drainUntil = Date.now() + o.drainMs;
    let drained = false;
    while (Date.now() < drainUntil) {
      for (const s of sinks) s.scan();
      const missing = [...ledger.acknowledged].some((t) => !sinks.some((s) => s.arrivals.has(t)));
      if (!missing && edge.queueDepth().pending === 0) {
        drained = true;
        break;
      }
      await sleep(500);
    }
    await edge.stop();
    await sleep(200);
    for (const s of sinks) s.scan();
    return account(ledger, sinks, edge, kills, drained, Date.now() - started);
  } finally {
    stopping = true;
    await edge.stop();
    await load?.catch(() => undefined);
    await Promise.all(sinks.map((s) => s.stop()));
  }
}

function arrivalsOf(sinks: RecordingSink[]): number {
  return sinks.reduce((n, s) => n + s.total, 0);
}

function account(ledger: Ledger, sinks: RecordingSink[], edge: TorturedEdge, kills: Kill[], drained: boolean, elapsedMs: number): TortureResult {
  const arrived = new Map<string, number>();
  for (const s of sinks) for (const [tag, n] of s.arrivals) arrived.set(tag, (arrived.get(tag) ?? 0) + n);
  let duplicates = 0;
  for (const [tag, n] of arrived) {
    if (n === 1) continue;
    duplicates += n - 1;
    const first = Math.min(...sinks.map((s) => s.firstArrival.get(tag) ?? Infinity));
    const kill = kills.find((k) => k.at >= first);
    if (kill) kill.duplicates += n - 1;
  }
  const unanswered = [...ledger.sent].filter((t) => !ledger.acknowledged.has(t) && !ledger.refused.has(t));
  const reported = edge.reportedSent();
  return {
    kills,
    issued: ledger.issued,
    sent: ledger.sent.size,
    acknowledged: ledger.acknowledged.size,
    refused: ledger.refused.size,
    unanswered: unanswered.length,
    lost: [...ledger.acknowledged].filter((t) => !arrived.has(t)),
    duplicates,
    unansweredArrived: unanswered.filter((t) => arrived.has(t)).length,
    phantom: [...arrived.keys()].filter((t) => !ledger.sent.has(t) || ledger.refused.has(t)),
    reportedNotArrived: [...reported].filter((t) => !arrived.has(t)),
    arrivals: [...arrived.values()].reduce((a, b) => a + b, 0) + sinks.reduce((a, s) => a + s.untagged, 0),
    setbacks: Object.fromEntries(ledger.setbacks),
    drained,
    leftInQueue: drained ? [] : edge.leftInQueue(),
    elapsedMs,
    edgeErrors: edge.errors.slice(0, 200),
  };
}
