// The Sender ID agent's check (spec exchange-edge-agents.md §3.4): SPF per
// RFC 7208 for the MAIL FROM identity (the HELO name for a blank sender),
// evaluated by the mailauth library through the Edge's external DNS servers.
// The result is stamped on the message (Received-SPF, Authentication-Results
// naming this Edge, X-MS-Exchange-Organization-SenderIdResult) and decides the
// SpoofedDomainAction (for Fail) or the TempErrorAction (for TempError).

import { spf } from 'mailauth/lib/spf/index.js';
import { agentLookup } from '../dns/agent-lookups.js';
import type { DnsSettings } from '../dns/dns-settings.js';

/** Longest an SPF evaluation may take, all its lookups included; past it the result is TempError. */
export const SPF_TIMEOUT_MS = 8000;

/** Exchange's Sender ID statuses. */
export type SenderIdStatus = 'Pass' | 'Neutral' | 'SoftFail' | 'Fail' | 'None' | 'TempError' | 'PermError';

export interface SenderIdResult {
  status: SenderIdStatus;
  /** The domain checked. */
  domain: string;
  /** Why, as the SPF evaluation says it. */
  comment: string;
  /** The Received-SPF and Authentication-Results fields, folded, without line ends. */
  receivedSpf: string;
  authenticationResults: string;
  /** The spf result of the Authentication-Results field (method, comment, properties), for the DMARC agent's combined field. */
  spfInfo: string;
}

const STATUS: Record<string, SenderIdStatus> = {
  pass: 'Pass',
  neutral: 'Neutral',
  softfail: 'SoftFail',
  fail: 'Fail',
  none: 'None',
  temperror: 'TempError',
  temperr: 'TempError',
  permerror: 'PermError',
};

/** Evaluates SPF for a client; a DNS failure or a timeout is TempError, never an exception. */
export async function checkSenderId(o: { sender: string; ip: string; helo: string; mta: string; dns: DnsSettings }): Promise<SenderIdResult> {
  const lookup = agentLookup(o.dns);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), SPF_TIMEOUT_MS);
  });
  const domain = (o.sender === '' ? o.helo : o.sender.slice(o.sender.lastIndexOf('@') + 1)).toLowerCase();
  try {
    const r = await Promise.race([
      spf({
        sender: o.sender || undefined,
        ip: o.ip,
        helo: o.helo,
        mta: o.mta,
        resolver: lookup,
      }),
      late,
    ]);
    if (r === 'late') return temperror(o, domain, `the SPF evaluation took longer than ${SPF_TIMEOUT_MS / 1000} seconds`);
    const status = STATUS[r.status.result] ?? 'PermError';
    return {
      status,
      domain: r.domain || domain,
      comment: r.status.comment ?? '',
      receivedSpf: r.header.replace(/^Received-SPF:\s*/i, '').replace(/\r?\n/g, '\r\n'),
      authenticationResults: `${o.mta}; ${r.info}`,
      spfInfo: r.info,
    };
  } catch (err) {
    return temperror(o, domain, (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

function temperror(o: { ip: string; mta: string; sender: string }, domain: string, why: string): SenderIdResult {
  return {
    status: 'TempError',
    domain,
    comment: why,
    receivedSpf: `temperror (${o.mta}: ${why.replace(/[()\r\n]/g, ' ')}) client-ip=${o.ip};`,
    authenticationResults: `${o.mta}; spf=temperror smtp.mailfrom=${o.sender || domain}`,
    spfInfo: `spf=temperror smtp.mailfrom=${o.sender || domain}`,
  };
}
