// The management endpoint of a server (its PowerShell virtual directory):
// HTTPS where the InternalUrl says, with the certificate enabled for IIS.
// A name in the URL is bound on the addresses it resolves to through the
// server's DNS settings and hosts file; an IP literal is bound as it is. It
// follows configuration changes (URL, certificate) when the service applies
// them. Every request carries Basic credentials, checked like SMTP AUTH's
// (lockout, the per-source delays, LogonWorkstations); a connection that does
// not start with a TLS handshake gets a plain 400 and no credential is read.

import { randomUUID } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { POWERSHELL_VDIR_NAME, powerShellVirtualDirectorySchema, virtualDirectoryValues } from '../config/model/powershell-virtual-directory.js';
import { callerName, type Caller } from '../cmdlets/rbac.js';
import type { ServerContext } from '../cmdlets/server-context.js';
import { adUserSchema } from '../config/model/account.js';
import { serverSchema } from '../config/model/server.js';
import type { DnsSettings } from '../dns/dns-settings.js';
import { HostAddresses } from '../dns/host-addresses.js';
import { LogonWorkstations } from '../directory/logon-workstations.js';
import type { LockoutPolicy } from '../directory/account-lockout.js';
import type { Logger } from '../observability/logger.js';
import { LogonGuard } from '../smtp/inbound/logon-guard.js';
import { selectIisCertificate } from '../tls/certificate-selection.js';
import type { FailureReply, OpenReply, Request, RunReply } from './protocol.js';
import { OrganizationPeers } from './peer-servers.js';
// The shell and the cmdlets load with the first session (./remote-session.js): a service whose endpoint
// is off, or not used yet, does not hold them in memory.
import type { RemoteSession } from './remote-session.js';
import { DELEGATION_SCHEME, type ServerTrust } from '../secrets/server-trust.js';

/** Idle time after which a session is removed (PowerShell's default IdleTimeout is 2 hours; Exchange's sessions 15 minutes). */
export const DEFAULT_IDLE_TIMEOUT_S = 15 * 60;
const MIN_IDLE_TIMEOUT_S = 1;
const MAX_IDLE_TIMEOUT_S = 12 * 3600;
/** Most sessions open at once per account (Exchange Online allows 3; on-premises is configurable). */
const MAX_SESSIONS_PER_ACCOUNT = 18;
const MAX_BODY_BYTES = 1024 * 1024;

export interface EndpointOptions {
  /** A context the cmdlets may change (the organization store itself). */
  context: ServerContext;
  log: Logger;
  /** The server's internal DNS settings (for the URL's name and LogonWorkstations). */
  dns: () => DnsSettings;
  lockoutPolicy: () => LockoutPolicy;
  /** Mailbox servers: how the servers of the organization vouch for the callers they act for. */
  trust?: ServerTrust;
}

interface Binding {
  key: string;
  path: string;
  url: string;
  thumbprint: string;
  servers: { net: NetServer; address: string }[];
  https: HttpsServer;
}

export class ManagementEndpoint {
  private binding: Binding | null = null;
  private applying: Promise<void> = Promise.resolve();
  private readonly sessions = new Map<string, RemoteSession>();
  private readonly guard: LogonGuard;
  private readonly addresses: HostAddresses;
  private readonly sweeper: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: EndpointOptions) {
    const ctx = options.context;
    this.guard = new LogonGuard({
      directory: { role: ctx.role, netbiosName: ctx.directory.netbiosName, dnsDomain: ctx.directory.dnsDomain, repo: ctx.repo },
      store: ctx.logons,
      policy: options.lockoutPolicy,
      workstations: new LogonWorkstations({ dnsDomain: () => ctx.directory.dnsDomain, dns: options.dns }),
    });
    this.addresses = new HostAddresses(options.dns);
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** Binds, re-binds or closes the endpoint for the configuration in force. */
  apply(): Promise<void> {
    if (this.stopped) return this.applying;
    this.applying = this.applying
      .then(() => this.applyNow())
      .catch((err) => {
        this.options.log.log('error', 'management.endpoint.failed', {
          error: (err as Error).message,
          action: 'check Get-PowerShellVirtualDirectory and the certificate enabled for IIS; the endpoint is tried again at the next configuration change',
        });
      });
    return this.applying;
  }

  private async applyNow(): Promise<void> {
    const ctx = this.options.context;
    const log = this.options.log;
    const stored = ctx.repo.findByName(powerShellVirtualDirectorySchema, ctx.name, POWERSHELL_VDIR_NAME);
    const { internalUrl, stored: set } = virtualDirectoryValues(stored?.values, ctx.role, ctx.fqdn);
    if (!internalUrl) {
      if (this.binding) log.log('info', 'management.endpoint.closed', { url: this.binding.url, reason: 'InternalUrl of the PowerShell virtual directory is empty' });
      await this.close();
      return;
    }
    const url = new URL(internalUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await this.resolve(host);
    } catch (err) {
      await this.close();
      // The default URL of a server whose name does not resolve is a warning; a URL an admin set, an error.
      log.log(set ? 'error' : 'warn', 'management.endpoint.failed', {
        url: internalUrl,
        error: (err as Error).message,
        action: `make ${host} resolve to this server's addresses, or set the URL: Set-PowerShellVirtualDirectory -Identity "${ctx.name}\\PowerShell (Default Web Site)" -InternalUrl https://<address>:<port>/PowerShell/ ($null turns the endpoint off)`,
      });
      return;
    }
    if (this.stopped) return;
    const cert = selectIisCertificate(ctx.repo, ctx.name);
    if (!cert) {
      await this.close();
      log.log('error', 'management.endpoint.failed', { url: internalUrl, error: `no usable certificate of ${ctx.name} is enabled for IIS`, action: 'enable one: Enable-ExchangeCertificate <thumbprint> -Services IIS' });
      return;
    }
    const key = `${[...addresses].sort().join(',')}|${port}`;
    const tls = { key: cert.privateKeyPem, cert: cert.certificatePem + (cert.chainPem ? '\n' + cert.chainPem : '') };
    if (this.binding && this.binding.key === key) {
      if (this.binding.thumbprint !== cert.thumbprint) {
        this.binding.https.setSecureContext(tls);
        log.log('info', 'management.endpoint.certificate', { url: internalUrl, certificate: cert.thumbprint, previous: this.binding.thumbprint });
      }
      this.binding = { ...this.binding, path: url.pathname, url: internalUrl, thumbprint: cert.thumbprint };
      return;
    }
    await this.close();
    const https = createHttpsServer(tls, (req, res) => void this.handle(req, res));
    https.on('tlsClientError', (err, socket) => {
      log.log('info', 'management.tls.failed', { remote: socket.remoteAddress, error: err.message });
    });
    const binding: Binding = { key, path: url.pathname, url: internalUrl, thumbprint: cert.thumbprint, servers: [], https };
    const failed: string[] = [];
    for (const address of addresses) {
      const net = createNetServer({ pauseOnConnect: true }, (socket) => this.accept(socket, binding));
      try {
        await new Promise<void>((resolve, reject) => {
          net.once('error', reject);
          net.listen(port, address, () => {
            net.off('error', reject);
            resolve();
          });
        });
        binding.servers.push({ net, address });
      } catch (err) {
        failed.push(`${address}:${port}: ${(err as Error).message}`);
      }
    }
    if (this.stopped) {
      // The service stopped while the endpoint was being bound.
      await Promise.all(binding.servers.map((x) => new Promise<void>((resolve) => x.net.close(() => resolve()))));
      return;
    }
    this.binding = binding;
    if (failed.length > 0) {
      log.log('error', 'management.endpoint.bind-failed', {
        url: internalUrl,
        failed,
        action: 'free the address and port, or change the URL: Set-PowerShellVirtualDirectory -Identity "<server>\\PowerShell (Default Web Site)" -InternalUrl https://<host>:<port>/PowerShell/',
      });
    }
    if (binding.servers.length > 0) {
      log.log('info', 'management.endpoint.listening', { url: internalUrl, addresses: binding.servers.map((s) => `${s.address.includes(':') ? `[${s.address}]` : s.address}:${port}`), certificate: cert.thumbprint });
    }
  }

  private async resolve(name: string): Promise<string[]> {
    try {
      return await this.addresses.lookup(name);
    } catch (err) {
      throw new Error(`the endpoint's host name ${(err as Error).message} in the InternalUrl`);
    }
  }

  /** TLS goes on to HTTPS; anything else (plain HTTP) is answered 400 before a credential is read. */
  private accept(socket: Socket, binding: Binding): void {
    socket.on('error', () => undefined);
    socket.setTimeout(30_000, () => socket.destroy());
    const peek = (): void => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.once('readable', peek);
        return;
      }
      socket.unshift(first);
      if (first[0] === 0x16) {
        socket.setTimeout(0);
        // The TLS layer takes the buffered byte and the socket from here.
        binding.https.emit('connection', socket);
        return;
      }
      this.options.log.log('warn', 'management.plain-http.refused', { remote: socket.remoteAddress, url: binding.url, reason: 'the endpoint accepts HTTPS only; nothing sent over plain HTTP is read' });
      const body = `The management endpoint accepts HTTPS only: connect to ${binding.url}\r\n`;
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      socket.resume(); // what the client sent is discarded unread
    };
    peek();
  }

  private reply(res: ServerResponse, status: number, body: OpenReply | RunReply | FailureReply | Record<string, never>, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const binding = this.binding;
    const remote = req.socket.remoteAddress ?? '';
    const source = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
    const path = (req.url ?? '/').split('?')[0];
    if (!binding || path.toLowerCase() !== binding.path.toLowerCase()) {
      return this.reply(res, 404, { error: `There is no management endpoint at ${path}; this server's is ${binding?.url ?? 'not served'}.`, reason: 'NotFound' });
    }
    const log = this.options.log.child({ remote: source });
    const header = req.headers.authorization ?? '';
    const challenge = { 'WWW-Authenticate': 'Basic realm="Microsoft.Exchange"' };
    // Another server of the organization running a cmdlet for its caller (secrets/server-trust.ts), or a person's Basic logon.
    let caller: Caller;
    let from: string | undefined;
    if (header.startsWith(`${DELEGATION_SCHEME} `)) {
      const claim = this.delegation(header.slice(DELEGATION_SCHEME.length + 1).trim());
      if ('refused' in claim) {
        log.log('warn', 'management.delegation.refused', {
          reason: claim.refused,
          action: 'a request claimed to come from a server of this organization and was refused; if it did, check that both servers hold the same organization.key and that their clocks agree',
        });
        return this.reply(res, 401, { error: 'Access is denied.', reason: 'AccessDenied' });
      }
      ({ caller, from } = claim);
    } else {
      const auth = /^Basic\s+(\S+)$/i.exec(header);
      if (!auth) return this.reply(res, 401, { error: 'Access is denied. The endpoint requires Basic authentication (user name and password).', reason: 'AccessDenied' }, challenge);
      const decoded = Buffer.from(auth[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const username = colon >= 0 ? decoded.slice(0, colon) : decoded;
      const password = colon >= 0 ? decoded.slice(colon + 1) : '';
      const outcome = await this.guard.logon(username, password, source, log);
      if (!outcome.ok) {
        log.log('warn', 'management.logon.failed', { reason: outcome.reason, ...outcome.fields });
        if (outcome.extraDelayMs > 0) await new Promise((r) => setTimeout(r, outcome.extraDelayMs));
        return this.reply(res, 401, { error: 'Access is denied.', reason: 'AccessDenied' }, challenge);
      }
      caller = { kind: 'account', accountGuid: outcome.account.accountGuid, displayName: outcome.account.displayName };
    }
    if (req.method !== 'POST') return this.reply(res, 405, { error: 'The endpoint takes POST requests with a JSON body.', reason: 'MethodNotAllowed' }, { Allow: 'POST' });
    let request: Request & { idleTimeoutSeconds?: number };
    try {
      request = JSON.parse(await readBody(req)) as Request;
    } catch (err) {
      return this.reply(res, 400, { error: `The request is not valid JSON: ${(err as Error).message}`, reason: 'BadRequest' });
    }
    if (from !== undefined && request.op !== 'exec') {
      return this.reply(res, 400, { error: 'A server acting for its caller runs one script at a time (exec); sessions are opened by people.', reason: 'BadRequest' });
    }
    const account = caller.kind === 'account' ? caller.accountGuid : null;
    try {
      switch (request.op) {
        case 'open': {
          const { RemoteSession } = await import('./remote-session.js');
          const mine = [...this.sessions.values()].filter((s) => s.caller.kind === 'account' && s.caller.accountGuid === account);
          if (mine.length >= MAX_SESSIONS_PER_ACCOUNT) {
            return this.reply(res, 429, {
              error: `The user ${callerName(caller)} is allowed a maximum number of ${MAX_SESSIONS_PER_ACCOUNT} concurrent shells, which has been exceeded. Close existing shells (Remove-PSSession) or wait for them to expire.`,
              reason: 'PSSessionOpenFailed',
            });
          }
          const idle = Math.min(MAX_IDLE_TIMEOUT_S, Math.max(MIN_IDLE_TIMEOUT_S, Number(request.idleTimeoutSeconds) || DEFAULT_IDLE_TIMEOUT_S));
          const session = new RemoteSession(randomUUID(), this.sessionContext(caller, true), source, idle * 1000);
          this.sessions.set(session.id, session);
          log.log('info', 'management.session.opened', { session: session.id, account: callerName(caller), commands: session.commands.length, idleTimeoutSeconds: idle });
          const ctx = this.options.context;
          return this.reply(res, 200, { sessionId: session.id, server: ctx.name, fqdn: ctx.fqdn, commands: session.describe(), idleTimeoutSeconds: idle });
        }
        case 'run':
        case 'close': {
          const session = this.sessions.get(String(request.sessionId));
          const owned = session !== undefined && session.caller.kind === 'account' && session.caller.accountGuid === account;
          if (!session || !owned || session.expired(Date.now())) {
            if (session && owned) this.remove(session, 'idle timeout');
            return this.reply(res, 410, {
              error: `The session ${String(request.sessionId)} is not open on ${this.options.context.name}: it was closed or expired after its idle timeout. Open a new session (New-PSSession).`,
              reason: 'PSSessionStateBroken',
            });
          }
          if (request.op === 'close') {
            this.remove(session, 'closed by the client');
            return this.reply(res, 200, {});
          }
          if (typeof request.script !== 'string') return this.reply(res, 400, { error: 'A run request needs a script.', reason: 'BadRequest' });
          session.lastUsed = Date.now();
          const stream = await session.run(request.script);
          return this.reply(res, 200, { stream });
        }
        case 'exec': {
          if (typeof request.script !== 'string') return this.reply(res, 400, { error: 'An exec request needs a script.', reason: 'BadRequest' });
          // A session of one script; one a server opens for its caller reaches no further server.
          const { RemoteSession } = await import('./remote-session.js');
          const session = new RemoteSession(randomUUID(), this.sessionContext(caller, from === undefined), source, DEFAULT_IDLE_TIMEOUT_S * 1000);
          log.log('info', 'management.exec', { account: callerName(caller), ...(from !== undefined && { for: from }), commands: session.commands.length });
          const stream = await session.run(request.script);
          return this.reply(res, 200, { stream });
        }
        default:
          return this.reply(res, 400, { error: `Unknown operation "${String((request as { op?: unknown }).op)}": use open, run, close or exec.`, reason: 'BadRequest' });
      }
    } catch (err) {
      log.log('error', 'management.request.failed', { error: (err as Error).message });
      return this.reply(res, 500, { error: `The server could not run the request: ${(err as Error).message}`, reason: 'InternalError' });
    }
  }

  private remove(session: RemoteSession, reason: string): void {
    this.sessions.delete(session.id);
    this.options.log.log('info', 'management.session.closed', { session: session.id, account: callerName(session.caller), reason });
  }

  /** The server's context for a caller; `reachPeers`: its cmdlets may run on the other servers of the organization for it. */
  private sessionContext(caller: Caller, reachPeers: boolean): ServerContext & { caller: Caller } {
    const ctx = this.options.context;
    const trust = this.options.trust;
    return { ...ctx, caller, ...(reachPeers && trust && { peers: new OrganizationPeers(ctx, trust, caller) }) };
  }

  /** The caller a server of this organization acts for, or why its claim is refused. */
  private delegation(credentials: string): { caller: Caller; from: string } | { refused: string } {
    const trust = this.options.trust;
    if (!trust) return { refused: 'a server claim sent to a server outside any organization (an Edge manages only itself)' };
    const claim = trust.verify(credentials);
    if ('refused' in claim) return claim;
    const ctx = this.options.context;
    const server = ctx.repo.findByName(serverSchema, '', claim.from);
    if (!server || server.values.ServerRole === 'Edge') return { refused: `a server claim from ${claim.from}, which is not a Mailbox server of this organization` };
    if (claim.caller.kind === 'local') return { caller: { kind: 'local', user: `${claim.caller.user} (shell of ${claim.from})` }, from: claim.from };
    const account = ctx.repo.list(adUserSchema).find((a) => a.guid.toLowerCase() === (claim.caller as { accountGuid: string }).accountGuid.toLowerCase());
    if (!account) return { refused: `a server claim from ${claim.from} for ${claim.caller.displayName}, an account the directory no longer has` };
    if (account.values.Enabled === false) return { refused: `a server claim from ${claim.from} for ${claim.caller.displayName}, whose account is disabled` };
    return { caller: claim.caller, from: claim.from };
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) if (s.expired(now)) this.remove(s, 'idle timeout');
  }

  async close(): Promise<void> {
    const b = this.binding;
    this.binding = null;
    if (!b) return;
    await Promise.all(b.servers.map((s) => new Promise<void>((resolve) => s.net.close(() => resolve()))));
    b.https.close();
  }

  /** Closes the endpoint at once (a name being resolved is not waited for). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    await this.close();
    this.sessions.clear();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the request is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
