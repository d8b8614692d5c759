// The 220 greeting sent when a session opens.
//
// Default banner (same shape as Exchange's, spec exchange-operations.md §5.1,
// with our own product name):
//   220 <connector Fqdn> Gatehouse ESMTP ready at <ddd, d MMM yyyy HH:mm:ss zzzz>
// e.g. "220 mail1.fabrikam.com Gatehouse ESMTP ready at Fri, 5 Aug 2016 16:24:41 -0700":
// RFC 5322 §3.3 date-time, 24-hour clock, numeric offset.
// A connector Banner (validated elsewhere to start with "220") is sent as is;
// "220-" or "220" with no separator is normalised to "220 " so the greeting
// stays a single-line reply. Pure: the clock is passed in.

import { reply, type SmtpReply } from './reply.js';

export interface BannerOptions {
  readonly fqdn: string;
  /** Receive connector Banner; null/undefined for the default banner. */
  readonly banner?: string | null;
  readonly now: Date;
  /** Offset from UTC in minutes for the date; default: the host's offset at `now`. */
  readonly utcOffsetMinutes?: number;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date "Fri, 5 Aug 2016 16:24:41 -0700". */
export function rfc822Date(now: Date, utcOffsetMinutes: number = -now.getTimezoneOffset()): string {
  const t = new Date(now.getTime() + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return `${DAYS[t.getUTCDay()]}, ${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ` + `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} ` + `${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

export function bannerReply(options: BannerOptions): SmtpReply {
  const custom = options.banner;
  if (custom !== null && custom !== undefined && custom.startsWith('220')) {
    return reply(220, custom.slice(3).replace(/^[ -]/, ''));
  }
  return reply(220, `${options.fqdn} Gatehouse ESMTP ready at ${rfc822Date(options.now, options.utcOffsetMinutes)}`);
}
