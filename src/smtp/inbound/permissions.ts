// Receive connector permissions (spec exchange-connectors.md §5.1): the
// PermissionGroups of a connector grant rights to security principals; a
// session's rights are the union of the grants to every principal it is
// (an authenticated member of "Exchange Servers" is also an authenticated
// user). The rights then decide MAIL, RCPT and what headers survive.

export type Right =
  | 'Submit'
  | 'AcceptAnyRecipient'
  | 'AcceptAnySender'
  | 'AcceptAuthoritativeDomainSender'
  | 'AcceptAuthenticationFlag'
  | 'AcceptRoutingHeaders'
  | 'AcceptOrganizationHeaders'
  | 'AcceptForestHeaders'
  | 'BypassAntiSpam'
  | 'BypassMessageSizeLimit';

/** Who the session is, as far as permissions go. */
export type Principal = { kind: 'anonymous' } | { kind: 'user'; name: string; exchangeServer: boolean; accountGuid?: string } | { kind: 'externallySecured' };

const ANONYMOUS: Right[] = ['Submit', 'AcceptAnySender', 'AcceptAuthoritativeDomainSender', 'AcceptRoutingHeaders'];
const EXCHANGE_USERS: Right[] = ['Submit', 'AcceptAnyRecipient', 'AcceptRoutingHeaders', 'BypassAntiSpam'];
const EXCHANGE_SERVERS: Right[] = [
  'Submit',
  'AcceptAnyRecipient',
  'AcceptAnySender',
  'AcceptAuthoritativeDomainSender',
  'AcceptAuthenticationFlag',
  'AcceptRoutingHeaders',
  'AcceptOrganizationHeaders',
  'AcceptForestHeaders',
  'BypassAntiSpam',
  'BypassMessageSizeLimit',
];
const EXTERNALLY_SECURED: Right[] = ['Submit', 'AcceptAnyRecipient', 'AcceptAnySender', 'AcceptAuthoritativeDomainSender', 'AcceptAuthenticationFlag', 'AcceptRoutingHeaders', 'BypassAntiSpam', 'BypassMessageSizeLimit'];

export function rightsFor(permissionGroups: readonly string[], principal: Principal): Set<Right> {
  const groups = new Set(permissionGroups);
  const rights = new Set<Right>();
  const grant = (list: Right[]) => list.forEach((r) => rights.add(r));
  switch (principal.kind) {
    case 'anonymous':
      if (groups.has('AnonymousUsers')) grant(ANONYMOUS);
      break;
    case 'user':
      if (groups.has('ExchangeUsers')) grant(EXCHANGE_USERS);
      if (principal.exchangeServer && groups.has('ExchangeServers')) grant(EXCHANGE_SERVERS);
      break;
    case 'externallySecured':
      if (groups.has('ExchangeServers')) grant(EXTERNALLY_SECURED);
      break;
  }
  return rights;
}

export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'anonymous':
      return 'Anonymous';
    case 'externallySecured':
      return 'Externally Secured';
    case 'user':
      return p.exchangeServer ? `${p.name} (Exchange Servers)` : p.name;
  }
}
