// SmartHost: one entry of a Send connector's SmartHosts: a host name (FQDN or
// single label, as DNS or the hosts file resolves it) or an IPv4/IPv6 literal.
//
// Input: "relay.contoso.com", "mbxserver01", "10.1.1.1", "2001:db8::25", and
// IP literals in brackets "[10.1.1.1]" / "[2001:db8::25]" (the brackets are
// dropped). "--" is the special smart host of EdgeSync inbound connectors
// ("all Mailbox servers of the subscribed site"); whether it is allowed is the
// caller's decision (isAllMailboxServers).
// "host:port" is refused: the port belongs to the connector (-Port).
// Invariants: exactly one of address / hostName is set, except for "--".
// Display and storage form: IP literals without brackets in canonical form
// ("10.1.1.1", "2001:db8::25"); host names as given. Host names compare
// case-insensitively.

import { hostNameProblem } from './domain-name.js';
import { IPAddress } from './ip-address.js';
import { ValueError, inputText } from './value-error.js';

const EXAMPLES = 'Use a host name or an IP address, for example relay.contoso.com or 10.1.1.1.';

function invalid(input: unknown, detail: string): ValueError {
  return new ValueError(`"${inputText(input)}" is not a valid smart host. ${detail} ${EXAMPLES}`, input);
}

function portRefused(input: unknown): ValueError {
  return invalid(input, 'A port cannot be given with a smart host; set the port for the connector with -Port.');
}

export class SmartHost {
  /** The IP literal, when the smart host is an address. */
  readonly address: IPAddress | undefined;
  /** The host name as given, when the smart host is a name ("--" for the special value). */
  readonly hostName: string | undefined;

  private constructor(address: IPAddress | undefined, hostName: string | undefined) {
    this.address = address;
    this.hostName = hostName;
    Object.freeze(this);
  }

  static parse(input: unknown): SmartHost {
    if (input instanceof SmartHost) return input;
    if (input instanceof IPAddress) return new SmartHost(input, undefined);
    if (typeof input !== 'string') throw invalid(input, 'A smart host is text.');
    const text = input.trim();
    if (text === '') throw invalid(input, 'The value is empty.');
    if (text === '--') return new SmartHost(undefined, '--');

    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    if (bracketed) {
      if (bracketed[2] !== undefined) throw portRefused(input);
      const ip = IPAddress.tryParse(bracketed[1]);
      if (!ip) throw invalid(input, 'Only an IP address may be written in brackets.');
      if (ip.zoneId !== undefined) throw invalid(input, 'A zone index is not allowed.');
      return new SmartHost(ip, undefined);
    }

    const ip = IPAddress.tryParse(text);
    if (ip) {
      if (ip.zoneId !== undefined) throw invalid(input, 'A zone index is not allowed.');
      return new SmartHost(ip, undefined);
    }

    const hostPort = /^([^:]+):(\d*)$/.exec(text);
    if (hostPort && (IPAddress.tryParse(hostPort[1]) || !hostNameProblem(hostPort[1]))) throw portRefused(input);

    if (/^[\d.]+$/.test(text)) throw invalid(input, 'It is not a valid IPv4 address (four numbers 0-255 separated by dots).');
    const problem = hostNameProblem(text);
    if (problem) throw invalid(input, problem);
    return new SmartHost(undefined, text);
  }

  get isIpAddress(): boolean {
    return this.address !== undefined;
  }

  /** The special value "--" (all Mailbox servers of the subscribed site). */
  get isAllMailboxServers(): boolean {
    return this.hostName === '--';
  }

  equals(other: unknown): boolean {
    if (!(other instanceof SmartHost)) return false;
    if (this.address || other.address) return !!this.address && !!other.address && this.address.equals(other.address);
    return this.hostName!.toLowerCase() === other.hostName!.toLowerCase();
  }

  toString(): string {
    return this.address ? this.address.toString() : (this.hostName as string);
  }

  toJSON(): string {
    return this.toString();
  }
}
