// The Exchange enumerations and flag sets used by the object schemas, in
// Exchange's declared order (flag sets display in this order).

import { defineEnum, defineFlags } from '../types/enums.js';

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
