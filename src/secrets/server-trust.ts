// How the servers of an organization vouch for a caller when one runs a
// cmdlet on another through its management endpoint (Get-Queue -Server MBX02
// typed in MBX01's shell). Every Mailbox server holds the organization key
// (it decrypts the organization's secrets with it), so a request signed with
// a key derived from it can only come from a server of the organization, or
// from someone who could already rewrite the organization's configuration.
// The signed claim names the server it comes from and the caller it acts for:
// a directory account, whose role groups the receiving server reads itself,
// or the operating-system user of a local shell, who owns the server and
// holds every right there, as on the server itself. No password travels.
//
// A claim is good for MAX_SKEW_MS either side of the receiver's clock and
// once only (its nonce is remembered until it would have expired anyway).

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../cmdlets/rbac.js';

/** The HTTP authorization scheme of a server's signed claim. */
export const DELEGATION_SCHEME = 'Gatehouse-Server';
/** How far apart the two servers' clocks may be. */
export const MAX_SKEW_MS = 5 * 60_000;
const INFO = 'gatehouse management delegation v1';

export interface Delegation {
  /** The server that sends the request. */
  from: string;
  /** Whom it acts for. */
  caller: Caller;
  issued: number;
  nonce: string;
}

export class ServerTrust {
  readonly #key: Buffer;
  /** Nonces seen, with the time after which they could not be replayed anyway. */
  private readonly seen = new Map<string, number>();

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The trust of an organization, from its key (never the key itself: a key derived for this use). */
  static fromOrganizationKey(organizationKey: Buffer): ServerTrust {
    return new ServerTrust(Buffer.from(hkdfSync('sha256', organizationKey, Buffer.alloc(0), INFO, 32)));
  }

  /** The Authorization header value of a request from server `from` acting for `caller`. */
  sign(from: string, caller: Caller, now = Date.now()): string {
    const claim: Delegation = { from, caller, issued: now, nonce: randomBytes(16).toString('base64url') };
    const body = Buffer.from(JSON.stringify(claim), 'utf8').toString('base64url');
    return `${DELEGATION_SCHEME} ${body}.${this.mac(body)}`;
  }

  /** The claim of a request's credentials, or why they are refused (for the log, never for the client). */
  verify(credentials: string, now = Date.now()): Delegation | { refused: string } {
    const [body, mac, extra] = credentials.split('.');
    if (!body || !mac || extra !== undefined) return { refused: 'a malformed server claim' };
    const expected = Buffer.from(this.mac(body), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { refused: "a server claim not signed with this organization's key (another organization, or a server whose organization.key differs)" };
    }
    let claim: Delegation;
    try {
      claim = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Delegation;
    } catch {
      return { refused: 'a server claim that is not JSON' };
    }
    if (typeof claim.from !== 'string' || typeof claim.nonce !== 'string' || typeof claim.issued !== 'number' || !validCaller(claim.caller)) {
      return { refused: 'a server claim without its fields' };
    }
    if (Math.abs(now - claim.issued) > MAX_SKEW_MS) {
      return { refused: `a server claim from ${claim.from} issued ${new Date(claim.issued).toISOString()}, more than ${MAX_SKEW_MS / 60_000} minutes from this server's clock: check both servers' time (NTP)` };
    }
    this.forgetOld(now);
    if (this.seen.has(claim.nonce)) return { refused: `a server claim from ${claim.from} sent a second time (a replay)` };
    this.seen.set(claim.nonce, claim.issued + MAX_SKEW_MS);
    return claim;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }

  private forgetOld(now: number): void {
    for (const [nonce, until] of this.seen) if (until < now) this.seen.delete(nonce);
  }
}

function validCaller(c: unknown): c is Caller {
  if (!c || typeof c !== 'object') return false;
  const x = c as Record<string, unknown>;
  if (x.kind === 'local') return typeof x.user === 'string';
  return x.kind === 'account' && typeof x.accountGuid === 'string' && typeof x.displayName === 'string';
}
