// ARC sealing (RFC 8617) of mail that came in from the Internet and leaves for
// the Internet again (a distribution group's external member, a mailbox's
// forwarding address): the final receiver cannot trust SPF or the From
// domain's DKIM any more, but it can trust what this Edge found when the
// message first came in, if this organization vouches for it with an ARC set.
//
// Which messages: those that carry this Edge's own Authentication-Results
// (authserv-id = the server's FQDN or one of its Receive connectors' FQDNs).
// The inbound session removes such fields from anyone untrusted (RFC 8601 §5,
// message-headers.ts), so the one found was stamped here, or brought back by
// the organization's own Mailbox servers (a trusted session keeps it).
//
// The set: ARC-Authentication-Results copying that Authentication-Results,
// ARC-Message-Signature over the message as sent, ARC-Seal with cv= taken from
// the arc= result the Edge found then (none: no chain, this set is i=1; pass or
// fail: the existing chain's verdict). Made by mailauth's sealer, after the
// DKIM signature (RFC 8617 §5.1: the sealer signs after every other change).
// Not sealed: a chain whose newest seal already says cv=fail (a failed chain
// stays failed, RFC 8617 §5.1.2), a chain
// of 50 sets, a verdict that does not match the chain the message carries
// (e.g. arc=none because the Edge could not check it), and Ed25519 keys (RFC
// 8617 allows rsa-sha256 only).
//
// The key: the DkimSigningConfig of the organization's default accepted domain
// (the sealer is the organization, whatever domain the forwarded message is
// from), when it is Enabled.

import { createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { authservId, parseHeader } from '../smtp/message-headers.js';
import { splitContent } from '../smtp/header-section.js';

export type ArcCv = 'none' | 'pass' | 'fail';

export type ArcSealPlan = { seal: true; cv: ArcCv; instance: number; authResults: string } | { seal: false; reason: string };

export interface ArcSealingKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
}

const require = createRequire(import.meta.url);
const { sealMessage } = require('mailauth/lib/arc/index.js') as {
  sealMessage: (input: Buffer, seal: Record<string, unknown>) => Promise<Buffer>;
};

/** The longest chain RFC 8617 §4.2.1 allows. */
export const ARC_MAX_INSTANCES = 50;

/**
 * What to do with a message leaving for the Internet: null when it carries no Authentication-Results
 * of this server (`ownIds`, lower-case); else the set to add, or why none is added.
 */
export function arcSealPlan(message: Buffer, ownIds: readonly string[]): ArcSealPlan | null {
  const fields = parseHeader(splitContent(message).header);
  const ids = ownIds.map((n) => n.toLowerCase());
  // The topmost is the newest (each hop stamps on top).
  const ar = fields.find((f) => f.name.toLowerCase() === 'authentication-results' && ids.includes(authservId(f.value)));
  if (!ar) return null;
  const verdict = /(?:^|[;\s])arc=([a-z]+)/i.exec(ar.value.replace(/\([^()]*\)/g, ' '))?.[1]?.toLowerCase() ?? 'none';
  // The existing chain: its sets' instances, and the newest seal's cv.
  const seals = fields
    .filter((f) => f.name.toLowerCase() === 'arc-seal')
    .map((f) => ({
      i: Number(/(?:^|;)\s*i\s*=\s*(\d+)/.exec(f.value)?.[1] ?? 0),
      cv: (/(?:^|;)\s*cv\s*=\s*([a-z]+)/i.exec(f.value)?.[1] ?? '').toLowerCase(),
    }));
  const newest = seals.reduce((a, b) => (b.i > a.i ? b : a), { i: 0, cv: '' });
  if (newest.i >= ARC_MAX_INSTANCES) return { seal: false, reason: `the ARC chain already has ${newest.i} sets (at most ${ARC_MAX_INSTANCES})` };
  if (newest.i > 0 && newest.cv === 'fail') return { seal: false, reason: `the newest ARC-Seal (i=${newest.i}) says cv=fail` };
  if (verdict !== 'none' && verdict !== 'pass' && verdict !== 'fail') return { seal: false, reason: `the Edge's arc=${verdict} is not a chain verdict` };
  if (verdict === 'none' && newest.i > 0) return { seal: false, reason: `the message carries an ARC chain (i=${newest.i}) that the Edge did not verify (arc=none)` };
  if (verdict !== 'none' && newest.i === 0) return { seal: false, reason: `the Edge found arc=${verdict} but the message carries no ARC chain now` };
  // The field's value as stamped (folding kept), without the name and the line end.
  const raw = ar.raw.toString('latin1');
  const authResults = raw
    .slice(raw.indexOf(':') + 1)
    .replace(/^[ \t]+/, '')
    .replace(/\r\n$/, '');
  return { seal: true, cv: verdict, instance: newest.i + 1, authResults };
}

/** Why a key cannot seal, or null when it can (RFC 8617 §4.1.3: rsa-sha256 only). */
export function arcKeyProblem(privateKeyPem: string): string | null {
  const type = createPrivateKey(privateKeyPem).asymmetricKeyType;
  return type === 'rsa' ? null : `ARC seals with rsa-sha256 only; the key is ${type === 'ed25519' ? 'Ed25519' : String(type)}`;
}

/** The three ARC fields (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results, with CRLFs) for `message`. */
export async function arcSet(message: Buffer, key: ArcSealingKey, plan: Extract<ArcSealPlan, { seal: true }>, now: Date = new Date()): Promise<string> {
  const problem = arcKeyProblem(key.privateKeyPem);
  if (problem) throw new Error(problem);
  const set = (
    await sealMessage(message, {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKeyPem,
      algorithm: 'rsa-sha256',
      cv: plan.cv,
      authResults: plan.authResults,
      signTime: now,
    })
  ).toString('latin1');
  // mailauth collects signing errors instead of throwing them: check that all three fields were made.
  const names = set
    .split(/\r\n(?![ \t])/)
    .filter((l) => l !== '')
    .map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
  if (names.join(',') !== 'arc-seal,arc-message-signature,arc-authentication-results' || /^ARC-Message-Signature:\s*undefined/im.test(set)) {
    throw new Error(`ARC sealing failed for d=${key.domain} s=${key.selector}: the ARC set is incomplete`);
  }
  const instance = Number(/^ARC-Seal:\s*i=(\d+)/i.exec(set)?.[1]);
  if (instance !== plan.instance) throw new Error(`ARC sealing made i=${instance}, expected i=${plan.instance}`);
  return set;
}

/** The message with the ARC set on top. */
export async function sealArc(message: Buffer, key: ArcSealingKey, plan: Extract<ArcSealPlan, { seal: true }>, now?: Date): Promise<Buffer> {
  return Buffer.concat([Buffer.from(await arcSet(message, key, plan, now), 'latin1'), message]);
}
