// The client side of the management endpoint: opens a session with a user
// name and password, runs script text in it, and closes it. The server's
// certificate is checked against the system's trust store,
// NODE_EXTRA_CA_CERTS and any certificates the caller adds (a local server's
// imported ones); each check can be skipped, as New-PSSessionOption's
// -SkipCACheck and -SkipCNCheck do. Failures read like PowerShell's remoting
// errors: what failed on which server, and what to do.

import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP, type LookupFunction } from 'node:net';
import { request } from 'node:https';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import type { OpenReply, Request, RunReply, StreamEntry, WireCommand } from './protocol.js';

export interface ConnectOptions {
  /** https://host[:port]/PowerShell/ */
  url: string;
  username: string;
  password: string;
  skipCaCheck?: boolean;
  skipCnCheck?: boolean;
  /** More certificates (PEM) to trust: a local server's. */
  trusted?: string[];
  idleTimeoutSeconds?: number;
}

/** A failure to reach or use the endpoint, with the text PowerShell shows. */
export class RemoteConnectionError extends Error {
  override name = 'RemoteConnectionError';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const CA_ERRORS = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

/** The certificates NODE_EXTRA_CA_CERTS names (Node adds them to its defaults, which an explicit list replaces). */
function extraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

export class RemoteConnection {
  private constructor(
    readonly url: URL,
    private readonly options: ConnectOptions,
    readonly sessionId: string,
    readonly server: string,
    readonly fqdn: string,
    readonly commands: WireCommand[],
    readonly idleTimeoutSeconds: number,
  ) {}

  /** Opens a session on the endpoint. */
  static async open(options: ConnectOptions): Promise<RemoteConnection> {
    const url = endpointUrl(options.url);
    const body = { op: 'open' as const, ...(options.idleTimeoutSeconds !== undefined && { idleTimeoutSeconds: options.idleTimeoutSeconds }) };
    const reply = await post<OpenReply>(url, options, body);
    return new RemoteConnection(url, options, reply.sessionId, reply.server, reply.fqdn, reply.commands, reply.idleTimeoutSeconds);
  }

  async run(script: string): Promise<StreamEntry[]> {
    return (await post<RunReply>(this.url, this.options, { op: 'run', sessionId: this.sessionId, script })).stream;
  }

  async close(): Promise<void> {
    await post(this.url, this.options, { op: 'close', sessionId: this.sessionId });
  }
}

/** The endpoint's URL, checked before any credential is asked for or sent: https only. */
export function endpointUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RemoteConnectionError(`The connection URI "${text}" is not a valid URI. Give the server's endpoint, e.g. https://mbx01.contoso.com/PowerShell/.`, 'PSSessionOpenFailed');
  }
  if (url.protocol !== 'https:') {
    throw new RemoteConnectionError(
      `Connecting to remote server ${url.hostname} failed with the following error message : The management endpoint accepts HTTPS only, so that the credential is never sent in clear. Use https://${url.host}${url.pathname}.`,
      'PSSessionOpenFailed',
    );
  }
  return url;
}

function post<T>(url: URL, options: ConnectOptions, body: Request | (Request & { idleTimeoutSeconds?: number })): Promise<T> {
  const authorization = 'Basic ' + Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
  return callEndpoint<T>(url, options, authorization, body);
}

/** How the server's certificate is checked. */
export interface EndpointTls {
  skipCaCheck?: boolean;
  skipCnCheck?: boolean;
  /** More certificates (PEM) to trust. */
  trusted?: string[];
  /** Accepted whatever name the URL has: the exact certificates the server is known to hold (SHA-256 fingerprints). */
  pinned?: string[];
  /** How the URL's host name is looked up (default: the system's resolver). */
  lookup?: (name: string) => Promise<string[]>;
}

/** One call to an endpoint with the given Authorization header; failures read like PowerShell's remoting errors. */
export function callEndpoint<T>(url: URL, options: EndpointTls, authorization: string, body: Request | (Request & { idleTimeoutSeconds?: number })): Promise<T> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const where = `${host}:${url.port || 443}`;
  const text = JSON.stringify(body);
  const failed = (what: string) => `Connecting to remote server ${host} failed with the following error message : ${what}`;
  return new Promise<T>((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(url.port || 443),
        path: url.pathname,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
          Authorization: authorization,
        },
        ca: [...rootCertificates, ...extraCaCertificates(), ...(options.trusted ?? [])],
        rejectUnauthorized: !options.skipCaCheck,
        servername: /^[\d.]+$|:/.test(host) ? undefined : host,
        checkServerIdentity: (name: string, cert: PeerCertificate) => (options.skipCnCheck || options.pinned?.includes(cert.fingerprint256) ? undefined : checkServerIdentity(name, cert)),
        timeout: 120_000,
        ...(options.lookup && { lookup: nodeLookup(options.lookup) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = raw === '' ? {} : JSON.parse(raw);
          } catch {
            return reject(
              new RemoteConnectionError(
                failed(`The server answered ${res.statusCode} with something that is not the management protocol. Check that ${url.href} is a Gatehouse endpoint (Get-PowerShellVirtualDirectory).`),
                'PSSessionOpenFailed',
              ),
            );
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const error = (parsed as { error?: string }).error ?? `HTTP ${status}`;
          if (status === 401) return reject(new RemoteConnectionError(failed('Access is denied. Check the user name and password, and that the account may log on from this computer and is not locked out.'), 'AccessDenied'));
          if (status === 410) return reject(new RemoteConnectionError(error, 'PSSessionStateBroken'));
          reject(new RemoteConnectionError(failed(error), (parsed as { reason?: string }).reason ?? 'PSSessionOpenFailed'));
        });
        res.on('error', (err) => reject(new RemoteConnectionError(failed(err.message), 'PSSessionOpenFailed')));
      },
    );
    req.on('timeout', () => req.destroy(new Error('the endpoint did not answer within 120 seconds')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (CA_ERRORS.has(code)) {
        return reject(
          new RemoteConnectionError(
            failed(
              `The server certificate on the destination computer (${where}) has the following errors: The SSL certificate is signed by an unknown certificate authority (${code}). Trust its issuer (the system's store, NODE_EXTRA_CA_CERTS, or a certificate imported on the local server given with --data), or skip the check: New-PSSessionOption -SkipCACheck, gatehouse shell --skip-ca-check.`,
            ),
            'PSSessionOpenFailed',
          ),
        );
      }
      if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        return reject(
          new RemoteConnectionError(
            failed(
              `The server certificate on the destination computer (${where}) has the following errors: The SSL certificate contains a common name (CN) that does not match the hostname (${err.message}). Connect with the name the certificate holds, or skip the check: New-PSSessionOption -SkipCNCheck, gatehouse shell --skip-cn-check.`,
            ),
            'PSSessionOpenFailed',
          ),
        );
      }
      if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
        return reject(
          new RemoteConnectionError(
            failed(`The server certificate on the destination computer (${where}) is not valid now (${code}). The server needs a current certificate enabled for IIS (Enable-ExchangeCertificate -Services IIS).`),
            'PSSessionOpenFailed',
          ),
        );
      }
      if (code === 'ECONNREFUSED') {
        return reject(
          new RemoteConnectionError(
            failed(`The connection to the remote host was refused. Verify that gatehouse start is running on the remote host and that its management endpoint listens on ${url.href} (Get-PowerShellVirtualDirectory).`),
            'PSSessionOpenFailed',
          ),
        );
      }
      reject(new RemoteConnectionError(failed(`${err.message}${code ? ` (${code})` : ''}`), 'PSSessionOpenFailed'));
    });
    req.end(text);
  });
}

/** A lookup in the shape node:net wants, from one that returns addresses. */
function nodeLookup(lookup: (name: string) => Promise<string[]>): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname).then(
      (addresses) => {
        const entries = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) (callback as (err: null, list: LookupAddress[]) => void)(null, entries);
        else callback(null, entries[0].address, entries[0].family);
      },
      (err: Error) => callback(Object.assign(err, { code: 'ENOTFOUND' }) as NodeJS.ErrnoException, '', 0),
    );
  };
}
