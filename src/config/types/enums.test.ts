import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcceptedDomainType,
  AuthMechanisms,
  DNSProtocolOption,
  defineEnum,
  defineFlags,
  ErrorPolicies,
  ExtendedProtectionPolicy,
  MessageRateSource,
  PermissionGroups,
  ProtocolLoggingLevel,
  ReceiveConnectorUsageType,
  SendConnectorUsageType,
  ServerRole,
  SizeMode,
  SmartHostAuthMechanism,
  TlsAuthLevel,
  TransportRole,
} from './enums.js';
import { ValueError } from './value-error.js';

test('single enums: case-insensitive match to the canonical name', () => {
  assert.equal(SendConnectorUsageType.parse('internet'), 'Internet');
  assert.equal(SendConnectorUsageType.parse(' PARTNER '), 'Partner');
  assert.equal(SendConnectorUsageType.parse(['Custom']), 'Custom');
  assert.equal(ReceiveConnectorUsageType.parse('client'), 'Client');
  assert.equal(SmartHostAuthMechanism.parse('basicauthrequiretls'), 'BasicAuthRequireTLS');
  assert.equal(TlsAuthLevel.parse('domainvalidation'), 'DomainValidation');
  assert.equal(ProtocolLoggingLevel.parse('verbose'), 'Verbose');
  assert.equal(SizeMode.parse('enabledwithoutvalue'), 'EnabledWithoutValue');
  assert.equal(AcceptedDomainType.parse('internalrelay'), 'InternalRelay');
  assert.equal(ServerRole.parse('edge'), 'Edge');
  assert.equal(DNSProtocolOption.parse('usetcponly'), 'UseTcpOnly');
  assert.equal(ExtendedProtectionPolicy.parse('require'), 'Require');
  assert.equal(TransportRole.parse('frontendtransport'), 'FrontendTransport');
  assert.ok(SendConnectorUsageType.is('Internal'));
  assert.ok(!SendConnectorUsageType.is('internal'));
  assert.deepEqual(SendConnectorUsageType.values, ['Custom', 'Internal', 'Internet', 'Partner']);
});

test('single enums: PowerShell conversion error listing the names', () => {
  assert.throws(() => SendConnectorUsageType.parse('Foo'), {
    name: 'ValueError',
    message:
      'Cannot convert value "Foo" to type "Microsoft.Exchange.Data.Directory.SystemConfiguration.UsageType". Error: "Unable to match the identifier name Foo to a valid enumerator name. Specify one of the following enumerator names and try again:\nCustom, Internal, Internet, Partner"',
  });
  assert.throws(() => SmartHostAuthMechanism.parse('BasicAuth,Tls'), /identifier name BasicAuth,Tls/);
  assert.throws(() => SmartHostAuthMechanism.parse('Tls'), /try again:\nNone, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative"$/);
  assert.throws(() => TlsAuthLevel.parse(''), ValueError);
  assert.throws(() => TlsAuthLevel.parse(1), ValueError);
  assert.throws(() => TlsAuthLevel.parse(['A', 'B']), ValueError);
});

test('flags: arrays or comma text, declared order, duplicates removed', () => {
  assert.deepEqual(AuthMechanisms.parse('Tls,BasicAuth'), ['Tls', 'BasicAuth']);
  assert.deepEqual(AuthMechanisms.parse('ExchangeServer, tls,BASICAUTH,BasicAuthRequireTLS,Tls'), ['Tls', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer']);
  assert.deepEqual(AuthMechanisms.parse(['Tls', 'ExchangeServer,Tls']), ['Tls', 'ExchangeServer']);
  assert.deepEqual(AuthMechanisms.parse([]), []);
  assert.deepEqual(AuthMechanisms.parse('None'), ['None']);
  assert.deepEqual(AuthMechanisms.parse('None,Tls'), ['None', 'Tls']); // combination rules are the caller's
  assert.throws(() => AuthMechanisms.parse('Tls,Kerberos'), {
    message:
      'Cannot convert value "Tls,Kerberos" to type "Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms". Error: "Unable to match the identifier name Kerberos to a valid enumerator name. Specify one of the following enumerator names and try again:\nNone, Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative"',
  });
  assert.throws(() => AuthMechanisms.parse('Tls,,BasicAuth'), ValueError);
  assert.throws(() => AuthMechanisms.parse([1]), ValueError);
});

test('flags display matches the defaults the spec shows', () => {
  const fmt = (t: typeof AuthMechanisms, v: string) => t.format(t.parse(v));
  assert.equal(fmt(AuthMechanisms, 'Tls,BasicAuth,BasicAuthRequireTLS,ExchangeServer'), 'Tls, BasicAuth, BasicAuthRequireTLS, ExchangeServer');
  assert.equal(fmt(AuthMechanisms, 'ExchangeServer,Tls'), 'Tls, ExchangeServer');
  assert.equal(fmt(AuthMechanisms, 'Tls,BasicAuth,BasicAuthRequireTLS,ExchangeServer,Integrated'), 'Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer');
  assert.equal(AuthMechanisms.format([]), 'None');
  assert.equal(PermissionGroups.format(PermissionGroups.parse('Partners,AnonymousUsers,ExchangeServers')), 'AnonymousUsers, ExchangeServers, Partners');
  assert.equal(PermissionGroups.format(PermissionGroups.parse('ExchangeLegacyServers,ExchangeServers')), 'ExchangeServers, ExchangeLegacyServers');
  assert.equal(PermissionGroups.format([]), 'None');
  assert.equal(ErrorPolicies.format([]), 'Default');
  assert.equal(ErrorPolicies.format(ErrorPolicies.parse('UpgradeCustomFailures,DowngradeDnsFailures')), 'DowngradeDnsFailures, UpgradeCustomFailures');
});

test('MessageRateSource: All stands for User and IPAddress', () => {
  assert.deepEqual(MessageRateSource.parse('User,IPAddress'), ['All']);
  assert.deepEqual(MessageRateSource.parse('all'), ['All']);
  assert.deepEqual(MessageRateSource.parse('All,User'), ['All']);
  assert.deepEqual(MessageRateSource.parse('IPAddress'), ['IPAddress']);
  assert.equal(MessageRateSource.format(['User', 'IPAddress']), 'All');
  assert.equal(MessageRateSource.format([]), 'None');
  assert.ok(MessageRateSource.has(['All'], 'User'));
  assert.ok(MessageRateSource.has(['All'], 'IPAddress'));
  assert.ok(MessageRateSource.has(['User'], 'User'));
  assert.ok(!MessageRateSource.has(['User'], 'IPAddress'));
});

test('flags round-trip through JSON and display text', () => {
  const set = AuthMechanisms.parse('Tls,ExchangeServer');
  assert.deepEqual(AuthMechanisms.parse(JSON.parse(JSON.stringify(set))), set);
  assert.deepEqual(AuthMechanisms.parse(AuthMechanisms.format(set)), set);
});

test('defineEnum / defineFlags for new types', () => {
  const Color = defineEnum('Test.Color', ['Red', 'Green']);
  assert.equal(Color.parse('green'), 'Green');
  assert.equal(Color.typeName, 'Test.Color');
  const Perm = defineFlags('Test.Perm', ['None', 'Read', 'Write'], { zero: 'None' });
  assert.equal(Perm.format(Perm.parse('write,read')), 'Read, Write');
  assert.equal(Perm.zero, 'None');
  const NoZero = defineFlags('Test.X', ['A', 'B']);
  assert.equal(NoZero.format([]), '');
});
