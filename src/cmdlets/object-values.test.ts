// The members the shell shows for the configuration value types.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressSpace, ByteQuantifiedSize, EnhancedTimeSpan, Fqdn, IPRange, SmartHost, Unlimited } from '../config/types/index.js';
import { getMember, invokeMethod, propertyNames, typeNameOf } from '../shell/members.js';
import { StoredCredential } from '../config/model/credential.js';
import { PermissionGroupFlags } from '../config/model/enums.js';
import { RuntimeError } from '../shell/errors.js';
import { PSCredential, SecureString } from '../shell/values.js';
import { registerValueTypes } from './object-values.js';

registerValueTypes();

describe('value types in the shell', () => {
  it('sizes: ToBytes/ToKB/ToMB/ToGB truncate to whole units, as Exchange returns UInt64', () => {
    const size = ByteQuantifiedSize.parse('36.5MB');
    assert.equal(typeNameOf(size), 'Microsoft.Exchange.Data.ByteQuantifiedSize');
    assert.equal(invokeMethod(size, 'ToBytes', []), 38273024);
    assert.equal(invokeMethod(size, 'tokb', []), 37376);
    assert.equal(invokeMethod(size, 'ToMB', []), 36);
    assert.equal(invokeMethod(size, 'ToGB', []), 0);
    assert.deepEqual(propertyNames(size), []);
    assert.throws(
      () => invokeMethod(size, 'ToMB', [1]),
      (e: unknown) => e instanceof RuntimeError && /Cannot find an overload for "ToMB" and the argument count: "1"/.test(e.message),
    );
  });

  it('Unlimited: IsUnlimited and Value, and no size methods of its own', () => {
    const bounded = Unlimited.of(ByteQuantifiedSize.parse('35MB'));
    assert.equal(getMember(bounded, 'IsUnlimited'), false);
    assert.equal(invokeMethod(getMember(bounded, 'Value'), 'ToMB', []), 35);
    assert.match(typeNameOf(bounded), /^Microsoft\.Exchange\.Data\.Unlimited`1\[\[Microsoft\.Exchange\.Data\.ByteQuantifiedSize, Microsoft\.Exchange\.Data, Version=15\.0\.0\.0/);
    assert.match(typeNameOf(Unlimited.of(5)), /Unlimited`1\[\[System\.Int32, mscorlib/);
    const unlimited = Unlimited.unlimited<ByteQuantifiedSize>();
    assert.equal(getMember(unlimited, 'IsUnlimited'), true);
    assert.equal(getMember(unlimited, 'Value'), null);
    assert.throws(() => invokeMethod(bounded, 'ToMB', []), /does not contain a method named 'ToMB'/);
  });

  it('time spans: the TimeSpan properties, and Add/Subtract', () => {
    const t = EnhancedTimeSpan.parse('1.02:03:04.5000000');
    assert.equal(getMember(t, 'Days'), 1);
    assert.equal(getMember(t, 'Hours'), 2);
    assert.equal(getMember(t, 'Minutes'), 3);
    assert.equal(getMember(t, 'Seconds'), 4);
    assert.equal(getMember(t, 'Milliseconds'), 500);
    assert.equal(getMember(t, 'TotalMinutes'), 1563.075);
    assert.equal(getMember(t, 'totalseconds'), 93784.5);
    assert.equal(getMember(EnhancedTimeSpan.parse('-00:01:30'), 'Seconds'), -30);
    assert.equal(String(invokeMethod(EnhancedTimeSpan.parse('00:05:00'), 'Add', ['00:10:00'])), '00:15:00');
    assert.equal(String(invokeMethod(EnhancedTimeSpan.parse('00:05:00'), 'Subtract', ['00:10:00'])), '-00:05:00');
  });

  it('IP ranges: bounds, mask, prefix, format and size as Exchange shows them', () => {
    const row = (text: string) => Object.fromEntries(propertyNames(IPRange.parse(text)).map((n) => [n, String(getMember(IPRange.parse(text), n))]));
    assert.deepEqual(row('192.168.1.7/24'), { LowerBound: '192.168.1.0', UpperBound: '192.168.1.255', Netmask: '255.255.255.0', CIDRLength: '24', RangeFormat: 'CIDR', Size: '::100' });
    assert.deepEqual(row('10.0.0.1-10.0.0.9'), { LowerBound: '10.0.0.1', UpperBound: '10.0.0.9', Netmask: 'null', CIDRLength: 'null', RangeFormat: 'LoHi', Size: '::9' });
    assert.deepEqual(row('192.168.5.10'), { LowerBound: '192.168.5.10', UpperBound: '192.168.5.10', Netmask: 'null', CIDRLength: 'null', RangeFormat: 'SingleAddress', Size: '::1' });
    assert.equal(getMember(IPRange.parse('2001:db8::/32'), 'Netmask')?.toString(), 'ffff:ffff::');
    assert.equal(typeNameOf(IPRange.parse('10.0.0.1')), 'Microsoft.Exchange.Data.IPRange');
  });

  it('a stored credential shows as a PSCredential, never its sealed secret', () => {
    const stored = StoredCredential.parseShellValue(new PSCredential('mbxrelay', new SecureString('S3cret!pass')));
    assert.equal(typeNameOf(stored), 'System.Management.Automation.PSCredential');
    assert.deepEqual(propertyNames(stored), ['UserName', 'Password']);
    assert.equal(getMember(stored, 'UserName'), 'mbxrelay');
    assert.equal(String(getMember(stored, 'Password')), 'System.Security.SecureString');
    assert.equal(getMember(stored, 'sealed'), null);
  });

  it("flags enums and FQDNs print as their text, with the flag type's name", () => {
    const groups = PermissionGroupFlags.parse('AnonymousUsers,ExchangeServers');
    assert.equal(typeNameOf(groups), 'Microsoft.Exchange.Data.PermissionGroups');
    assert.equal(invokeMethod(groups, 'HasFlag', ['AnonymousUsers']), true);
    assert.equal(invokeMethod(groups, 'HasFlag', ['Partners']), false);
    assert.deepEqual(propertyNames(groups), []);
    assert.equal(typeNameOf(Fqdn.parse('edge01.contoso.net')), 'Microsoft.Exchange.Data.Fqdn');
  });

  it('smart hosts and address spaces', () => {
    assert.equal(getMember(SmartHost.parse('relay.contoso.com'), 'Domain'), 'relay.contoso.com');
    assert.equal(getMember(SmartHost.parse('relay.contoso.com'), 'IsIPAddress'), false);
    assert.equal(String(getMember(SmartHost.parse('[10.0.0.5]'), 'Address')), '10.0.0.5');
    const space = AddressSpace.parse('*.contoso.com;10');
    assert.deepEqual(propertyNames(space), ['Type', 'Domain', 'Address', 'Cost', 'IncludeSubDomains', 'IsSmtpType', 'IsX400Type']);
    assert.equal(getMember(space, 'Cost'), 10);
    assert.equal(getMember(space, 'IncludeSubDomains'), true);
    assert.equal(getMember(AddressSpace.parse('X400:c=us;a=;p=contoso;3'), 'Domain'), null);
  });
});
