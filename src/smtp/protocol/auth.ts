// SASL exchanges for AUTH (RFC 4954): PLAIN (RFC 4616) and LOGIN.
//
// Small state machines with no I/O: startAuth answers the AUTH command,
// continueAuth each client line after a 334 challenge. A step ends in one of
//   { reply, state }   send the 334 reply, read one line, call continueAuth;
//   { credentials }    the runtime verifies them (235 2.7.0 or 535 5.7.3);
//   { error, reason }  send the reply; the exchange is over.
// Invariants:
// - a client line "*" cancels: 501 5.5.4 Authentication cancelled (RFC 4954 §4);
// - client data must be strict Base64 (RFC 4648 §4, padding required) of
//   UTF-8; otherwise 501 5.5.2 Cannot Base64-decode client response;
// - an initial response "=" is an empty response (RFC 4954 §4);
// - PLAIN is "[authzid] NUL authcid NUL passwd" with non-empty authcid and
//   passwd (RFC 4616 §2); anything else fails as 535 5.7.3;
// - LOGIN prompts "334 VXNlcm5hbWU6" then "334 UGFzc3dvcmQ6"; an initial
//   response to AUTH LOGIN is the user name;
// - a mechanism that is not offered: 504 5.7.4 Unrecognized authentication type.
// Credentials are never put in replies.

import { SUPPORTED_AUTH_MECHANISMS, type AuthMechanism } from './ehlo.js';
import { Replies, type SmtpReply } from './reply.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** PLAIN authorization identity, when given and different from "". */
  readonly authzid?: string;
}

export type AuthState = { readonly mechanism: 'PLAIN'; readonly step: 'response' } | { readonly mechanism: 'LOGIN'; readonly step: 'username' } | { readonly mechanism: 'LOGIN'; readonly step: 'password'; readonly username: string };

export type AuthFailure = 'unknown-mechanism' | 'cancelled' | 'bad-base64' | 'malformed';

export type AuthStep = { readonly reply: SmtpReply; readonly state: AuthState } | { readonly credentials: Credentials } | { readonly error: SmtpReply; readonly reason: AuthFailure };

/** RFC 4954 §4: a line of client SASL data may be up to 12288 octets. */
export const MAX_AUTH_LINE_OCTETS = 12288;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict Base64 of UTF-8 text; null when either fails. "=" alone is the empty string. */
export function decodeBase64Text(data: string): string | null {
  if (data === '=') return '';
  if (!BASE64.test(data)) return null;
  try {
    return utf8.decode(Buffer.from(data, 'base64'));
  } catch {
    return null;
  }
}

const cancelled = (): AuthStep => ({ error: Replies.authCancelled, reason: 'cancelled' });
const badBase64 = (): AuthStep => ({ error: Replies.authCannotDecode, reason: 'bad-base64' });

/**
 * Answers "AUTH <mechanism> [initial-response]".
 * `offered`: the mechanisms advertised in this session (see offeredAuthMechanisms).
 */
export function startAuth(mechanism: string, initialResponse: string | undefined, offered: readonly AuthMechanism[] = SUPPORTED_AUTH_MECHANISMS): AuthStep {
  const mech = mechanism.toUpperCase();
  if (!offered.some((m) => m === mech)) return { error: Replies.authUnrecognizedType, reason: 'unknown-mechanism' };
  if (mech === 'PLAIN') {
    if (initialResponse === undefined) {
      return { reply: Replies.authEmptyChallenge, state: { mechanism: 'PLAIN', step: 'response' } };
    }
    return continueAuth({ mechanism: 'PLAIN', step: 'response' }, initialResponse);
  }
  if (initialResponse === undefined) {
    return { reply: Replies.authUsernamePrompt, state: { mechanism: 'LOGIN', step: 'username' } };
  }
  return continueAuth({ mechanism: 'LOGIN', step: 'username' }, initialResponse);
}

/** Handles one client line read after a 334 reply. */
export function continueAuth(state: AuthState, line: string): AuthStep {
  const data = line.trim();
  if (data === '*') return cancelled();
  const text = decodeBase64Text(data);
  if (text === null) return badBase64();
  switch (state.mechanism) {
    case 'PLAIN':
      return plainCredentials(text);
    case 'LOGIN':
      if (state.step === 'username') {
        return { reply: Replies.authPasswordPrompt, state: { mechanism: 'LOGIN', step: 'password', username: text } };
      }
      if (state.username === '' || text === '') return { error: Replies.authFailed, reason: 'malformed' };
      return { credentials: { username: state.username, password: text } };
  }
}

function plainCredentials(text: string): AuthStep {
  const parts = text.split('\0');
  if (parts.length !== 3) return { error: Replies.authFailed, reason: 'malformed' };
  const [authzid, username, password] = parts as [string, string, string];
  if (username === '' || password === '') return { error: Replies.authFailed, reason: 'malformed' };
  return { credentials: { username, password, ...(authzid !== '' && { authzid }) } };
}
