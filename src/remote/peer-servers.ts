// The other servers of an organization, as a cmdlet that names one reaches
// it (Get-Queue -Server MBX02, Retry-Queue MBX02\3): through its management
// endpoint, found in the organization store (its PowerShell virtual
// directory), with this server's signed claim of whom it acts for
// (secrets/server-trust.ts). The other server checks the claim, applies the caller's
// role groups, runs the cmdlet and records it in the audit log; the objects
// come back deserialized, its errors and warnings as its own. The server's
// certificate is checked against the certificates the organization store
// holds for it (and the system's trust store), so no check is skipped.
// Nothing here opens another server's folder.

import { X509Certificate } from 'node:crypto';
import { powerShellVirtualDirectorySchema, POWERSHELL_VDIR_NAME, virtualDirectoryValues } from '../config/model/powershell-virtual-directory.js';
import type { Caller } from '../cmdlets/rbac.js';
import { dnsSettingsFromTransport } from '../dns/dns-settings.js';
import { HostAddresses } from '../dns/host-addresses.js';
import { loadTransportConfig } from '../config/transport-config.js';
import type { PeerServers, ServerContext } from '../cmdlets/server-context.js';
import type { InvocationContext } from '../shell/command.js';
import { CmdletError } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { serverCertificates } from '../tls/certificate-selection.js';
import { callEndpoint, endpointUrl, RemoteConnectionError } from './client.js';
import { replayStream, type RunReply } from './protocol.js';
import { commandLine } from './script-arguments.js';
import type { ServerTrust } from '../secrets/server-trust.js';

export class OrganizationPeers implements PeerServers {
  /** The other servers' names are looked up as this server looks up names: its hosts file, then its internal DNS servers. */
  private readonly addresses: HostAddresses;

  constructor(
    private readonly ctx: ServerContext,
    private readonly trust: ServerTrust,
    private readonly caller: Caller,
  ) {
    this.addresses = new HostAddresses(() => dnsSettingsFromTransport(loadTransportConfig(ctx.repo, ctx.role, ctx.name, ctx.fqdn).dns, 'internal'));
  }

  async run(server: ModelObject, command: string, args: ReadonlyMap<string, unknown>, switches: ReadonlySet<string>, inv: InvocationContext): Promise<unknown[]> {
    const name = String(server.values.Name);
    const vdir = this.ctx.repo.findByName(powerShellVirtualDirectorySchema, name, POWERSHELL_VDIR_NAME);
    const { internalUrl } = virtualDirectoryValues(vdir?.values, server.values.ServerRole === 'Edge' ? 'EdgeTransport' : 'Mailbox', String(server.values.Fqdn));
    if (!internalUrl) {
      throw unreachable(
        `The server ${name} serves no management endpoint (its PowerShell virtual directory has no InternalUrl), so ${command} can't run there. Set one: Set-PowerShellVirtualDirectory "${name}\\${POWERSHELL_VDIR_NAME}" -InternalUrl https://${String(server.values.Fqdn)}/PowerShell/`,
      );
    }
    const certificates = serverCertificates(this.ctx.repo, name)
      .map((c) => String(c.values.CertificatePem ?? ''))
      .filter((pem) => pem.includes('BEGIN CERTIFICATE'));
    const pinned = certificates.flatMap((pem) => {
      try {
        return [new X509Certificate(pem).fingerprint256];
      } catch {
        return [];
      }
    });
    const script = commandLine(command, args, switches);
    let reply: RunReply;
    try {
      reply = await callEndpoint<RunReply>(endpointUrl(internalUrl), { trusted: certificates, pinned, lookup: (host) => this.addresses.lookup(host) }, this.trust.sign(this.ctx.name, this.caller), { op: 'exec', script });
    } catch (err) {
      const why = err instanceof RemoteConnectionError ? err.message.replace(/^Connecting to remote server \S+ failed with the following error message : /, '') : (err as Error).message;
      throw unreachable(`The server ${name} could not be reached at its management endpoint ${internalUrl}: ${why}`);
    }
    return replayStream(reply.stream, inv);
  }
}

function unreachable(message: string): CmdletError {
  return new CmdletError(message, { category: 'ResourceUnavailable', reason: 'PSRemotingTransportException', parameter: 'Server' });
}
