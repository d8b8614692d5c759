// `gatehouse setup`: what Exchange Setup does for one server. It creates the
// data folder, the server's store and master key, registers the server (in the
// organization store for Mailbox servers, creating that store and its key on
// first use), creates the self-signed certificate for the FQDN, the transport
// settings, the "Exchange Servers" group, the management role groups and the
// role's default Receive connectors. An existing server folder is refused; nothing is overwritten.
// The folder comes out private to the user who ran setup (0700, files 0600),
// even when it existed before with a wider mode.

import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { certificateSchema } from '../config/model/certificate.js';
import { receiveConnectorSchema, setupReceiveConnectors } from '../config/model/receive-connector.js';
import { transportServiceDefaults, transportServiceSchema } from '../config/model/transport-service.js';
import { defaultValues, type DefaultContext } from '../config/schema.js';
import { PRODUCT_VERSION, roleDisplay, serverSchema, type ServerRoleName } from '../config/model/server.js';
import { hostNameProblem } from '../config/types/index.js';
import { ensureBuiltInRoleGroups } from '../cmdlets/role-group.js';
import { ORGANIZATION_MANAGEMENT, roleGroupSchema } from '../config/model/role-group.js';
import type { ServerContext } from '../cmdlets/server-context.js';
import { createMasterKey } from '../secrets/master-key.js';
import { SecretBox } from '../secrets/secret-box.js';
import { createSelfSignedCertificate } from '../tls/self-signed.js';
import { adGroupSchema, adUserSchema, EXCHANGE_SERVERS_GROUP, exchangeServersGroup } from '../config/model/account.js';
import { StoredCredential } from '../config/model/credential.js';
import { nextSid } from '../cmdlets/account-support.js';
import { hashPassword } from '../secrets/password-hash.js';
import { newModelObject, Repository } from '../store/repository.js';
import { SqliteConfigStore } from '../store/sqlite-config-store.js';
import { makeFilesPrivate, makePrivate, PRIVATE_FOLDER_MODE } from './folder-privacy.js';
import { SqliteAccountLogonStore } from '../store/account-logon-store.js';
import { masterKeyPath, serverDbPath } from './server-folder.js';
import { openOrganizationForSetup, OrganizationSetupError, type OrganizationStore } from './organization-setup.js';
import type { ConfigStore } from '../store/config-store.js';
import type { AccountLogonStore } from '../store/account-logon-store.js';

export interface SetupOptions {
  role: ServerRoleName;
  name: string;
  fqdn: string;
  dataDir: string;
  /** Mailbox only: the organization store, a file (created when missing) or a PostgreSQL URL. */
  orgPath?: string;
  /** Mailbox with an organization in PostgreSQL: the organization's key file (--org-key). */
  orgKeyPath?: string;
}

export interface SetupResult {
  lines: string[];
}

export class SetupError extends Error {
  override name = 'SetupError';
}

function randomSid(): string {
  return `S-1-5-21-${randomInt(1, 2 ** 31)}-${randomInt(1, 2 ** 31)}-${randomInt(1, 2 ** 31)}`;
}

function checkOptions(o: SetupOptions): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/.test(o.name)) {
    throw new SetupError(`--name ${o.name} is not a valid server name: 1 to 15 letters, digits or hyphens, starting with a letter or digit (e.g. EDGE01)`);
  }
  const problem = hostNameProblem(o.fqdn);
  if (problem || !o.fqdn.includes('.')) throw new SetupError(`--fqdn ${o.fqdn} is not a fully qualified domain name${problem ? `: ${problem}` : ''} (e.g. edge01.contoso.net)`);
  if (o.role === 'EdgeTransport' && o.orgKeyPath) throw new SetupError('--org-key applies to Mailbox servers only');
  if (o.role === 'EdgeTransport' && o.orgPath) throw new SetupError('--org applies to Mailbox servers only: an Edge Transport server is not part of the organization (it keeps its own configuration)');
}

export async function setupServer(o: SetupOptions): Promise<SetupResult> {
  checkOptions(o);
  const dir = resolve(o.dataDir);
  if (existsSync(serverDbPath(dir)) || existsSync(masterKeyPath(dir))) {
    throw new SetupError(`${dir} already holds a Gatehouse server; setup does not overwrite it. Use another --data folder, or remove this one if you really mean to start over.`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new SetupError(`${dir} is not empty; setup needs a new or empty folder so that nothing is overwritten.`);
  }
  mkdirSync(dir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  chmodSync(dir, PRIVATE_FOLDER_MODE); // an existing empty folder keeps its mode otherwise (often 0755)

  // The organization first: a refused key or an unreachable store leaves the folder as it was.
  let org: OrganizationStore | undefined;
  if (o.role === 'Mailbox') {
    try {
      org = await openOrganizationForSetup(dir, o.orgPath, o.orgKeyPath);
    } catch (err) {
      if (err instanceof OrganizationSetupError) throw new SetupError(err.message);
      throw err;
    }
  }
  const cert = await createSelfSignedCertificate(o.name, o.fqdn);
  const localKey = createMasterKey(masterKeyPath(dir));
  const local = new SqliteConfigStore(serverDbPath(dir), { create: true });
  const lines: string[] = [];
  let config: ConfigStore = local;
  let box = new SecretBox(localKey);
  let logons: AccountLogonStore = new SqliteAccountLogonStore(local.db);
  try {
    const domain = o.fqdn.slice(o.fqdn.indexOf('.') + 1);
    if (org) {
      ({ config, box, logons } = org);
      if (org.created || !config.getMeta('directory_domain')) {
        config.setMeta('directory_domain', domain);
        config.setMeta('directory_netbios', domain.split('.')[0].toUpperCase().slice(0, 15));
        config.setMeta('directory_sid', randomSid());
      }
      local.setMeta('org_store', org.recorded);
      lines.push(...org.lines);
    } else {
      local.setMeta('directory_domain', o.fqdn);
      local.setMeta('directory_netbios', o.name.toUpperCase());
      local.setMeta('directory_sid', randomSid());
    }
    const repo = new Repository(config, box);
    const ctx: ServerContext = {
      role: o.role,
      name: o.name,
      fqdn: o.fqdn,
      dataDir: dir,
      repo,
      logons,
      directory: { dnsDomain: config.getMeta('directory_domain')!, netbiosName: config.getMeta('directory_netbios')!, domainSid: config.getMeta('directory_sid')! },
    };

    const defaults: DefaultContext = { role: o.role, serverName: o.name, serverFqdn: o.fqdn };
    const receiveConnectors = setupReceiveConnectors(defaults);
    const serverAccountPassword = randomBytes(24).toString('base64');
    const serverAccountHash = o.role === 'Mailbox' ? await hashPassword(serverAccountPassword) : '';
    repo.transaction(() => {
      if (repo.findByName(serverSchema, '', o.name)) {
        throw new SetupError(`a server named ${o.name} is already registered in the organization store ${config.location}; choose another --name`);
      }
      const server = newModelObject(serverSchema, '', {
        Name: o.name,
        Fqdn: o.fqdn,
        Domain: domain,
        ServerRole: roleDisplay(o.role),
        Edition: 'Standard',
        AdminDisplayVersion: `Gatehouse ${PRODUCT_VERSION}`,
        Site: o.role === 'Mailbox' ? 'Default-First-Site-Name' : null,
        IsEdgeServer: o.role === 'EdgeTransport',
        IsMailboxServer: o.role === 'Mailbox',
        DataPath: dir,
      });
      repo.insert(server);
      repo.insert(newModelObject(transportServiceSchema, o.name, transportServiceDefaults(defaults)));
      repo.insert(
        newModelObject(certificateSchema, o.name, {
          Name: cert.thumbprint,
          Subject: cert.subject,
          Issuer: cert.subject,
          CertificateDomains: cert.domains,
          Services: 'IIS, SMTP',
          IsSelfSigned: true,
          NotBefore: cert.notBefore,
          NotAfter: cert.notAfter,
          CertificatePem: cert.certificatePem,
          PrivateKey: cert.privateKeyPem,
        }),
      );
      // "Exchange Servers": the Edge's own, or the organization's when it has no directory groups yet.
      const group = exchangeServersGroup(defaults);
      if (o.role === 'EdgeTransport' || repo.list(group.schema).length === 0) repo.insert(newModelObject(group.schema, '', { ...group.values, SID: nextSid(ctx) }));
      if (o.role === 'Mailbox') {
        // The server's own directory account (NAME$, in Exchange Servers): what it authenticates
        // with when it relays mail to the Mailbox server that owns a recipient's database.
        const account = newModelObject(adUserSchema, '', {
          ...defaultValues(adUserSchema, defaults),
          Name: `${o.name}$`,
          SamAccountName: `${o.name}$`,
          Enabled: true,
          Description: `Server account of ${o.fqdn}`,
          PasswordHash: serverAccountHash,
          PasswordLastSet: new Date(),
        });
        account.values.SID = nextSid(ctx);
        repo.insert(account);
        const exchangeServers = repo.findByName(adGroupSchema, '', EXCHANGE_SERVERS_GROUP)!;
        exchangeServers.values.Members = [...((exchangeServers.values.Members as string[]) ?? []), account.guid];
        repo.update(exchangeServers);
        server.values.ServerAccount = StoredCredential.parseShellValue({ UserName: `${ctx.directory.netbiosName}\\${o.name}$`, Password: { reveal: () => serverAccountPassword } });
        repo.update(server);
      }
      for (const rc of receiveConnectors) repo.insert(newModelObject(receiveConnectorSchema, o.name, rc));
      ensureBuiltInRoleGroups(ctx); // the organization's (or this Edge's) management role groups, once
      if (org?.created) lines.push(addOrganizationAdministrator(ctx));
    });
    local.setMeta('role', o.role);
    local.setMeta('name', o.name);
    local.setMeta('fqdn', o.fqdn);
    local.setMeta('setup_complete', 'true');

    lines.unshift(`Set up ${roleDisplay(o.role) === 'Edge' ? 'Edge Transport' : 'Mailbox'} server ${o.name} (${o.fqdn}) in ${dir}.`);
    lines.push(`Certificate ${cert.thumbprint} (${cert.subject}; ${cert.domains.join(', ')}), valid until ${cert.notAfter.toISOString().slice(0, 10)}.`);
    lines.push(`Receive connectors: ${receiveConnectorsText(defaults).join('; ')}.`);
    lines.push(`Master key ${masterKeyPath(dir)} (mode 0600): back it up with the folder; stored secrets cannot be read without it.`);
    lines.push(`The folder ${dir} is private to the user who ran setup (0700, files 0600): run the service as that user.`);
    lines.push(`Next: gatehouse shell --data ${o.dataDir}`);
    return { lines };
  } finally {
    if (config !== local) config.close();
    local.close();
    makePrivate(dir);
    if (org) makeFilesPrivate(org.privateFiles);
  }
}

/**
 * The organization's Administrator account (as the domain's built-in Administrator that runs
 * Exchange Setup): a member of Organization Management, so that the organization can be managed
 * remotely. It has no password, and is disabled, until an administrator on a server gives it one.
 */
function addOrganizationAdministrator(ctx: ServerContext): string {
  const domain = ctx.directory.dnsDomain;
  const admin = newModelObject(adUserSchema, '', {
    ...defaultValues(adUserSchema, { role: ctx.role, serverName: ctx.name, serverFqdn: ctx.fqdn }),
    Name: ORGANIZATION_ADMINISTRATOR,
    SamAccountName: ORGANIZATION_ADMINISTRATOR,
    UserPrincipalName: `${ORGANIZATION_ADMINISTRATOR.toLowerCase()}@${domain}`,
    Enabled: false,
    Description: 'Built-in account for administering the organization (a member of Organization Management)',
  });
  admin.values.SID = nextSid(ctx);
  ctx.repo.insert(admin);
  const group = ctx.repo.findByName(roleGroupSchema, '', ORGANIZATION_MANAGEMENT)!;
  group.values.Members = [...((group.values.Members as string[]) ?? []), admin.guid];
  ctx.repo.update(group);
  return (
    `The organization's account ${ctx.directory.netbiosName}\\${ORGANIZATION_ADMINISTRATOR} is a member of Organization Management. It is disabled until it has a password: ` +
    `Set-ADAccountPassword ${ORGANIZATION_ADMINISTRATOR} -Reset -NewPassword (Read-Host -AsSecureString "Password"); Enable-ADAccount ${ORGANIZATION_ADMINISTRATOR}`
  );
}

/** The name of the organization's built-in administrator account. */
export const ORGANIZATION_ADMINISTRATOR = 'Administrator';

/** "Name (bindings)" of each Receive connector setup creates. */
function receiveConnectorsText(server: DefaultContext): string[] {
  return setupReceiveConnectors(server).map((rc) => `${String(rc.Name)} (${(rc.Bindings as unknown[]).map(String).join(', ')})`);
}
