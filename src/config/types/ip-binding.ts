// IPBinding: one entry of a Receive connector's Bindings: a local address and
// a TCP port the connector listens on.
//
// Input: "10.1.1.1:25", "0.0.0.0:25", "[::]:25", "[2001:db8::1]:587". IPv6
// addresses must be in brackets; the port is required and must be 1-65535.
// Invariants: the address has no zone index; 0.0.0.0 and [::] are the
// wildcards ("every local address of that family").
// Display (and storage form): "10.1.1.1:25", "0.0.0.0:25", "[::]:25".
// Coverage: 0.0.0.0 covers every IPv4 local address, including IPv4-mapped
// IPv6 ("::ffff:10.1.1.1", how a dual-stack socket reports an IPv4 local
// address); [::] covers every IPv6 local address but not IPv4-mapped ones.

import { IPAddress, type IPFamily } from './ip-address.js';
import { ValueError, inputText } from './value-error.js';

const EXAMPLES = 'Use address:port, for example 10.1.1.1:25, 0.0.0.0:25, [::]:25 or [2001:db8::1]:587.';

function invalid(input: unknown, detail: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid binding. ${detail} ${EXAMPLES}`, input);
}

export class IPBinding {
  readonly address: IPAddress;
  readonly port: number;

  private constructor(address: IPAddress, port: number) {
    this.address = address;
    this.port = port;
    Object.freeze(this);
  }

  static of(address: IPAddress | string, port: number): IPBinding {
    const a = IPAddress.parse(address);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw invalid(`${a}:${port}`, 'The port must be between 1 and 65535.');
    }
    if (a.zoneId !== undefined) throw invalid(`${a}:${port}`, 'A zone index is not allowed in a binding.');
    return new IPBinding(a, port);
  }

  static parse(input: unknown): IPBinding {
    if (input instanceof IPBinding) return input;
    if (typeof input !== 'string') throw invalid(input, 'A binding is an IP address and a port.');
    const text = input.trim();
    let host: string;
    let portText: string | undefined;
    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (bracketed) {
      host = bracketed[1];
      portText = bracketed[2];
      if (IPAddress.tryParse(host)?.family !== 'IPv6') throw invalid(input, 'Only an IPv6 address may be written in brackets.');
    } else {
      const colons = text.split(':').length - 1;
      if (colons > 1) {
        if (IPAddress.tryParse(text)?.family === 'IPv6') {
          throw invalid(input, 'An IPv6 address must be in brackets and followed by a port.');
        }
        throw invalid(input, 'A binding is an IP address and a port.');
      }
      [host, portText] = colons === 1 ? (text.split(':') as [string, string]) : [text, undefined];
    }
    const address = IPAddress.tryParse(host);
    if (!address) throw invalid(input, `"${host}" is not a valid IP address.`);
    if (portText === undefined || portText === '') throw invalid(input, 'A port number is required.');
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw invalid(input, 'The port must be between 1 and 65535.');
    }
    return IPBinding.of(address, Number(portText));
  }

  get family(): IPFamily {
    return this.address.family;
  }

  /** True for 0.0.0.0 and [::] (every local address of the family). */
  get isWildcard(): boolean {
    return this.address.isUnspecified;
  }

  /** Whether a connection accepted on localAddress:localPort belongs to this binding. */
  covers(localAddress: IPAddress | string, localPort: number): boolean {
    if (localPort !== this.port) return false;
    const parsed = IPAddress.tryParse(localAddress);
    if (!parsed) return false;
    const local = parsed.normalized();
    const mine = this.address.normalized();
    if (local.family !== mine.family) return false;
    return this.isWildcard || local.value === mine.value;
  }

  /** Same port and one binding's address covers the other's (equal, or a wildcard of the family). */
  overlaps(other: IPBinding): boolean {
    return this.port === other.port && (this.covers(other.address, other.port) || other.covers(this.address, this.port));
  }

  equals(other: unknown): boolean {
    return other instanceof IPBinding && other.port === this.port && other.address.equals(this.address);
  }

  toString(): string {
    return this.family === 'IPv6' ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
