// The Exchange certificate cmdlets (spec exchange-operations.md §6):
// New-ExchangeCertificate (self-signed, or a PKCS #10 request),
// Import-ExchangeCertificate (PEM, DER, PKCS #7, PKCS #12), Enable- (adds
// services; SMTP makes it a STARTTLS candidate), Remove- (refused while a
// Receive connector would be left without a certificate) and Get-. Only
// public parts are shown; private keys stay sealed under the master key and
// are opened by the transport only (src/tls/certificate-selection.ts).

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { acceptedDomainSchema } from '../config/model/accepted-domain.js';
import { certificateSchema } from '../config/model/certificate.js';
import { parseBool } from '../config/model/common.js';
import { receiveConnectorSchema } from '../config/model/receive-connector.js';
import { serverSchema } from '../config/model/server.js';
import { ConversionError, type BoundArguments, type CommandSpec, type InvocationContext } from '../shell/command.js';
import { confirm } from '../shell/prompts.js';
import { CmdletError, PSObject, SecureString, type ObjectView } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { describeCertificate } from '../tls/certificate-info.js';
import { coversName, hasPrivateKey, infoOf, isPending, servicesOf, smtpCandidates, usableForTls } from '../tls/certificate-selection.js';
import { ImportError, readCertificateData } from '../tls/import.js';
import { commonName, domainNameProblem, normalizeSubjectName, subjectNameProblem } from '../tls/names.js';
import { generateCertificateRequest, generateSelfSignedCertificate } from '../tls/self-signed.js';
import { invalidOperation, notFound } from './errors.js';
import { insertObject } from './object-commands.js';
import type { ServerContext } from './server-context.js';
import { typeNamesFor } from './object-output.js';

/** AllowedServices, in the enum's order (also the order Exchange lists them in). */
const SERVICES = ['IMAP', 'POP', 'UM', 'IIS', 'SMTP', 'Federation', 'UMCallRouter'];
const SERVICES_TYPE = 'Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices';

function parseServices(value: unknown): string[] {
  const items = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out = new Set<string>();
  for (const item of items) {
    if (item.toLowerCase() === 'none') continue;
    const name = SERVICES.find((s) => s.toLowerCase() === item.toLowerCase());
    if (!name) {
      throw new ConversionError(
        `Cannot convert value "${items.join(',')}" to type "${SERVICES_TYPE}". Error: "Unable to match the identifier name ${item} to a valid enumerator name. Specify one of the following enumerator names and try again: None, ${SERVICES.join(', ')}"`,
      );
    }
    out.add(name);
  }
  return SERVICES.filter((s) => out.has(s));
}

function servicesText(list: Iterable<string>): string {
  const set = new Set([...list].map((s) => s.toUpperCase()));
  const names = SERVICES.filter((s) => set.has(s.toUpperCase()));
  return names.length ? names.join(', ') : 'None';
}

/** Services as the 7-character mask of the default table: I P U W S F C. */
function servicesMask(services: Set<string>): string {
  return SERVICES.map((s, i) => (services.has(s.toUpperCase()) ? 'IPUWSFC'[i] : '.')).join('');
}

function convertBool(v: unknown): boolean {
  try {
    return parseBool(v);
  } catch (err) {
    throw new ConversionError(err instanceof Error ? err.message : String(err));
  }
}

function convertSecure(v: unknown): SecureString {
  if (v instanceof SecureString) return v;
  const type = typeof v === 'string' ? 'System.String' : 'System.Object';
  throw new ConversionError(`Cannot convert the "${String(v)}" value of type "${type}" to type "System.Security.SecureString". Use (ConvertTo-SecureString 'password' -AsPlainText -Force) or (Get-Credential).Password.`);
}

/** -FileData: a byte array, or text (PEM, or base64 of a binary file). */
function convertFileData(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'string') {
    if (!v.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(v) && v.trim().length >= 64) return Buffer.from(v.replace(/\s+/g, ''), 'base64');
    return Buffer.from(v, 'utf8');
  }
  if (Array.isArray(v) && v.length > 0) {
    if (v.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(v as number[]);
    if (v.every((s) => typeof s === 'string')) return Buffer.from((v as string[]).join('\n'), 'utf8');
  }
  throw new ConversionError('Cannot convert the value to type "System.Byte[]". Give the file\'s bytes, PEM text, or use -FileName <path>.');
}

function toOutput(obj: ModelObject, now: Date): PSObject {
  const v = obj.values;
  const services = servicesOf(obj);
  const domains = Array.isArray(v.CertificateDomains) ? v.CertificateDomains.map(String) : [];
  const pending = isPending(obj);
  let x509: X509Certificate | null = null;
  if (!pending) {
    try {
      x509 = new X509Certificate(String(v.CertificatePem));
    } catch {
      x509 = null;
    }
  }
  const info = x509 ? describeCertificate(x509) : null;
  const status = pending ? 'PendingRequest' : !info ? 'Invalid' : now < info.notBefore || now > info.notAfter ? 'DateInvalid' : 'Valid';
  return new PSObject(typeNamesFor('ExchangeCertificate'), [
    ['CertificateDomains', domains],
    ['HasPrivateKey', hasPrivateKey(obj) && !pending],
    ['IsSelfSigned', v.IsSelfSigned === true],
    ['Issuer', v.Issuer ?? ''],
    ['NotAfter', info ? info.notAfter : null],
    ['NotBefore', info ? info.notBefore : null],
    ['PublicKeySize', info?.keySize ?? null],
    ['RootCAType', pending ? 'None' : v.IsSelfSigned === true ? 'None' : 'Unknown'],
    ['SerialNumber', info?.serialNumber ?? ''],
    ['Services', servicesText(services)],
    ['Status', status],
    ['Subject', v.Subject],
    ['Thumbprint', v.Name],
    ['Identity', `${obj.server}\\${v.Name}`],
    ['FriendlyName', v.FriendlyName ?? 'Microsoft Exchange'],
    ['PrivateKeyExportable', v.PrivateKeyExportable === true],
    ['CertificateRequest', pending ? v.CertificateRequest : null],
    ['Server', obj.server],
    ['ServicesMask', servicesMask(services)],
  ]);
}

/** The server a -Server value names (name or FQDN); this server when absent. */
function resolveServer(ctx: ServerContext, args: BoundArguments): string {
  if (!args.has('Server')) return ctx.name;
  const s = String(args.get('Server')).toLowerCase();
  if (s === ctx.name.toLowerCase() || s === ctx.fqdn.toLowerCase()) return ctx.name;
  const found = ctx.repo.list(serverSchema).find((o) => String(o.values.Name).toLowerCase() === s || String(o.values.Fqdn ?? '').toLowerCase() === s);
  if (!found) throw notFound(String(args.get('Server')), ctx.fqdn);
  return String(found.values.Name);
}

/** IIS is held by one certificate of a server at a time: the others lose it (the management endpoint serves `holder`). */
function takeIis(ctx: ServerContext, server: string, holder: ModelObject): void {
  for (const other of certificatesOf(ctx, server)) {
    if (other.guid === holder.guid || !servicesOf(other).has('IIS')) continue;
    other.values.Services = servicesText([...servicesOf(other)].filter((x) => x !== 'IIS'));
    ctx.repo.update(other);
  }
}

function certificatesOf(ctx: ServerContext, server: string): ModelObject[] {
  return ctx.repo.list(certificateSchema).filter((c) => c.server.toLowerCase() === server.toLowerCase());
}

function normalizeThumbprint(value: unknown): string {
  return String(value).replace(/[\s:]/g, '').toUpperCase();
}

function findCertificate(ctx: ServerContext, server: string, thumbprint: string): ModelObject {
  const found = certificatesOf(ctx, server).find((c) => String(c.values.Name).toUpperCase() === thumbprint);
  if (!found) {
    throw new CmdletError(`The certificate with thumbprint ${thumbprint} was not found on server ${server}. Run Get-ExchangeCertificate to list the certificates of the server.`, {
      reason: 'ManagementObjectNotFoundException',
      parameter: 'Thumbprint',
    });
  }
  return found;
}

const thumbprintParameter = (mandatory: boolean) => ({
  name: 'Thumbprint',
  typeName: 'String',
  position: 0,
  mandatory,
  valueFromPipelineByPropertyName: true,
  description: 'Thumbprint of the certificate (40 hexadecimal digits, as Get-ExchangeCertificate shows it).',
  convert: (v: unknown) => {
    const t = normalizeThumbprint(v);
    if (!/^[0-9A-F]{40}$/.test(t)) throw new ConversionError(`"${String(v)}" is not a certificate thumbprint: 40 hexadecimal digits, e.g. 8490765C4C47D81A1E2F46BEBB98EF9084A3B11C.`);
    return t;
  },
});

const serverParameter = { name: 'Server', typeName: 'ServerIdParameter', description: 'Server whose certificates to use (default: this server).' };

function domainListConvert(v: unknown): string[] {
  const items = (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const d of items) {
    const p = domainNameProblem(d);
    if (p) throw new ConversionError(p);
  }
  return items;
}

/** The server's default SMTP certificate: the one marked, else Setup's (the oldest self-signed one enabled for SMTP). */
function defaultSmtpCertificate(certs: ModelObject[]): ModelObject | undefined {
  return certs.find((c) => c.values.DefaultSmtp === true) ?? certs.filter((c) => c.values.IsSelfSigned === true && servicesOf(c).has('SMTP')).sort((a, b) => a.whenCreated.getTime() - b.whenCreated.getTime())[0];
}

function expiry(obj: ModelObject): string {
  const info = infoOf(obj);
  return info ? info.notAfter.toISOString().slice(0, 10) : 'unknown';
}

/**
 * Enabling SMTP on a certificate offers to make it the default SMTP
 * certificate in place of the current one: -Force replaces without asking; an
 * interactive session asks; otherwise the current one stays (with a warning).
 * Returns true when `candidate` becomes the default.
 */
async function replaceDefault(ctx: ServerContext, inv: InvocationContext, candidate: ModelObject, others: ModelObject[], force: boolean): Promise<boolean> {
  const current = defaultSmtpCertificate(others.filter((c) => c.guid !== candidate.guid));
  if (!current) return true;
  if (force) return true;
  if (inv.host.interactive) {
    const answer = await confirm(
      inv.host,
      `Overwrite the existing default SMTP certificate?\n\nCurrent certificate: '${current.values.Name}' (expires ${expiry(current)})\nReplace it with certificate: '${candidate.values.Name}' (expires ${expiry(candidate)})`,
    );
    return answer === 'yes' || answer === 'yesToAll';
  }
  inv.warn(`The default SMTP certificate of ${ctx.name} is still ${current.values.Name}; use -Force to replace it with ${candidate.values.Name}.`);
  return false;
}

function markDefault(ctx: ServerContext, server: string, obj: ModelObject): void {
  for (const c of certificatesOf(ctx, server)) {
    if (c.guid !== obj.guid && c.values.DefaultSmtp === true) {
      c.values.DefaultSmtp = false;
      ctx.repo.update(c);
    }
  }
  obj.values.DefaultSmtp = true;
}

/** Receive connectors of `server` that offer STARTTLS, with the name their certificate must match. */
function tlsConnectors(ctx: ServerContext, server: string): { id: string; name: string; tlsName: string | null }[] {
  return ctx.repo
    .list(receiveConnectorSchema)
    .filter((rc) => rc.server.toLowerCase() === server.toLowerCase())
    .filter((rc) => {
      const auth = rc.values.AuthMechanism as { has?(f: string): boolean } | undefined;
      return typeof auth?.has === 'function' ? auth.has('Tls') : String(auth ?? '').includes('Tls');
    })
    .map((rc) => {
      const fqdn = rc.values.Fqdn as { name?: string } | string | null | undefined;
      const fqdnText = typeof fqdn === 'string' ? fqdn : fqdn?.name;
      const tls = rc.values.TlsCertificateName;
      return { id: `${rc.server}\\${rc.values.Name}`, name: fqdnText || ctx.fqdn, tlsName: typeof tls === 'string' && tls !== '' ? tls : null };
    });
}

function newCertificateCommand(ctx: ServerContext): CommandSpec {
  return {
    name: 'New-ExchangeCertificate',
    synopsis: 'Creates a self-signed certificate for the server (default) or a certificate request (-GenerateRequest) for a certification authority.',
    description:
      'Without parameters: Subject CN=<server name>, names <server name> and <server FQDN>, services IMAP, POP, SMTP, RSA 2048, valid five years. -SubjectName sets the subject (its CN is added to the names); -DomainName adds names. Only SMTP has an effect in Gatehouse (STARTTLS); other services are stored as given. Enabling SMTP asks whether to replace the default SMTP certificate (-Force replaces without asking).',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      {
        name: 'SubjectName',
        typeName: 'X500DistinguishedName',
        description: 'Subject: "[C=..,S=..,L=..,O=..,OU=..,]CN=host", one name; the CN is added to the domain names.',
        convert: (v) => {
          const s = String(v);
          const p = subjectNameProblem(s);
          if (p) throw new ConversionError(p);
          return normalizeSubjectName(s);
        },
      },
      { name: 'DomainName', typeName: 'MultiValuedProperty', description: 'Subject alternative names: a-z, 0-9, hyphens, dots; "*." for a wildcard.', convert: domainListConvert },
      {
        name: 'FriendlyName',
        typeName: 'String',
        defaultValue: 'Microsoft Exchange',
        description: 'Friendly name (fewer than 64 characters).',
        convert: (v) => {
          const s = String(v);
          if (s.length >= 64) throw new ConversionError(`The friendly name is ${s.length} characters long; it must be shorter than 64 characters.`);
          return s;
        },
      },
      {
        name: 'KeySize',
        typeName: 'Int32',
        defaultValue: '2048',
        description: 'RSA key size: 1024, 2048 or 4096.',
        convert: (v) => {
          const n = Number(v);
          if (![1024, 2048, 4096].includes(n) || String(v).trim() === '') throw new ConversionError(`The key size ${String(v)} is not supported. Use 1024, 2048 or 4096.`);
          return n;
        },
      },
      { name: 'Services', typeName: 'AllowedServices', defaultValue: 'IMAP, POP, SMTP', description: 'None, IMAP, POP, UM, IIS, SMTP, Federation, UMCallRouter (comma-separated). Only SMTP has an effect here.', convert: parseServices },
      { name: 'PrivateKeyExportable', typeName: 'Boolean', defaultValue: 'False', description: 'Whether the private key may be exported.', convert: convertBool },
      { name: 'IncludeServerFQDN', typeName: 'SwitchParameter', switch: true, description: 'Adds the server FQDN to the names.' },
      { name: 'IncludeServerNetBIOSName', typeName: 'SwitchParameter', switch: true, description: 'Adds the server name to the names.' },
      { name: 'IncludeAcceptedDomains', typeName: 'SwitchParameter', switch: true, description: 'Adds every accepted domain to the names (without -Services: SMTP only).' },
      { name: 'IncludeAutoDiscover', typeName: 'SwitchParameter', switch: true, description: 'Adds autodiscover.<domain> for every accepted domain.' },
      { name: 'Force', typeName: 'SwitchParameter', switch: true, description: 'Replaces the default SMTP certificate without asking.' },
      { name: 'GenerateRequest', typeName: 'SwitchParameter', switch: true, description: 'Creates a PKCS #10 certificate request (output as text) and a pending request on the server, completed by Import-ExchangeCertificate.' },
      { name: 'RequestFile', typeName: 'String', description: 'With -GenerateRequest: also write the request to this file.' },
      { name: 'BinaryEncoded', typeName: 'SwitchParameter', switch: true, description: 'With -GenerateRequest -RequestFile: write the request in DER instead of Base64 text.' },
      serverParameter,
    ],
    examples: [
      {
        code: 'New-ExchangeCertificate -SubjectName "CN=mail.contoso.com, O=Contoso" -DomainName autodiscover.contoso.com -Services SMTP -Force',
        remarks: 'A self-signed certificate for mail.contoso.com and autodiscover.contoso.com, enabled for SMTP and made the default SMTP certificate.',
      },
      { code: 'New-ExchangeCertificate -GenerateRequest -SubjectName "CN=mail.contoso.com" -DomainName mail.contoso.com -RequestFile C:\\req.txt', remarks: 'A certificate request for a certification authority.' },
    ],
    async invoke(args, inv) {
      const server = resolveServer(ctx, args);
      const serverObj = server === ctx.name ? null : ctx.repo.list(serverSchema).find((s) => String(s.values.Name) === server);
      const serverFqdn = serverObj ? String(serverObj.values.Fqdn) : ctx.fqdn;
      const request = args.get('GenerateRequest') === true;
      if (request && args.has('Services')) throw invalidOperation('-Services cannot be used with -GenerateRequest: enable services with Enable-ExchangeCertificate after importing the issued certificate.', 'Services');
      if (!request && (args.has('RequestFile') || args.get('BinaryEncoded') === true)) throw invalidOperation('-RequestFile and -BinaryEncoded apply only with -GenerateRequest.', args.has('RequestFile') ? 'RequestFile' : 'BinaryEncoded');
      if (args.get('BinaryEncoded') === true && !args.has('RequestFile')) throw invalidOperation('-BinaryEncoded needs -RequestFile: the binary request is written to that file.', 'BinaryEncoded');

      const given = (args.get('DomainName') as string[] | undefined) ?? [];
      let subject = args.get('SubjectName') as string | undefined;
      const extra: string[] = [];
      if (args.get('IncludeServerFQDN') === true) extra.push(serverFqdn);
      if (args.get('IncludeServerNetBIOSName') === true) extra.push(server);
      if (args.get('IncludeAcceptedDomains') === true || args.get('IncludeAutoDiscover') === true) {
        for (const d of ctx.repo.list(acceptedDomainSchema)) {
          const name = String((d.values.DomainName as { toString(): string } | undefined)?.toString() ?? '').replace(/^\*\./, '');
          if (!name) continue;
          if (args.get('IncludeAcceptedDomains') === true) extra.push(name);
          if (args.get('IncludeAutoDiscover') === true) extra.push(`autodiscover.${name}`);
        }
      }
      let domains: string[];
      if (!subject && given.length === 0 && extra.length === 0) {
        subject = `CN=${server}`;
        domains = [server, serverFqdn];
      } else {
        subject ??= `CN=${given[0] ?? extra[0]}`;
        domains = [commonName(subject)!, ...given, ...extra];
      }
      const seen = new Set<string>();
      domains = domains.filter((d) => !seen.has(d.toLowerCase()) && seen.add(d.toLowerCase()) !== undefined);
      const services = request ? [] : args.has('Services') ? (args.get('Services') as string[]) : args.get('IncludeAcceptedDomains') === true ? ['SMTP'] : ['IMAP', 'POP', 'SMTP'];
      const keySize = (args.get('KeySize') as number | undefined) ?? 2048;
      const common = {
        FriendlyName: (args.get('FriendlyName') as string | undefined) ?? 'Microsoft Exchange',
        PrivateKeyExportable: args.get('PrivateKeyExportable') === true,
        CertificateDomains: domains,
      };

      if (request) {
        if (!(await inv.shouldProcess(subject, 'Creating certificate request'))) return [];
        const req = await generateCertificateRequest({ subject, domains, keySize });
        const obj = newModelObject(certificateSchema, server, {
          ...common,
          Name: req.thumbprint,
          Subject: subject,
          Issuer: subject,
          Services: 'None',
          IsSelfSigned: false,
          CertificatePem: null,
          CertificateRequest: req.requestPem,
          PrivateKey: req.privateKeyPem,
        });
        if (args.has('RequestFile')) {
          const path = resolve(String(args.get('RequestFile')));
          try {
            writeFileSync(path, args.get('BinaryEncoded') === true ? req.requestDer : req.requestPem, { flag: 'wx' });
          } catch (err) {
            throw invalidOperation(`The request could not be written to ${path}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file already exists' : (err as Error).message}.`, 'RequestFile');
          }
        }
        insertObject(ctx, obj);
        return [req.requestPem.trimEnd()];
      }

      if (!(await inv.shouldProcess(subject, 'Creating self-signed certificate'))) return [];
      const cert = await generateSelfSignedCertificate({ subject, domains, keySize });
      const obj = newModelObject(certificateSchema, server, {
        ...common,
        Name: cert.thumbprint,
        Subject: subject,
        Issuer: subject,
        Services: servicesText(services),
        IsSelfSigned: true,
        NotBefore: cert.notBefore,
        NotAfter: cert.notAfter,
        CertificatePem: cert.certificatePem,
        PrivateKey: cert.privateKeyPem,
      });
      const makeDefault = services.includes('SMTP') && (await replaceDefault(ctx, inv, obj, certificatesOf(ctx, server), args.get('Force') === true));
      ctx.repo.transaction(() => {
        if (makeDefault) markDefault(ctx, server, obj);
        if (services.includes('IIS')) takeIis(ctx, server, obj);
        insertObject(ctx, obj);
      });
      return [toOutput(obj, new Date())];
    },
  };
}

function importCertificateCommand(ctx: ServerContext): CommandSpec {
  return {
    name: 'Import-ExchangeCertificate',
    synopsis: 'Imports a certificate (with its private key and chain) from PEM text, a .cer/.p7b file or a password-protected .pfx/.p12 file.',
    description: 'Import does not enable services: use Enable-ExchangeCertificate -Services SMTP afterwards. A certificate issued for a pending request (New-ExchangeCertificate -GenerateRequest) completes that request.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    defaultParameterSet: 'FileData',
    parameters: [
      { name: 'FileData', typeName: 'Byte[]', sets: ['FileData'], mandatory: ['FileData'], description: "The file contents: ([System.IO.File]::ReadAllBytes('path')) or PEM text.", convert: convertFileData },
      { name: 'FileName', typeName: 'String', sets: ['FileName'], mandatory: ['FileName'], description: 'Path of the certificate file on the server.' },
      { name: 'Password', typeName: 'SecureString', description: "Password of a .pfx/.p12 file or an encrypted PEM key: (ConvertTo-SecureString 'password' -AsPlainText -Force).", convert: convertSecure },
      { name: 'PrivateKeyExportable', typeName: 'Boolean', defaultValue: 'False', description: 'Whether the private key may be exported.', convert: convertBool },
      { name: 'FriendlyName', typeName: 'String', description: 'Friendly name (default: the one in the file, else "Microsoft Exchange").' },
      serverParameter,
    ],
    examples: [
      {
        code: "Import-ExchangeCertificate -FileName /etc/ssl/mail.pfx -Password (ConvertTo-SecureString 'p@ss' -AsPlainText -Force)",
        remarks: 'Imports a certificate with its private key; then Enable-ExchangeCertificate <thumbprint> -Services SMTP.',
      },
    ],
    async invoke(args, inv) {
      const server = resolveServer(ctx, args);
      let data: Buffer;
      if (args.has('FileName')) {
        const path = resolve(String(args.get('FileName')));
        try {
          data = readFileSync(path);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw invalidOperation(`The file ${path} could not be read: ${code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : (err as Error).message}.`, 'FileName');
        }
      } else {
        data = args.get('FileData') as Buffer;
      }
      const password = args.has('Password') ? (args.get('Password') as SecureString).reveal() : null;
      let imported;
      try {
        imported = readCertificateData(data, password);
      } catch (err) {
        if (err instanceof ImportError) {
          if (err.kind === 'password' && password !== null && /not correct/.test(err.message)) {
            throw new CmdletError(`The PFX file you're trying to import requires either a different password or membership in an Active Directory group that has permissions to access the private key: ${err.message}`, {
              reason: 'InvalidOperationException',
              parameter: 'Password',
            });
          }
          throw new CmdletError(`Cannot import the certificate: ${err.message}`, { reason: 'InvalidOperationException', parameter: err.kind === 'password' ? 'Password' : args.has('FileName') ? 'FileName' : 'FileData' });
        }
        throw err;
      }
      const info = describeCertificate(imported.certificate);
      const existing = certificatesOf(ctx, server);
      if (existing.some((c) => String(c.values.Name) === info.thumbprint)) {
        throw new CmdletError(`The certificate with thumbprint ${info.thumbprint} already exists on server ${server}.`, { reason: 'InvalidOperationException' });
      }
      let keyPem = imported.privateKey ? String(imported.privateKey.export({ type: 'pkcs8', format: 'pem' })) : null;
      // A certificate issued for one of our requests completes it: the key stays on the server.
      const pending = keyPem
        ? undefined
        : existing.filter(isPending).find((p) => {
            try {
              const key = ctx.repo.openSecret(String(p.values.PrivateKey), `${p.schema.typeName}/${p.guid}/PrivateKey`);
              return imported.certificate.checkPrivateKey(createPrivateKey(key));
            } catch {
              return false;
            }
          });
      if (pending) keyPem = ctx.repo.openSecret(String(pending.values.PrivateKey), `${pending.schema.typeName}/${pending.guid}/PrivateKey`);
      if (!(await inv.shouldProcess(info.thumbprint, 'Importing certificate'))) return [];
      const obj = newModelObject(certificateSchema, server, {
        Name: info.thumbprint,
        Subject: info.subject,
        Issuer: info.issuer,
        CertificateDomains: info.domains,
        Services: 'None',
        IsSelfSigned: info.isSelfSigned,
        NotBefore: info.notBefore,
        NotAfter: info.notAfter,
        CertificatePem: imported.certificate.toString(),
        PrivateKey: keyPem,
        ChainPem: imported.chain.length ? imported.chain.map((c) => c.toString()).join('') : null,
        FriendlyName: (args.get('FriendlyName') as string | undefined) ?? (pending?.values.FriendlyName as string | undefined) ?? imported.friendlyName ?? 'Microsoft Exchange',
        PrivateKeyExportable: args.has('PrivateKeyExportable') ? args.get('PrivateKeyExportable') === true : pending?.values.PrivateKeyExportable === true,
      });
      ctx.repo.transaction(() => {
        if (pending) ctx.repo.remove(pending);
        insertObject(ctx, obj);
      });
      return [toOutput(obj, new Date())];
    },
  };
}

function enableCertificateCommand(ctx: ServerContext): CommandSpec {
  return {
    name: 'Enable-ExchangeCertificate',
    synopsis: 'Enables a certificate for services (added to those it has). SMTP makes it a candidate for STARTTLS on the Receive connectors whose Fqdn it covers.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      thumbprintParameter(true),
      {
        name: 'Services',
        typeName: 'AllowedServices',
        mandatory: true,
        description: 'Services to add: None, IMAP, POP, UM, IIS, SMTP, Federation, UMCallRouter. SMTP (STARTTLS) and IIS (the management endpoint, one certificate at a time) have an effect here.',
        convert: parseServices,
      },
      { name: 'Force', typeName: 'SwitchParameter', switch: true, description: 'Replaces the default SMTP certificate without asking.' },
      serverParameter,
    ],
    examples: [{ code: 'Enable-ExchangeCertificate 8490765C4C47D81A1E2F46BEBB98EF9084A3B11C -Services SMTP -Force', remarks: 'Enables the certificate for SMTP and makes it the default SMTP certificate.' }],
    async invoke(args, inv) {
      const server = resolveServer(ctx, args);
      const obj = findCertificate(ctx, server, String(args.get('Thumbprint')));
      const add = args.get('Services') as string[];
      const t = String(obj.values.Name);
      if (isPending(obj)) throw invalidOperation(`The certificate ${t} is a pending request: import the certificate the certification authority issued (Import-ExchangeCertificate) before enabling it.`);
      const now = new Date();
      const info = infoOf(obj);
      if (add.length > 0 && info && (now < info.notBefore || now > info.notAfter)) {
        throw invalidOperation(`The certificate ${t} is not valid now (valid from ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}) and can't be enabled.`);
      }
      for (const service of ['SMTP', 'IIS']) {
        if (add.includes(service) && !hasPrivateKey(obj)) {
          throw invalidOperation(`The certificate ${t} has no private key, so it can't be enabled for ${service}. Import it with its private key (a .pfx file, or PEM text with the key).`);
        }
      }
      const before = servicesOf(obj);
      const after = new Set([...before, ...add.map((s) => s.toUpperCase())]);
      if (add.includes('SMTP') && !usableForTls({ ...obj, values: { ...obj.values, Services: 'SMTP' } }, now)) {
        inv.warn(`The certificate ${t} is enabled for SMTP but STARTTLS can't use it: it needs an RSA key of at least 1024 bits and must allow Server Authentication.`);
      }
      if (!(await inv.shouldProcess(t, `Enabling certificate for ${servicesText(after)}`))) return [];
      const newSmtp = add.includes('SMTP') && !before.has('SMTP');
      const makeDefault = newSmtp && (await replaceDefault(ctx, inv, obj, certificatesOf(ctx, server), args.get('Force') === true));
      ctx.repo.transaction(() => {
        obj.values.Services = servicesText(after);
        if (makeDefault) markDefault(ctx, server, obj);
        if (add.includes('IIS')) takeIis(ctx, server, obj);
        ctx.repo.update(obj);
      });
      const covered = tlsConnectors(ctx, server).filter((c) => !c.tlsName && coversName(obj, c.name));
      if (add.includes('SMTP') && covered.length === 0) {
        inv.warn(`No Receive connector of ${server} has an Fqdn this certificate covers (${((obj.values.CertificateDomains as string[]) ?? []).join(', ')}); STARTTLS uses it only for a matching Fqdn.`);
      }
      return [];
    },
  };
}

function removeCertificateCommand(ctx: ServerContext): CommandSpec {
  return {
    name: 'Remove-ExchangeCertificate',
    synopsis: 'Removes a certificate and its private key from the server. Refused while a Receive connector would be left without a STARTTLS certificate.',
    supportsShouldProcess: true,
    confirmImpact: 'High',
    parameters: [thumbprintParameter(true), serverParameter],
    examples: [{ code: 'Remove-ExchangeCertificate 8490765C4C47D81A1E2F46BEBB98EF9084A3B11C -Confirm:$false', remarks: 'Removes the certificate without asking.' }],
    async invoke(args, inv) {
      const server = resolveServer(ctx, args);
      const obj = findCertificate(ctx, server, String(args.get('Thumbprint')));
      const t = String(obj.values.Name);
      const check = () => {
        const all = certificatesOf(ctx, server);
        const rest = all.filter((c) => c.guid !== obj.guid);
        const now = new Date();
        for (const rc of tlsConnectors(ctx, server)) {
          const selected = smtpCandidates(all, rc.name, rc.tlsName, now)[0];
          if (selected?.guid !== obj.guid || smtpCandidates(rest, rc.name, rc.tlsName, now).length > 0) continue;
          const why = rc.tlsName ? `its TlsCertificateName is ${rc.tlsName}` : `its Fqdn is ${rc.name}`;
          throw invalidOperation(
            `The certificate ${t} can't be removed: Receive connector "${rc.id}" uses it for STARTTLS (${why}) and no other certificate of ${server} would take its place. First create or import a certificate for ${rc.name} and enable it for SMTP, or change the connector's ${rc.tlsName ? 'TlsCertificateName' : 'Fqdn'}.`,
          );
        }
      };
      check();
      if (!(await inv.shouldProcess(t, 'Removing certificate'))) return [];
      ctx.repo.transaction(() => {
        check();
        const current = ctx.repo.get(certificateSchema, obj.guid);
        if (current) ctx.repo.remove(current);
      });
      return [];
    },
  };
}

function getCertificateCommand(ctx: ServerContext): CommandSpec {
  return {
    name: 'Get-ExchangeCertificate',
    synopsis: 'Lists the certificates of a server: thumbprint, services, subject and the names they are valid for.',
    description: 'With -DomainName, the certificates valid for all the names given; the first one listed is the one STARTTLS would use for that name.',
    parameters: [
      { ...thumbprintParameter(false), description: 'Only the certificate with this thumbprint.' },
      {
        name: 'DomainName',
        typeName: 'MultiValuedProperty',
        description: "Only certificates valid for these names (e.g. a Receive connector's Fqdn).",
        convert: (v) =>
          (Array.isArray(v) ? v : [v])
            .flatMap((x) => String(x).split(','))
            .map((s) => s.trim())
            .filter((s) => s !== ''),
      },
      serverParameter,
    ],
    invoke(args) {
      const server = resolveServer(ctx, args);
      const now = new Date();
      let found = certificatesOf(ctx, server);
      if (args.has('Thumbprint')) {
        const t = String(args.get('Thumbprint'));
        found = [findCertificate(ctx, server, t)];
      }
      if (args.has('DomainName')) {
        const names = args.get('DomainName') as string[];
        found = found.filter((c) => names.every((n) => coversName(c, n)));
        const ranked = names.length ? smtpCandidates(found, names[0], null, now) : [];
        found = [...ranked, ...found.filter((c) => !ranked.includes(c))];
      }
      return found.map((c) => toOutput(c, now));
    },
  };
}

export function certificateCommands(ctx: ServerContext): CommandSpec[] {
  return [getCertificateCommand(ctx), newCertificateCommand(ctx), importCertificateCommand(ctx), enableCertificateCommand(ctx), removeCertificateCommand(ctx)];
}

export const certificateViews: ObjectView[] = [
  {
    typeName: 'ExchangeCertificate',
    display: 'table',
    table: [{ property: 'Thumbprint', width: 41 }, { property: 'ServicesMask', label: 'Services', width: 10 }, { property: 'Subject' }],
  },
];
