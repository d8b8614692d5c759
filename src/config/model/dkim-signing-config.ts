// A DKIM signing configuration of one domain (Exchange Online's
// New-/Get-/Set-/Rotate-DkimSigningConfig): two selectors, selector1 and
// selector2, each with its own key pair. The private keys are sealed under the
// master key like every other secret (Selector1PrivateKey/Selector2PrivateKey,
// never shown); the public keys are kept as the DNS TXT record values to
// publish at <selector>._domainkey.<domain>. Exchange Online publishes CNAMEs
// to its own zone instead; an on-premises server shows the TXT records
// (dkimTxtRecord) so that Get-DkimSigningConfig | Format-List says what to
// publish.
//
// Rotation (Rotate-DkimSigningConfig) gives the other selector a new key and
// signs with it from then on (RotateOnDate); the key of the selector it leaves
// stays listed and must stay published for RETIRED_KEY_PUBLISH_DAYS more days,
// so that mail signed before the rotation still verifies when it is read or
// retried late. Pure.

import { prop, type ObjectSchema } from '../schema.js';
import { defineEnum } from '../types/enums.js';
import { parseBool, parseString } from './common.js';

export const DKIM_SELECTORS = ['selector1', 'selector2'] as const;
export type DkimSelector = (typeof DKIM_SELECTORS)[number];

/** Days the selector a rotation left must stay published after RotateOnDate. */
export const RETIRED_KEY_PUBLISH_DAYS = 7;

export const CanonicalizationType = defineEnum('Microsoft.Exchange.Data.Directory.SystemConfiguration.CanonicalizationType', ['Simple', 'Relaxed']);
/** Gatehouse's own: Exchange Online signs with RSA only; Ed25519 is RFC 8463's ed25519-sha256. */
export const DkimKeyType = defineEnum('DkimKeyType', ['RSA', 'Ed25519']);
export const DKIM_RSA_KEY_SIZES = [1024, 2048] as const;

const date = (name: string, description: string) => prop({ name, typeName: 'DateTime', description, parse: (v) => new Date(String(v)), settable: 'never', runtime: true, store: (d: Date) => d.toISOString(), nullable: true });
const text = (name: string, description: string) => prop({ name, typeName: 'String', description, parse: parseString, settable: 'never', runtime: true, nullable: true });
const selector = (v: unknown): DkimSelector => {
  const s = String(v).toLowerCase();
  if (s !== 'selector1' && s !== 'selector2') throw new Error(`"${String(v)}" is not a DKIM selector (selector1 or selector2)`);
  return s;
};
const privateKey = (n: 1 | 2) =>
  prop({
    name: `Selector${n}PrivateKey`,
    typeName: 'SecureString',
    description: `The private key of selector${n} (PKCS#8 PEM), sealed under the master key.`,
    parse: parseString,
    settable: 'never',
    runtime: true,
    secret: true,
    hidden: true,
    nullable: true,
    store: (v: string, secrets) => (v.startsWith('v1:') ? v : secrets.seal(v, secrets.purpose)),
    load: (v) => String(v),
  });

export const dkimSigningConfigSchema: ObjectSchema = {
  typeName: 'DkimSigningConfig',
  noun: 'DkimSigningConfig',
  label: 'DKIM signing configuration',
  scope: 'organization',
  properties: [
    text('Name', 'The domain (the identity of the configuration).'),
    text('Domain', 'The domain whose mail is signed: mail whose From address is in this domain gets a DKIM-Signature with d=<domain>.'),
    prop({ name: 'Enabled', typeName: 'Boolean', description: 'Whether mail from the domain is signed when it leaves for the Internet.', parse: parseBool, settable: 'both', runtime: true, default: true }),
    text('AdminDisplayName', 'A description of the configuration.'),
    prop({
      name: 'BodyCanonicalization',
      typeName: 'CanonicalizationType',
      description: 'The body canonicalization of the signature (c=): Relaxed (the default) or Simple.',
      parse: CanonicalizationType.parse,
      settable: 'both',
      runtime: true,
      default: 'Relaxed',
    }),
    prop({
      name: 'HeaderCanonicalization',
      typeName: 'CanonicalizationType',
      description: 'The header canonicalization of the signature (c=): Relaxed (the default) or Simple.',
      parse: CanonicalizationType.parse,
      settable: 'both',
      runtime: true,
      default: 'Relaxed',
    }),
    prop({
      name: 'KeyType',
      typeName: 'DkimKeyType',
      description: "The algorithm of the key that signs now: RSA (rsa-sha256) or Ed25519 (ed25519-sha256, RFC 8463). Gatehouse's own property.",
      parse: DkimKeyType.parse,
      settable: 'never',
      runtime: true,
      default: 'RSA',
    }),
    prop({ name: 'Selector1KeySize', typeName: 'UInt16', description: "The size in bits of selector1's key (256 for Ed25519).", parse: (v) => Number(v), settable: 'never', runtime: true, nullable: true }),
    prop({ name: 'Selector2KeySize', typeName: 'UInt16', description: "The size in bits of selector2's key (256 for Ed25519).", parse: (v) => Number(v), settable: 'never', runtime: true, nullable: true }),
    text('Selector1PublicKey', "The value of selector1's DNS TXT record: v=DKIM1; k=...; p=<public key>."),
    text('Selector2PublicKey', "The value of selector2's DNS TXT record: v=DKIM1; k=...; p=<public key>."),
    privateKey(1),
    privateKey(2),
    prop({ name: 'SelectorBeforeRotateOnDate', typeName: 'String', description: 'The selector that signed before RotateOnDate.', parse: selector, settable: 'never', runtime: true, default: 'selector1' }),
    prop({ name: 'SelectorAfterRotateOnDate', typeName: 'String', description: 'The selector that signs from RotateOnDate on.', parse: selector, settable: 'never', runtime: true, default: 'selector1' }),
    date('RotateOnDate', 'When signing switched to SelectorAfterRotateOnDate (the last rotation, or the creation).'),
    date('KeyCreationTime', 'When the key that signs now was created.'),
  ],
};

/** Selector of the other half of the pair. */
export function otherSelector(s: DkimSelector): DkimSelector {
  return s === 'selector1' ? 'selector2' : 'selector1';
}

/** The selector that signs at `now`. */
export function activeSelector(v: Record<string, unknown>, now: Date = new Date()): DkimSelector {
  const on = v.RotateOnDate instanceof Date ? v.RotateOnDate : null;
  const after = selector(v.SelectorAfterRotateOnDate ?? 'selector1');
  const before = selector(v.SelectorBeforeRotateOnDate ?? after);
  return !on || now.getTime() >= on.getTime() ? after : before;
}

/** Until when the selector a rotation left must stay published (null: nothing retiring). */
export function retiredPublishUntil(v: Record<string, unknown>): Date | null {
  const before = v.SelectorBeforeRotateOnDate;
  const after = v.SelectorAfterRotateOnDate;
  const on = v.RotateOnDate instanceof Date ? v.RotateOnDate : null;
  if (!on || before === after) return null;
  return new Date(on.getTime() + RETIRED_KEY_PUBLISH_DAYS * 86_400_000);
}

/**
 * The DNS TXT record of one selector in zone-file form, the value split into
 * strings of at most 255 characters (RFC 1035 §3.3.14; a 2048-bit key does not
 * fit in one): selector1._domainkey.contoso.com. IN TXT "v=DKIM1; k=rsa; p=..." "...".
 */
export function dkimTxtRecord(domain: string, sel: DkimSelector, value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(`"${value.slice(i, i + 255)}"`);
  return `${sel}._domainkey.${domain}. IN TXT ${parts.join(' ')}`;
}

/** The TXT records to publish now: the signing selector, and the one a rotation left while it must stay published. */
export function recordsToPublish(v: Record<string, unknown>, now: Date = new Date()): string[] {
  const domain = String(v.Domain);
  const active = activeSelector(v, now);
  const until = retiredPublishUntil(v);
  const out: string[] = [];
  for (const sel of DKIM_SELECTORS) {
    const value = v[sel === 'selector1' ? 'Selector1PublicKey' : 'Selector2PublicKey'];
    if (typeof value !== 'string' || value === '') continue;
    const keep = sel === active || (until !== null && now.getTime() < until.getTime());
    if (keep) out.push(dkimTxtRecord(domain, sel, value));
  }
  return out;
}
