// The Exchange enumerations and flag sets used by the object schemas, in
// Exchange's declared order (flag sets display in this order).

import { defineEnum, defineFlags as defineFlagType, type FlagsType } from '../types/enums.js';

/** A flag-set value as Exchange displays it: "Tls, BasicAuth" (declared order), stored as the list of names. */
export class FlagSet {
  constructor(
    readonly names: readonly string[],
    private readonly type: FlagsType<string>,
  ) {}
  has(flag: string): boolean {
    return this.type.has(this.names, flag);
  }
  toString(): string {
    return this.type.format(this.names);
  }
  toJSON(): string[] {
    return [...this.names];
  }
}

function defineFlags(typeName: string, values: readonly string[]) {
  const type = defineFlagType(typeName, values);
  return { typeName, values, parse: (input: unknown): FlagSet => (input instanceof FlagSet ? input : new FlagSet(type.parse(input), type)) };
}

export const SendUsageType = defineEnum('Microsoft.Exchange.Management.SystemConfigurationTasks.NewSendConnector+UsageType', ['Custom', 'Internal', 'Internet', 'Partner']);
export const ReceiveUsageType = defineEnum('Microsoft.Exchange.Management.SystemConfigurationTasks.NewReceiveConnector+UsageType', ['Custom', 'Internet', 'Internal', 'Client', 'Partner']);
export const AuthMechanismFlags = defineFlags('Microsoft.Exchange.Data.AuthMechanisms', ['None', 'Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'ExternalAuthoritative']);
export const SmartHostAuthMechanismType = defineEnum('Microsoft.Exchange.Data.SmtpSendConnectorConfig+AuthMechanisms', ['None', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'ExternalAuthoritative']);
export const PermissionGroupFlags = defineFlags('Microsoft.Exchange.Data.PermissionGroups', ['None', 'AnonymousUsers', 'ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers', 'Partners', 'Custom']);
export const TlsAuthLevelType = defineEnum('Microsoft.Exchange.Data.TlsAuthLevel', ['EncryptionOnly', 'CertificateValidation', 'DomainValidation']);
export const ErrorPoliciesFlags = defineFlags('Microsoft.Exchange.Data.ErrorPolicies', ['Default', 'DowngradeDnsFailures', 'DowngradeCustomFailures', 'UpgradeCustomFailures']);
export const ProtocolLoggingLevelType = defineEnum('Microsoft.Exchange.Data.ProtocolLoggingLevel', ['None', 'Verbose']);
export const SizeModeType = defineEnum('Microsoft.Exchange.Data.SizeMode', ['Enabled', 'Disabled', 'EnabledWithoutValue']);
export const MessageRateSourceType = defineEnum('Microsoft.Exchange.Data.MessageRateSourceFlags', ['None', 'User', 'IPAddress', 'All']);
export const AcceptedDomainTypeEnum = defineEnum('Microsoft.Exchange.Data.AcceptedDomainType', ['Authoritative', 'ExternalRelay', 'InternalRelay']);
export const DnsProtocolOptionType = defineEnum('Microsoft.Exchange.Data.ProtocolOption', ['Any', 'UseTcpOnly', 'UseUdpOnly']);
export const ExtendedProtectionPolicyType = defineEnum('Microsoft.Exchange.Data.Directory.SystemConfiguration.ExtendedProtectionPolicySetting', ['None', 'Allow', 'Require']);
export const TransportRoleType = defineEnum('Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole', ['FrontendTransport', 'HubTransport']);
/** Gatehouse's own: the oldest TLS version STARTTLS accepts (Set-TransportService -TlsMinimumVersion). */
export const TlsMinimumVersionType = defineEnum('Gatehouse.TlsMinimumVersion', ['Tls12', 'Tls13']);
