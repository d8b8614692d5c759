// IPEndpoint: an IP address with an optional port, for lists such as
// ExternalDNSServers / InternalDNSServers ("10.0.0.53", "10.0.0.53:5353",
// "[2001:db8::53]:53", "2001:db8::53").
//
// Input: an IPv4 address with optional ":port"; an IPv6 address bare (no
// port) or in brackets with optional ":port"; an IPAddress instance.
// Invariants: port, when present, is 1-65535; no zone index with a port.
// Display and storage form: "10.0.0.53", "10.0.0.53:5353", "2001:db8::53",
// "[2001:db8::53]:53".

import { IPAddress } from './ip-address.js';
import { ValueError, inputText } from './value-error.js';

function invalid(input: unknown, detail: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid IP address or address:port. ${detail} Examples: 10.0.0.53, 10.0.0.53:53, 2001:db8::53, [2001:db8::53]:53.`, input);
}

export class IPEndpoint {
  readonly address: IPAddress;
  readonly port: number | undefined;

  private constructor(address: IPAddress, port: number | undefined) {
    this.address = address;
    this.port = port;
    Object.freeze(this);
  }

  static parse(input: unknown): IPEndpoint {
    if (input instanceof IPEndpoint) return input;
    if (input instanceof IPAddress) return new IPEndpoint(input, undefined);
    if (typeof input !== 'string') throw invalid(input, 'An address is text.');
    const text = input.trim();
    const bare = IPAddress.tryParse(text);
    if (bare) return new IPEndpoint(bare, undefined);
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(text) ?? /^([^:\[\]]+):(.*)$/.exec(text);
    if (!m) throw invalid(input, 'It is not an IP address.');
    const address = IPAddress.tryParse(m[1]);
    if (!address) throw invalid(input, `"${m[1]}" is not a valid IP address.`);
    if (m[2] === undefined) return new IPEndpoint(address, undefined);
    if (!/^\d{1,5}$/.test(m[2]) || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw invalid(input, 'The port must be between 1 and 65535.');
    }
    return new IPEndpoint(address, Number(m[2]));
  }

  equals(other: unknown): boolean {
    return other instanceof IPEndpoint && other.port === this.port && other.address.equals(this.address);
  }

  toString(): string {
    if (this.port === undefined) return this.address.toString();
    return this.address.family === 'IPv6' ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
