// The lab's machines and names: the seed's Edge (two network sides), its two
// Mailbox servers, and "the Internet" (a DNS server and fabrikam.com's mail
// server), each on a loopback address standing for the seed's own, and the
// shell scripts that configure them: the seed's commands as the seed writes
// them (addresses mapped), plus the steps the seed assumes done.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ServerRoleName } from '../config/model/server.js';
import type { LabZoneData } from './lab-dns.js';
import { seedCommands } from './seed-script.js';

export const ADDRESSES = {
  edgeExternal: '127.10.1.1', // 10.1.1.1
  edgeInternal: '127.10.1.2', // 10.1.1.2
  mbx1: '127.168.5.10', // 192.168.5.10
  mbx2: '127.168.5.20', // 192.168.5.20
  fabrikam: '127.20.1.1', // mail.fabrikam.com, on the Internet
  tailspin: '127.20.2.1', // mail.tailspintoys.com: another Internet domain, whose server the lab does not run
  dns: '127.53.0.1', // the Internet's DNS
  db: '127.168.5.40', // db.contoso.com: the organization's PostgreSQL (--org-store postgresql)
};

/** Where the contoso organization lives: one SQLite file beside the server folders, or PostgreSQL. */
export type LabOrgStore = 'sqlite' | 'postgresql';

/** The lab's PostgreSQL (--org-store postgresql): a private cluster on the internal network. */
export interface LabDatabase {
  host: string;
  port: number;
  database: string;
  role: string;
  url: string;
}

/** The name the Mailbox servers' "To Edge" uses for the Edge (the seed's SmartHosts edge01.contoso.com). */
export const EDGE_INTERNAL_NAME = 'edge01.contoso.com';

export interface LabServer {
  name: string;
  fqdn: string;
  role: ServerRoleName;
  /** The address its SMTP listens on (the Edge: the external one). */
  address: string;
  /** Organization store of a Mailbox server (Mailbox servers of one organization share it). */
  org?: string;
}

export interface LabPlan {
  dir: string;
  /** 0: the real ports (25, 587, 53); else every port is this plus the real one. */
  portBase: number;
  smtpPort: number;
  submissionPort: number;
  dnsPort: number;
  /** The Mailbox servers' management endpoints (https://<FQDN>:port/PowerShell/). */
  managementPort: number;
  servers: { edge: LabServer; mbx1: LabServer; mbx2: LabServer; fabrikam: LabServer };
  /** Generated for this run. */
  passwords: { edgeauth: string; mbxrelay: string; alice: string; bob: string; kim: string; database: string; administrator: string };
  orgStore: LabOrgStore;
  /** With --org-store postgresql. */
  database?: LabDatabase;
}

const password = () => `Lab-${randomBytes(9).toString('base64url')}`;

export function labPlan(dir: string, portBase: number, orgStore: LabOrgStore = 'sqlite'): LabPlan {
  const database: LabDatabase | undefined =
    orgStore === 'postgresql' ? { host: ADDRESSES.db, port: portBase + 5432, database: 'contoso', role: 'gatehouse', url: `postgresql://gatehouse@${ADDRESSES.db}:${portBase + 5432}/contoso?sslmode=disable` } : undefined;
  const contoso = database ? database.url : join(dir, 'contoso-organization.db');
  return {
    orgStore,
    ...(database && { database }),
    dir,
    portBase,
    smtpPort: portBase + 25,
    submissionPort: portBase + 587,
    dnsPort: portBase + 53,
    managementPort: portBase + 443,
    servers: {
      edge: { name: 'EDGE01', fqdn: 'edge01.contoso.net', role: 'EdgeTransport', address: ADDRESSES.edgeExternal },
      mbx1: { name: 'MBX01', fqdn: 'mbxserver01.contoso.com', role: 'Mailbox', address: ADDRESSES.mbx1, org: contoso },
      mbx2: { name: 'MBX02', fqdn: 'mbxserver02.contoso.com', role: 'Mailbox', address: ADDRESSES.mbx2, org: contoso },
      fabrikam: { name: 'FAB01', fqdn: 'mail.fabrikam.com', role: 'Mailbox', address: ADDRESSES.fabrikam, org: join(dir, 'fabrikam-organization.db') },
    },
    passwords: { edgeauth: password(), mbxrelay: password(), alice: password(), bob: password(), kim: password(), database: password(), administrator: password() },
  };
}

/** `dkim`: the DKIM key records the servers made (name -> the value in strings of at most 255 characters). */
export function zoneData(dkim: Record<string, string[]> = {}): LabZoneData {
  return {
    zones: ['contoso.com', 'contoso.net', 'fabrikam.com', 'tailspintoys.com'],
    a: {
      'mail.contoso.com': ADDRESSES.edgeExternal,
      'edge01.contoso.net': ADDRESSES.edgeExternal,
      [EDGE_INTERNAL_NAME]: ADDRESSES.edgeInternal, // the name the Mailbox servers' "To Edge" uses
      'mbxserver01.contoso.com': ADDRESSES.mbx1,
      'mbxserver02.contoso.com': ADDRESSES.mbx2,
      'mail.fabrikam.com': ADDRESSES.fabrikam,
      'mail.tailspintoys.com': ADDRESSES.tailspin,
    },
    mx: {
      'contoso.com': [{ exchange: 'mail.contoso.com', preference: 10 }],
      'fabrikam.com': [{ exchange: 'mail.fabrikam.com', preference: 10 }],
      'tailspintoys.com': [{ exchange: 'mail.tailspintoys.com', preference: 10 }],
    },
    // fabrikam.com sends from its mail server only: the Edge's Sender ID agent finds Pass. Its DMARC
    // record asks for no action (p=none): the lab's tests and the swaks line it prints send as
    // fabrikam.com from other addresses, which a p=reject policy would have refused.
    txt: { 'fabrikam.com': [`v=spf1 ip4:${ADDRESSES.fabrikam} -all`], '_dmarc.fabrikam.com': ['v=DMARC1; p=none'], ...Object.fromEntries(Object.entries(dkim).map(([name, strings]) => [name, [strings]])) },
  };
}

/**
 * DKIM signing of a domain's mail to the Internet (New-DkimSigningConfig): the key is made here;
 * the lab's DNS then serves the record Selector1TxtRecord shows (see Lab.publishDkim).
 */
export function dkimScript(domain: string): ScriptLine[] {
  return [`New-DkimSigningConfig -DomainName ${domain} -KeySize 2048 -Enabled $true | Format-List Domain,Enabled,Status,KeyType,Selector1KeySize`, `Get-DkimSigningConfig ${domain} | Format-List Selector1TxtRecord`].map((text) => ({
    text,
  }));
}

/** The seed's addresses (and, with a port base, its port 25) mapped to the lab's. */
export function mapSeedLine(line: string, plan: LabPlan): string {
  const at = (ip: string) => new RegExp(`\\b${ip.replace(/\./g, '\\.')}(:25)?\\b`, 'g');
  const to = (lab: string) => (_m: string, port?: string) => (port ? `${lab}:${plan.smtpPort}` : lab);
  return line.replace(at('10.1.1.1'), to(ADDRESSES.edgeExternal)).replace(at('10.1.1.2'), to(ADDRESSES.edgeInternal)).replace(at('192.168.5.10'), to(ADDRESSES.mbx1)).replace(at('192.168.5.20'), to(ADDRESSES.mbx2));
}

/** A script line, and the lines Get-Credential reads after it (not echoed). */
export interface ScriptLine {
  text: string;
  answers?: string[];
}

const secure = (pw: string) => `(ConvertTo-SecureString "${pw}" -AsPlainText -Force)`;

/** Where the lab puts each server's SMTP certificate (public part) for the others to trust. */
export function certificateFile(plan: LabPlan, server: LabServer): string {
  return join(plan.dir, 'certs', `${server.name}.crt`);
}

const trust = (plan: LabPlan, peer: LabServer) => `Import-ExchangeCertificate -FileName "${certificateFile(plan, peer)}" -FriendlyName "${peer.name} (trusted peer)" | Out-Null`;

function dnsSettings(plan: LabPlan, server: string): string {
  const dns = `${ADDRESSES.dns}:${plan.dnsPort}`;
  return `Set-TransportService ${server} -ExternalDNSServers ${dns} -ExternalDNSAdapterEnabled $false -InternalDNSServers ${dns} -InternalDNSAdapterEnabled $false`;
}

/** Where a Mailbox server's management endpoint is: https://<its FQDN>/PowerShell/ (the default), on the lab's port. */
export function managementEndpoint(plan: LabPlan, server: LabServer): string {
  return `https://${server.fqdn}${plan.managementPort === 443 ? '' : `:${plan.managementPort}`}/PowerShell/`;
}

/** The endpoint's URL when the lab's ports are moved (--port-base): the default one otherwise. */
function managementUrl(plan: LabPlan, server: LabServer): string[] {
  return plan.portBase ? [`Set-PowerShellVirtualDirectory "${server.name}\\PowerShell (Default Web Site)" -InternalUrl ${managementEndpoint(plan, server)}`] : [];
}

function withCredentials(lines: string[], answers: string[]): ScriptLine[] {
  return lines.map((text) => (text.endsWith('Get-Credential') ? { text, answers } : { text }));
}

/** The contoso organization (run on MBX01; MBX02 shares the store), then the seed's Mailbox procedure. */
export function mailboxScript(plan: LabPlan): { assumed: ScriptLine[]; seed: ScriptLine[] } {
  const { mbx1, mbx2 } = plan.servers;
  const p = plan.passwords;
  const assumed = [
    'New-AcceptedDomain Contoso -DomainName contoso.com',
    `New-MailboxDatabase DB1 -Server ${mbx1.name}`,
    `New-MailboxDatabase DB2 -Server ${mbx2.name}`,
    `New-Mailbox -Name Alice -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password ${secure(p.alice)}`,
    `New-Mailbox -Name Bob -Alias bob -UserPrincipalName bob@contoso.com -Database DB2 -Password ${secure(p.bob)}`,
    // "You can configure the account to allow logon to specific computers only": the Edge, EDGE01
    // (edge01.contoso.com in the lab's DNS: its internal address).
    `New-ADUser -Name EdgeAuth -SamAccountName edgeauth -AccountPassword ${secure(p.edgeauth)} -Enabled $true -LogonWorkstations EDGE01`,
    'Add-ADGroupMember -Identity "Exchange Servers" -Members edgeauth',
    // The Edge's self-signed certificate, trusted by the organization's servers.
    trust(plan, plan.servers.edge),
    ...[mbx1, mbx2].flatMap((s) => [
      `Set-ReceiveConnector "Default ${s.name}" -Bindings ${s.address}:${plan.smtpPort}`,
      `Set-ReceiveConnector "Client ${s.name}" -Bindings ${s.address}:${plan.submissionPort}`,
      dnsSettings(plan, s.name),
      ...managementUrl(plan, s),
    ]),
    // Setup's Administrator account (Organization Management), for remote management.
    `Set-ADAccountPassword Administrator -Reset -NewPassword ${secure(p.administrator)}`,
    'Enable-ADAccount Administrator',
  ].map((text) => ({ text }));
  const seed = withCredentials(
    seedCommands().mailbox.map((l) => mapSeedLine(l, plan)),
    ['mbxrelay', p.mbxrelay],
  );
  if (plan.portBase) seed.push({ text: `Set-SendConnector "To Edge" -Port ${plan.smtpPort}` });
  return { assumed, seed };
}

/**
 * The Edge's certificate, before the others import it: "To Edge" sends its credential only to a
 * certificate that carries the smart host's name, and Setup's names only EDGE01 and the Edge's
 * FQDN. A certificate for both names takes the place of Setup's (removed by thumbprint, so that
 * STARTTLS presents the new one on both sides of the Edge).
 */
export function edgeCertificateScript(plan: LabPlan, setupThumbprint: string): ScriptLine[] {
  return [
    `New-ExchangeCertificate -DomainName ${plan.servers.edge.fqdn},${EDGE_INTERNAL_NAME} -Services SMTP -Force | Format-List Thumbprint,CertificateDomains,Services`,
    `Remove-ExchangeCertificate -Thumbprint ${setupThumbprint} -Confirm:$false`,
  ].map((text) => ({ text }));
}

/** The Edge: what the seed assumes (accepted domain, the Mailbox servers' account, DNS), then the seed's Edge procedure. */
export function edgeScript(plan: LabPlan): { assumed: ScriptLine[]; seed: ScriptLine[] } {
  const p = plan.passwords;
  const assumed = [
    'New-AcceptedDomain Contoso -DomainName contoso.com',
    `New-LocalUser -Name mbxrelay -Password ${secure(p.mbxrelay)}`,
    'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay',
    // The Mailbox servers' self-signed certificates, trusted by the Edge.
    trust(plan, plan.servers.mbx1),
    trust(plan, plan.servers.mbx2),
    dnsSettings(plan, plan.servers.edge.name),
  ].map((text) => ({ text }));
  const seed = withCredentials(
    seedCommands().edge.map((l) => mapSeedLine(l, plan)),
    ['CONTOSO\\edgeauth', p.edgeauth],
  );
  // The seed's Edge reaches the Mailbox servers through its internal network card (10.1.1.2); on
  // loopback the system would pick 127.0.0.1, so "To Internal Org" names the internal address: the
  // address edgeauth may log on from (EDGE01).
  const firstGet = seed.findIndex((l) => l.text.startsWith('Get-'));
  seed.splice(firstGet < 0 ? seed.length : firstGet, 0, { text: `Set-SendConnector "To Internal Org" -SourceIPAddress ${ADDRESSES.edgeInternal}` });
  if (plan.portBase) {
    // Before the verification commands, so that they show the ports in force.
    const firstCheck = seed.findIndex((l) => l.text.startsWith('Get-'));
    seed.splice(firstCheck < 0 ? seed.length : firstCheck, 0, { text: `Set-SendConnector "To Internet" -Port ${plan.smtpPort}` }, { text: `Set-SendConnector "To Internal Org" -Port ${plan.smtpPort}` });
  }
  return { assumed, seed };
}

/**
 * The Edge's defences beyond the seed: its anti-spam agents run by default; recipient validation
 * is an admin's choice (off in Exchange), made here so that mail to an address nobody has is refused
 * at the Edge instead of bounced from inside (the Edge asks the Mailbox servers; no EdgeSync).
 */
export function edgeDefencesScript(): ScriptLine[] {
  return ['Get-TransportAgent | Format-Table Identity,Enabled,Priority -AutoSize', 'Set-RecipientFilterConfig -RecipientValidationEnabled $true'].map((text) => ({ text }));
}

/** fabrikam.com's mail server on the Internet: its own organization, one mailbox, MX routing out. */
export function fabrikamScript(plan: LabPlan): ScriptLine[] {
  const f = plan.servers.fabrikam;
  return [
    'New-AcceptedDomain Fabrikam -DomainName fabrikam.com',
    `New-MailboxDatabase FDB1 -Server ${f.name}`,
    `New-Mailbox -Name Kim -Alias kim -UserPrincipalName kim@fabrikam.com -Database FDB1 -Password ${secure(plan.passwords.kim)}`,
    `Set-ReceiveConnector "Default ${f.name}" -Bindings ${f.address}:${plan.smtpPort} -PermissionGroups AnonymousUsers,ExchangeUsers,ExchangeServers`,
    `Set-ReceiveConnector "Client ${f.name}" -Bindings ${f.address}:${plan.submissionPort}`,
    dnsSettings(plan, f.name),
    ...managementUrl(plan, f),
    `New-SendConnector -Name "To Internet" -Usage Internet -AddressSpaces * -DNSRoutingEnabled $true -SourceTransportServers ${f.name}${plan.portBase ? ` -Port ${plan.smtpPort}` : ''}`,
  ].map((text) => ({ text }));
}
