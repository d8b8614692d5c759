// The original client of a message (Set-TransportConfig -InternalSMTPServers):
// when the connecting client is one of the organization's own SMTP servers
// (a relay in front of this one), the original client is the first address
// in the message's Received fields, newest first, that is not one of them.
// Shown as OriginalClientIp in the message tracking log.

import { isIP } from 'node:net';
import type { IPRange } from '../../config/types/index.js';

/** The address a Received field says the message came from ("from host (helo [ip])"), if any. */
export function receivedFromAddress(value: string): string | null {
  const from = /^\s*from\s+(.*?)(?:\s+by\s|$)/is.exec(value)?.[1] ?? '';
  for (const m of from.matchAll(/[[(](?:[^\])[]*?\s)?(?:IPv6:)?([0-9A-Fa-f:.]+)[\])]/g)) {
    const ip = m[1].replace(/^::ffff:(?=\d+\.)/i, '');
    if (isIP(ip)) return ip;
  }
  return null;
}

/** `received`: the values of the message's Received fields, newest (topmost) first. */
export function originalClientIp(clientIp: string, received: readonly string[], internal: readonly IPRange[]): string {
  const isInternal = (ip: string) => internal.some((r) => r.contains(ip));
  if (!isInternal(clientIp)) return clientIp;
  for (const value of received) {
    const ip = receivedFromAddress(value);
    if (ip && !isInternal(ip)) return ip;
  }
  return clientIp;
}
