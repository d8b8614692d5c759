// Classifies the errors of Node's DNS resolver (c-ares codes) into what the
// delivery side needs to know.
//
// Invariants:
// - 'nxdomain' only for ENOTFOUND (Node's name for an NXDOMAIN answer): the
//   name does not exist. 'nodata' only for ENODATA: the name exists but has
//   no record of the asked type. Both are definite answers from a server.
// - 'badname' for names the resolver refuses to send (EBADNAME): retrying
//   cannot help.
// - Everything else, including codes not listed here, is 'transient': the
//   answer is unknown, so delivery must be retried rather than refused.
// - `reason` is a short word for the queue's LastError
//   ("DNS query failed with error <reason>").

export type DnsErrorClass = 'nxdomain' | 'nodata' | 'badname' | 'transient';

export interface ClassifiedDnsError {
  class: DnsErrorClass;
  /** The Node error code, or "UNKNOWN" when the error had none. */
  code: string;
  reason: string;
}

const TABLE: Record<string, { class: DnsErrorClass; reason: string }> = {
  ENOTFOUND: { class: 'nxdomain', reason: 'NonExistentDomain' },
  ENODATA: { class: 'nodata', reason: 'NoData' },
  EBADNAME: { class: 'badname', reason: 'BadName' },
  ESERVFAIL: { class: 'transient', reason: 'ServerFailure' },
  ETIMEOUT: { class: 'transient', reason: 'Timeout' },
  ECONNREFUSED: { class: 'transient', reason: 'ConnectionRefused' },
  EREFUSED: { class: 'transient', reason: 'Refused' },
  EBADRESP: { class: 'transient', reason: 'BadResponse' },
  EFORMERR: { class: 'transient', reason: 'FormatError' },
  ENOTIMP: { class: 'transient', reason: 'NotImplemented' },
  EBADQUERY: { class: 'transient', reason: 'BadQuery' },
  EBADFAMILY: { class: 'transient', reason: 'BadFamily' },
  EOF: { class: 'transient', reason: 'EndOfFile' },
  EFILE: { class: 'transient', reason: 'FileError' },
  ENOMEM: { class: 'transient', reason: 'OutOfMemory' },
  EDESTRUCTION: { class: 'transient', reason: 'ResolverShutDown' },
  ECANCELLED: { class: 'transient', reason: 'Cancelled' },
  ECONNRESET: { class: 'transient', reason: 'ConnectionReset' },
};

export function classifyDnsError(err: unknown): ClassifiedDnsError {
  const code = err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string' ? (err as { code: string }).code : 'UNKNOWN';
  const known = Object.hasOwn(TABLE, code) ? TABLE[code] : undefined;
  if (known) return { class: known.class, code, reason: known.reason };
  return { class: 'transient', code, reason: code === 'UNKNOWN' ? 'Unknown' : code };
}
