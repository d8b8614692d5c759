// The result type of mail routing lookups and the reasons it can carry.
//
// Texts follow Exchange's forms where Exchange documents one ("550 5.4.4
// SMTPSEND.DNS.NonExistentDomain; nonexistent domain" as an NDR, "451 4.4.0
// DNS query failed. The error was: ..." as a queue's LastError); the other
// wordings are this project's own. Invariants:
// - permanent failures carry a 5.x.x enhanced code and a 5yz reply code,
//   transient ones 4.4.0 and 451.
// - `enhanced` is the code that also appears inside `text`.

export interface MailHost {
  /** The MX host name, the smart host name, or the address literal ("[127.0.0.5]"). */
  name: string;
  /** MX preference; 0 for implicit MX, smart hosts by address and literals. */
  preference: number;
  /** IPv4 addresses first, then IPv6, each in the order DNS gave them. */
  addresses: string[];
  /** True when the addresses are the name's own (implicit MX, smart host by A/AAAA, literal), not an MX record's. */
  implicit: boolean;
}

export type Resolution = { ok: true; hosts: MailHost[] } | { ok: false; kind: 'transient' | 'permanent'; enhanced: string; text: string };

export type Failure = Extract<Resolution, { ok: false }>;

function permanent(code: number, enhanced: string, detail: string): Failure {
  return { ok: false, kind: 'permanent', enhanced, text: `${code} ${enhanced} ${detail}` };
}

function transient(detail: string): Failure {
  return { ok: false, kind: 'transient', enhanced: '4.4.0', text: `451 4.4.0 DNS query failed. The error was: ${detail}` };
}

/** The recipient domain does not exist (NXDOMAIN). */
export const nonExistentDomain = (): Failure => permanent(550, '5.4.4', 'SMTPSEND.DNS.NonExistentDomain; nonexistent domain');

/**
 * The domain publishes a null MX (RFC 7505): it accepts no mail. RFC 7505
 * §4.2 asks senders for 556 and 5.1.10 ("recipient address has null MX");
 * that is the choice here, rather than 5.4.4, so an NDR tells the sender the
 * domain refuses mail on purpose.
 */
export const nullMx = (domain: string): Failure => permanent(556, '5.1.10', `SMTPSEND.DNS.NullMxRecord; ${domain} does not accept mail (null MX, RFC 7505)`);

/** The domain exists but has neither MX nor A/AAAA records. */
export const noMailRecords = (domain: string): Failure => permanent(550, '5.4.4', `SMTPSEND.DNS.NoRecords; ${domain} has no MX, A or AAAA record`);

/** The destination is not a syntactically valid domain or address literal. */
export const badDestination = (domain: string): Failure => permanent(550, '5.1.2', `SMTPSEND.DNS.InvalidDomain; "${domain}" is not a valid domain name or address literal`);

/** A DNS query gave no usable answer (SERVFAIL, timeout, refused ...). */
export const queryFailed = (reason: string): Failure => transient(`DNS query failed with error ${reason}`);

/** Every MX host failed to resolve to an address. */
export const noUsableHost = (domain: string, reason: string): Failure => transient(`SMTPSEND.DNS.NoUsableHost; no MX host of ${domain} resolved to an address (${reason})`);

/** A smart host name that does not exist: retried (a configuration fault must not NDR mail). */
export const smartHostNonExistent = (): Failure => transient('SMTPSEND.DNS.NonExistentDomain; nonexistent domain');

/** A smart host name that exists but has no A, AAAA or MX record. */
export const smartHostNoAddress = (name: string): Failure => transient(`SMTPSEND.DNS.NoRecords; smart host ${name} has no A, AAAA or MX record`);

/** Makes any failure transient (for smart hosts). */
export function asTransient(f: Failure): Failure {
  if (f.kind === 'transient') return f;
  const detail = f.text.replace(/^\d{3} \d\.\d{1,3}\.\d{1,3} /, '');
  return transient(detail);
}
