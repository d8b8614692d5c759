// DNS side of outbound delivery: public entry points.

export { MailResolver, MAX_MX_HOSTS, type MailResolverOptions } from './mail-resolver.js';
export type { MailHost, Resolution } from './resolution.js';
export { dnsSettingsFromTransport, nodeServerText, type DnsServer, type DnsSettings, type TransportDnsValues } from './dns-settings.js';
export { classifyDnsError, type ClassifiedDnsError, type DnsErrorClass } from './classify-dns-error.js';
export { HostsFile, parseHostsFile, hostsLookup } from './hosts-file.js';
export { HostAddresses } from './host-addresses.js';
export { orderMx, type MxRecord } from './order-mx.js';
export { NodeDnsLookup, type DnsLookup } from './dns-lookup.js';
