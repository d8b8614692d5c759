// Asking rspamd for its verdict on a message, for the Content Filter (a
// Gatehouse setting: Set-ContentFilterConfig -RspamdUrl). The message is
// posted to the normal worker's /checkv2 with the headers of rspamd's HTTP
// protocol that carry what the SMTP session knows: IP (the client), Helo,
// From (the envelope sender), one Rcpt per recipient, Queue-Id (the SMTP
// session's id, the AGENTLOG's SessionId) and MTA-Name (this Edge). The answer
// is a JSON object whose action, score and required_score are read. Anything
// else (no connection, no answer within the timeout, an HTTP error, an answer
// that is not rspamd's) is a failure the caller scores without.

import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The most of an answer read: rspamd's answers are a few kilobytes. */
const MAX_ANSWER_OCTETS = 1024 * 1024;

/** The actions rspamd answers with. */
export const RSPAMD_ACTIONS = ['reject', 'soft reject', 'rewrite subject', 'add header', 'greylist', 'no action', 'discard', 'quarantine'] as const;
export type RspamdAction = (typeof RSPAMD_ACTIONS)[number];

export interface RspamdVerdict {
  action: RspamdAction;
  score: number;
  requiredScore: number;
  /** The symbols that scored, the heaviest first (at most 8), for the agent log. */
  symbols: string[];
}

export type RspamdAnswer = { kind: 'verdict'; verdict: RspamdVerdict } | { kind: 'failed'; why: string };

export interface RspamdRequest {
  /** The normal worker's base URL as RspamdUrl stores it (ending in '/'). */
  url: string;
  timeoutMs: number;
  message: Buffer;
  clientIp: string;
  helo: string;
  sender: string;
  recipients: string[];
  queueId: string;
  mtaName: string;
}

/** A header value as bytes Node sends unchanged: UTF-8 read as Latin-1, without control characters. */
function headerValue(s: string): string {
  return Buffer.from(s.replace(/[\x00-\x1f\x7f]/g, ' '), 'utf8').toString('latin1');
}

export function askRspamd(r: RspamdRequest): Promise<RspamdAnswer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = {
      'Content-Type': 'message/rfc822',
      'Content-Length': String(r.message.length),
      IP: headerValue(r.clientIp),
      From: headerValue(r.sender === '' ? '<>' : r.sender),
      Rcpt: r.recipients.map(headerValue),
      'Queue-Id': headerValue(r.queueId),
      'MTA-Name': headerValue(r.mtaName),
    };
    if (r.helo !== '') headers.Helo = headerValue(r.helo);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let req: ClientRequest | undefined;
    const done = (answer: RspamdAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(answer);
    };
    try {
      const target = new URL('checkv2', r.url);
      req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: 'POST', headers, agent: false });
    } catch (err) {
      done({ kind: 'failed', why: (err as Error).message });
      return;
    }
    timer = setTimeout(() => done({ kind: 'failed', why: `no answer within ${r.timeoutMs / 1000} s` }), r.timeoutMs);
    const sent = req;
    sent.on('error', (err) => done({ kind: 'failed', why: err.message }));
    sent.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_OCTETS) done({ kind: 'failed', why: `the answer is longer than ${MAX_ANSWER_OCTETS} octets` });
        else chunks.push(chunk);
      });
      res.on('error', (err) => done({ kind: 'failed', why: err.message }));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) done({ kind: 'failed', why: `HTTP ${res.statusCode} ${res.statusMessage ?? ''}: ${body.slice(0, 200)}`.trim() });
        else done(readAnswer(body));
      });
    });
    sent.end(r.message);
  });
}

/** rspamd's JSON answer, checked: an action it defines, a score and the score it rejects at. */
export function readAnswer(body: string): RspamdAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'failed', why: `the answer is not JSON: ${JSON.stringify(body.slice(0, 100))}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { kind: 'failed', why: 'the answer is not a JSON object' };
  const o = json as Record<string, unknown>;
  if (typeof o.error === 'string') return { kind: 'failed', why: `rspamd answered an error: ${o.error.slice(0, 200)}` };
  const action = RSPAMD_ACTIONS.find((a) => a === o.action);
  if (!action) return { kind: 'failed', why: `the answer has no action Gatehouse knows (action: ${JSON.stringify(o.action)?.slice(0, 50)})` };
  if (typeof o.score !== 'number' || !Number.isFinite(o.score) || typeof o.required_score !== 'number' || !Number.isFinite(o.required_score)) {
    return { kind: 'failed', why: 'the answer has no numeric score and required_score' };
  }
  const symbols = typeof o.symbols === 'object' && o.symbols !== null ? Object.entries(o.symbols as Record<string, unknown>) : [];
  const scored = symbols
    .map(([name, s]) => ({ name, score: typeof (s as { score?: unknown })?.score === 'number' ? (s as { score: number }).score : 0 }))
    .filter((s) => /^[\w.-]{1,64}$/.test(s.name))
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.name.localeCompare(b.name));
  return { kind: 'verdict', verdict: { action, score: o.score, requiredScore: o.required_score, symbols: scored.slice(0, 8).map((s) => s.name) } };
}
