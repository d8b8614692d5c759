// Certificates made by the openssl command for tests that need what Setup's
// generator does not make: IP address subjectAltNames, and a small CA whose
// leaf certificates chain to it. Each call works in its own temporary folder.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PemPair {
  certificatePem: string;
  privateKeyPem: string;
}

/** subjectAltName entries: host names become DNS:, IP literals IP:. */
function altNames(names: string[]): string {
  return names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
}

function inTemp<T>(run: (dir: string, openssl: (...args: string[]) => void) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-certs-'));
  try {
    return run(dir, (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed server certificate for CN=cn with these names (host names and IP addresses). */
export function selfSigned(cn: string, names: string[]): PemPair {
  return inTemp((dir, openssl) => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '30',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${altNames(names)}`,
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    );
    return { certificatePem: readFileSync(join(dir, 'cert.pem'), 'utf8'), privateKeyPem: readFileSync(join(dir, 'key.pem'), 'utf8') };
  });
}

/** A CA certificate (to import as trusted) and a function that issues server certificates under it. */
export function certificateAuthority(cn: string): PemPair & { issue(leafCn: string, names: string[]): PemPair } {
  const ca = inTemp((dir, openssl) => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    return { certificatePem: readFileSync(join(dir, 'ca.pem'), 'utf8'), privateKeyPem: readFileSync(join(dir, 'ca.key'), 'utf8') };
  });
  const issue = (leafCn: string, names: string[]): PemPair =>
    inTemp((dir, openssl) => {
      writeFileSync(join(dir, 'ca.pem'), ca.certificatePem);
      writeFileSync(join(dir, 'ca.key'), ca.privateKeyPem, { mode: 0o600 });
      writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${altNames(names)}\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n`);
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${leafCn}`);
      openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30', '-extfile', 'ext.cnf');
      return { certificatePem: readFileSync(join(dir, 'leaf.pem'), 'utf8'), privateKeyPem: readFileSync(join(dir, 'leaf.key'), 'utf8') };
    });
  return { ...ca, issue };
}
