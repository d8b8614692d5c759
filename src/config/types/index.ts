// Configuration value types: parsing, validation and display of the values
// that Exchange-style cmdlets accept and print. Pure code, no I/O.

export { ValueError, inputText } from './value-error.js';
export { ByteQuantifiedSize, type ByteUnit } from './byte-quantified-size.js';
export { Unlimited } from './unlimited.js';
export { parseInt32, parseIntInRange, INT32_MIN, INT32_MAX } from './int32.js';
export { EnhancedTimeSpan, type SpanBound } from './enhanced-time-span.js';
export { IPAddress, type IPFamily } from './ip-address.js';
export { IPEndpoint } from './ip-endpoint.js';
export { IPRange, type IPRangeForm } from './ip-range.js';
export { IPBinding } from './ip-binding.js';
export { AddressSpace } from './address-space.js';
export { SmtpDomain, SmtpDomainWithSubdomains, Fqdn } from './smtp-domain.js';
export { SmartHost } from './smart-host.js';
export { SmtpAddress } from './smtp-address.js';
export { domainNameProblem, hostNameProblem, normalizeDomain } from './domain-name.js';
export * from './enums.js';

import { IPAddress as _IPAddress } from './ip-address.js';
import { IPEndpoint as _IPEndpoint } from './ip-endpoint.js';
/** Parsers for IPAddress-typed settings: parse() = IPAddress.parse, parseWithPort() = IPEndpoint.parse. */
export const IPAddressValue = Object.freeze({
  parse: (input: unknown): _IPAddress => _IPAddress.parse(input),
  parseWithPort: (input: unknown): _IPEndpoint => _IPEndpoint.parse(input),
});
