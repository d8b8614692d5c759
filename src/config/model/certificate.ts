// An Exchange certificate of one server (the self-signed one Setup creates,
// ones made by New-ExchangeCertificate or imported): the certificate in PEM
// and its private key sealed under the master key. A pending request (from
// New-ExchangeCertificate -GenerateRequest) has CertificateRequest and a key
// but no certificate until Import-ExchangeCertificate completes it.
// Get-ExchangeCertificate shows the public parts only.

import { prop, type ObjectSchema } from '../schema.js';
import { parseString } from './common.js';

const text = (name: string, description: string) => prop({ name, typeName: 'String', description, parse: parseString, settable: 'never', runtime: true });
const flag = (name: string, description: string) => prop({ name, typeName: 'Boolean', description, parse: (v) => v === true, settable: 'never', runtime: true });

export const certificateSchema: ObjectSchema = {
  typeName: 'ExchangeCertificate',
  noun: 'ExchangeCertificate',
  label: 'certificate',
  scope: 'server',
  properties: [
    text('Name', 'Thumbprint (SHA-1 of the certificate, hex).'),
    text('Subject', 'Subject distinguished name.'),
    text('Issuer', 'Issuer distinguished name.'),
    prop({ name: 'CertificateDomains', typeName: 'MultiValuedProperty', multi: true, description: 'Names the certificate is valid for (subject alternative names).', parse: parseString, settable: 'never', runtime: true }),
    text('Services', 'Services the certificate is enabled for.'),
    prop({ name: 'IsSelfSigned', typeName: 'Boolean', description: 'Issued by itself.', parse: (v) => v === true, settable: 'never', runtime: true }),
    prop({ name: 'NotBefore', typeName: 'DateTime', description: 'Start of validity.', parse: (v) => new Date(String(v)), settable: 'never', runtime: true, store: (d) => d.toISOString() }),
    prop({ name: 'NotAfter', typeName: 'DateTime', description: 'End of validity.', parse: (v) => new Date(String(v)), settable: 'never', runtime: true, store: (d) => d.toISOString() }),
    text('CertificatePem', 'The certificate (PEM); empty for a pending request.'),
    text('ChainPem', 'Intermediate CA certificates sent with it (PEM), when imported with a chain.'),
    text('CertificateRequest', 'The PKCS #10 request (PEM) of a pending request.'),
    text('FriendlyName', 'Friendly name (default "Microsoft Exchange").'),
    flag('PrivateKeyExportable', 'The private key may be exported.'),
    flag('DefaultSmtp', "The server's default SMTP certificate (the one that replaced Setup's when SMTP was enabled with the overwrite confirmed)."),
    prop({
      name: 'PrivateKey',
      typeName: 'SecureString',
      description: 'Private key (PKCS#8 PEM), sealed under the master key.',
      parse: parseString,
      settable: 'never',
      runtime: true,
      secret: true,
      store: (v, secrets) => (v.startsWith('v1:') ? v : secrets.seal(v, secrets.purpose)),
      load: (v) => String(v),
    }),
  ],
};
