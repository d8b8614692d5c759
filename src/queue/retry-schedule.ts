// When a delivery queue that could not reach its next hop tries again (spec
// exchange-operations.md §2.4): a few quick "glitch" retries, then
// TransientFailureRetryCount retries TransientFailureRetryInterval apart, then
// one attempt every OutboundConnectionFailureRetryInterval until the messages
// expire. Exchange's glitch spacing (one minute, set only in its
// EdgeTransport.exe.config) is capped here at the transient interval so that a
// short TransientFailureRetryInterval really means short retries.

export interface RetrySettings {
  transientFailureRetryCount: number;
  transientFailureRetryIntervalMs: number;
  outboundConnectionFailureRetryIntervalMs: number;
  messageRetryIntervalMs: number;
  messageExpirationMs: number;
  delayNotificationMs: number;
}

export const GLITCH_RETRY_COUNT = 4;
export const GLITCH_RETRY_INTERVAL_MS = 60_000;

/** Delay before the next attempt after `failures` consecutive failed attempts (1 = the first failure). */
export function queueRetryDelay(failures: number, s: RetrySettings): number {
  const glitch = Math.min(GLITCH_RETRY_INTERVAL_MS, s.transientFailureRetryIntervalMs);
  if (failures <= GLITCH_RETRY_COUNT) return glitch;
  if (failures <= GLITCH_RETRY_COUNT + s.transientFailureRetryCount) return s.transientFailureRetryIntervalMs;
  return s.outboundConnectionFailureRetryIntervalMs;
}

/** Spreads retries by +-10% so that queues failing together do not retry together. */
export function withJitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.9 + random() * 0.2));
}
