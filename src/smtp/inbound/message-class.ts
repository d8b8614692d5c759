// What kind of automatic message a message is, read from its header when it
// is received, for the remote domain settings (Set-RemoteDomain) that decide
// whether it may leave for a domain outside the organization:
// - AutoReply: RFC 3834 "Auto-Submitted: auto-replied" (out-of-office and
//   other responders);
// - AutoForward: "Auto-Submitted: auto-forwarded", or an Exchange inbox
//   rule's forward (X-MS-Exchange-Inbox-Rules-Loop);
// - DeliveryReport: a read report (multipart/report with
//   report-type=disposition-notification, RFC 8098) or a delivery status
//   report whose recipients were delivered, relayed or expanded;
// - NonDeliveryReport: any other delivery status report (RFC 3464: failed or
//   delayed), including one whose status part could not be read.
// Ordinary messages have no class.

import { parseHeader } from '../message-headers.js';

export type MessageClass = 'AutoReply' | 'AutoForward' | 'DeliveryReport' | 'NonDeliveryReport';

/** `body`: the body when it is in memory (null when it went to a spool file). */
export function classifyMessage(header: Buffer, body: Buffer | null): MessageClass | undefined {
  const fields = parseHeader(header);
  const get = (name: string) => fields.find((f) => f.name.toLowerCase() === name)?.value ?? '';
  const contentType = get('content-type').toLowerCase();
  if (/^multipart\/report\b/.test(contentType)) {
    const reportType = /report-type\s*=\s*"?([a-z-]+)/.exec(contentType)?.[1] ?? '';
    if (reportType === 'disposition-notification') return 'DeliveryReport';
    if (reportType === 'delivery-status') {
      const actions = body ? [...body.toString('latin1').matchAll(/^Action:\s*([a-z]+)/gim)].map((m) => m[1].toLowerCase()) : [];
      return actions.length > 0 && actions.every((a) => a === 'delivered' || a === 'relayed' || a === 'expanded') ? 'DeliveryReport' : 'NonDeliveryReport';
    }
  }
  const autoSubmitted = get('auto-submitted').toLowerCase().split(';')[0].trim();
  if (autoSubmitted === 'auto-replied') return 'AutoReply';
  if (autoSubmitted === 'auto-forwarded' || fields.some((f) => f.name.toLowerCase() === 'x-ms-exchange-inbox-rules-loop')) return 'AutoForward';
  return undefined;
}
