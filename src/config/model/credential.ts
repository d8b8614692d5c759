// A credential kept in a configuration object (Send connector
// AuthenticationCredential). It arrives from the shell as a PSCredential and is
// stored as the user name plus the password sealed under the master key; it
// always displays as "System.Management.Automation.PSCredential" and the
// password is opened only by the code that authenticates with it.

import type { SecretSealer } from '../schema.js';
import { ValueError } from '../types/value-error.js';

interface CredentialLike {
  UserName: string;
  Password: { reveal(): string };
}

function isCredentialLike(v: unknown): v is CredentialLike {
  if (v === null || typeof v !== 'object') return false;
  const c = v as { UserName?: unknown; Password?: unknown };
  return typeof c.UserName === 'string' && c.Password !== null && typeof c.Password === 'object' && typeof (c.Password as { reveal?: unknown }).reveal === 'function';
}

export class StoredCredential {
  readonly userName: string;
  readonly #plain: string | undefined;
  /** The sealed password as stored ("v1:..."), once stored or loaded. */
  readonly sealed: string | undefined;

  private constructor(userName: string, plain: string | undefined, sealed: string | undefined) {
    this.userName = userName;
    this.#plain = plain;
    this.sealed = sealed;
  }

  /** The shell's value for -AuthenticationCredential: only a PSCredential is accepted. */
  static parseShellValue(input: unknown): StoredCredential {
    if (input instanceof StoredCredential) return input;
    if (isCredentialLike(input)) {
      if (input.UserName.trim() === '') throw new ValueError('The credential has an empty user name.');
      return new StoredCredential(input.UserName, input.Password.reveal(), undefined);
    }
    const shown = typeof input === 'string' ? input : String(input);
    const type = typeof input === 'string' ? 'System.String' : Array.isArray(input) ? 'System.Object[]' : 'System.Object';
    throw new ValueError(
      `Cannot convert the "${shown}" value of type "${type}" to type "System.Management.Automation.PSCredential". ` + 'Credentials are not accepted as plain text: create a PSCredential first, e.g. $cred = Get-Credential.',
    );
  }

  static fromStored(stored: unknown): StoredCredential {
    const s = stored as { userName?: unknown; password?: unknown } | null;
    if (!s || typeof s.userName !== 'string' || typeof s.password !== 'string') throw new ValueError('stored credential is damaged');
    return new StoredCredential(s.userName, undefined, s.password);
  }

  toStored(secrets: SecretSealer): { userName: string; password: string } {
    if (this.sealed !== undefined) return { userName: this.userName, password: this.sealed };
    if (this.#plain === undefined) throw new Error('credential has neither a password nor a sealed password');
    return { userName: this.userName, password: secrets.seal(this.#plain, secrets.purpose) };
  }

  toString(): string {
    return 'System.Management.Automation.PSCredential';
  }

  toJSON(): string {
    return 'System.Management.Automation.PSCredential';
  }
}
