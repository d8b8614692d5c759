// Export-ExchangeCertificate: a server's certificate (or pending request)
// written out as Exchange 2013 does: with -Password, a PKCS #12 (.pfx) file
// holding the certificate, its chain and its private key (only when the key
// was made or imported exportable); without, the certificate alone. Base64
// text by default, DER with -BinaryEncoded. With -FileName the file is
// written (never over an existing one); otherwise the data is the output.

import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { certificateSchema } from '../config/model/certificate.js';
import { serverSchema } from '../config/model/server.js';
import { ConversionError, type BoundArguments, type CommandSpec } from '../shell/command.js';
import { CmdletError, PSObject, SecureString } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import { hasPrivateKey, isPending } from '../tls/certificate-selection.js';
import { writePkcs12 } from '../tls/pkcs12-write.js';
import { invalidOperation, notFound } from './errors.js';
import type { ServerContext } from './server-context.js';

function thumbprintOf(v: unknown): string {
  const t = String(v instanceof PSObject ? v.get('Thumbprint') : v)
    .replace(/[\s:]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(t)) throw new ConversionError(`"${String(v)}" is not a certificate thumbprint: 40 hexadecimal digits, e.g. 8490765C4C47D81A1E2F46BEBB98EF9084A3B11C.`);
  return t;
}

/** Server\Thumbprint (ExchangeCertificateIdParameter) or a certificate piped from Get-ExchangeCertificate. */
function identityOf(v: unknown): { server: string | null; thumbprint: string } {
  if (v instanceof PSObject) return { server: v.get('Server') ? String(v.get('Server')) : null, thumbprint: thumbprintOf(v.get('Thumbprint')) };
  const text = String(v);
  const slash = text.lastIndexOf('\\');
  return slash < 0 ? { server: null, thumbprint: thumbprintOf(text) } : { server: text.slice(0, slash), thumbprint: thumbprintOf(text.slice(slash + 1)) };
}

function serverName(ctx: ServerContext, given: string | null): string {
  if (given === null) return ctx.name;
  const s = given.toLowerCase();
  if (s === ctx.name.toLowerCase() || s === ctx.fqdn.toLowerCase()) return ctx.name;
  const found = ctx.repo.list(serverSchema).find((o) => String(o.values.Name).toLowerCase() === s || String(o.values.Fqdn ?? '').toLowerCase() === s);
  if (!found) throw notFound(given, ctx.fqdn);
  return String(found.values.Name);
}

function certificate(ctx: ServerContext, server: string, thumbprint: string): ModelObject {
  const found = ctx.repo.list(certificateSchema).find((c) => c.server.toLowerCase() === server.toLowerCase() && String(c.values.Name).toUpperCase() === thumbprint);
  if (!found) {
    throw new CmdletError(`The certificate with thumbprint ${thumbprint} was not found on server ${server}. Run Get-ExchangeCertificate to list the certificates of the server.`, {
      reason: 'ManagementObjectNotFoundException',
      parameter: 'Thumbprint',
    });
  }
  return found;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** What is exported, as bytes (binary) or Base64 text. */
function exportData(ctx: ServerContext, obj: ModelObject, args: BoundArguments): { data: Buffer | string; kind: 'request' | 'pfx' | 'certificate' } {
  const v = obj.values;
  const binary = args.get('BinaryEncoded') === true;
  const password = args.has('Password') ? (args.get('Password') as SecureString).reveal() : null;
  if (isPending(obj)) {
    if (password !== null)
      throw invalidOperation(`${v.Name} is a pending certificate request: it has no certificate to protect with -Password. Export the request without -Password, or complete it with Import-ExchangeCertificate first.`, 'Password');
    const request = String(v.CertificateRequest);
    return { data: binary ? pemBody(request) : request, kind: 'request' };
  }
  const certificatePem = String(v.CertificatePem);
  const chain = typeof v.ChainPem === 'string' && v.ChainPem.trim() !== '' ? [v.ChainPem] : [];
  if (password === null) {
    return { data: binary ? new X509Certificate(certificatePem).raw : certificatePem.trimEnd() + '\n', kind: 'certificate' };
  }
  if (!hasPrivateKey(obj)) throw invalidOperation(`The certificate ${v.Name} has no private key on ${obj.server}: only the certificate can be exported (without -Password).`, 'Password');
  if (v.PrivateKeyExportable !== true) {
    throw invalidOperation(
      `The private key of certificate ${v.Name} isn't exportable. It was created or imported with -PrivateKeyExportable $false; export the certificate alone (without -Password), or create a new certificate with -PrivateKeyExportable $true.`,
      'Password',
    );
  }
  if (password === '') throw invalidOperation('The password for the exported private key cannot be empty.', 'Password');
  const privateKeyPem = ctx.repo.openSecret(String(v.PrivateKey), `${certificateSchema.typeName}/${obj.guid}/PrivateKey`);
  const pfx = writePkcs12({ certificatesPem: [certificatePem, ...chain], privateKeyPem, friendlyName: String(v.FriendlyName ?? 'Microsoft Exchange'), password });
  return { data: binary ? pfx : pfx.toString('base64'), kind: 'pfx' };
}

export function exportCertificateCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Export-ExchangeCertificate',
      synopsis: 'Exports a certificate or a pending certificate request: with -Password as a .pfx file with the private key, else the certificate alone.',
      supportsShouldProcess: true,
      confirmImpact: 'Low',
      defaultParameterSet: 'Thumbprint',
      parameters: [
        {
          name: 'Thumbprint',
          typeName: 'String',
          position: 0,
          sets: ['Thumbprint'],
          mandatory: ['Thumbprint'],
          valueFromPipelineByPropertyName: true,
          description: 'Thumbprint of the certificate (as Get-ExchangeCertificate shows it).',
          convert: thumbprintOf,
        },
        {
          name: 'Identity',
          typeName: 'ExchangeCertificateIdParameter',
          sets: ['Identity'],
          mandatory: ['Identity'],
          valueFromPipeline: true,
          description: 'Server\\Thumbprint, or a certificate from Get-ExchangeCertificate.',
          convert: (v) => v,
        },
        { name: 'Server', typeName: 'ServerIdParameter', sets: ['Thumbprint'], description: 'Server that holds the certificate (default: this server).' },
        { name: 'FileName', typeName: 'String', description: "File to write (relative paths from the shell's working folder); an existing file is not overwritten." },
        { name: 'BinaryEncoded', typeName: 'SwitchParameter', switch: true, description: 'DER instead of Base64 text (use it with -Password for a .pfx file).' },
        {
          name: 'Password',
          typeName: 'SecureString',
          description: "Password protecting the exported private key: (ConvertTo-SecureString 'password' -AsPlainText -Force) or (Get-Credential).Password.",
          convert: (v) => {
            if (v instanceof SecureString) return v;
            throw new ConversionError(
              `Cannot convert the "${String(v)}" value of type "${typeof v === 'string' ? 'System.String' : 'System.Object'}" to type "System.Security.SecureString". Use (ConvertTo-SecureString 'password' -AsPlainText -Force) or (Get-Credential).Password.`,
            );
          },
        },
        { name: 'DomainController', typeName: 'Fqdn', description: 'Not available: Gatehouse has no domain controllers.' },
      ],
      examples: [
        {
          code: 'Export-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75D1D6AFB3C0B1E5AD2D9E4 -FileName mail.pfx -BinaryEncoded -Password (Get-Credential).Password',
          remarks: 'Writes the certificate with its private key to mail.pfx, protected by the password typed at the prompt.',
        },
        { code: 'Get-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75D1D6AFB3C0B1E5AD2D9E4 | Export-ExchangeCertificate -FileName edge01.cer', remarks: 'Writes the certificate alone (Base64), for a partner to import and trust.' },
      ],
      async invoke(args, inv) {
        if (args.has('DomainController')) throw invalidOperation("The parameter -DomainController is not available in Gatehouse: certificates are read from the server's configuration store.", 'DomainController');
        const id = args.has('Identity') ? identityOf(args.get('Identity')) : { server: args.has('Server') ? String(args.get('Server')) : null, thumbprint: String(args.get('Thumbprint')) };
        const server = serverName(ctx, id.server);
        const obj = certificate(ctx, server, id.thumbprint);
        const { data, kind } = exportData(ctx, obj, args);
        const file = args.has('FileName') ? resolve(String(args.get('FileName'))) : null;
        if (!(await inv.shouldProcess(`${server}\\${id.thumbprint}`, file ? `Exporting certificate to ${file}` : 'Exporting certificate'))) return [];
        if (file) {
          try {
            // A file with a private key is readable by its owner only.
            writeFileSync(file, data, { flag: 'wx', mode: kind === 'pfx' ? 0o600 : 0o644 });
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            throw invalidOperation(
              `The file ${file} could not be written: ${code === 'EEXIST' ? 'it already exists (choose another name or remove it first)' : code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' ? 'permission denied' : (err as Error).message}.`,
              'FileName',
            );
          }
          return [];
        }
        return [new PSObject('BinaryFileDataObject', [['FileData', typeof data === 'string' ? data : [...data]]])];
      },
    },
  ];
}
