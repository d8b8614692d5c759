// Registered value types: type name, properties, methods, member types.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuntimeError } from './errors.js';
import { isScalarForOutput } from './format/value.js';
import { getMember, invokeMethod, memberTypeOf, propertyNames, registerValueType, setMember, typeNameOf } from './members.js';
import { PSObject } from './values.js';

class Meters {
  constructor(readonly internalValue: number) {}
  toString(): string {
    return `${this.internalValue} m`;
  }
}
class Token {
  constructor(readonly secretField: string) {}
  toString(): string {
    return 'token';
  }
}

registerValueType({
  typeName: 'Contoso.Meters',
  test: (v) => v instanceof Meters,
  properties: [
    ['Value', (v: Meters) => v.internalValue],
    ['Kilometers', (v: Meters) => v.internalValue / 1000],
  ],
  methods: { tocentimeters: (v: Meters) => v.internalValue * 100 },
});
registerValueType({ typeName: 'Contoso.Token', test: (v) => v instanceof Token, properties: [] });

describe('registered value types', () => {
  it('show the declared members instead of the fields of the class', () => {
    const m = new Meters(1500);
    assert.deepEqual(propertyNames(m), ['Value', 'Kilometers']);
    assert.equal(getMember(m, 'kilometers'), 1.5);
    assert.equal(getMember(m, 'internalValue'), null);
    assert.equal(invokeMethod(m, 'ToCentimeters', []), 150000);
    assert.equal(invokeMethod(m, 'ToString', []), '1500 m');
    assert.equal((invokeMethod(m, 'GetType', []) as { FullName: string }).FullName, 'Contoso.Meters');
    assert.equal(typeNameOf(m), 'Contoso.Meters');
    assert.throws(
      () => invokeMethod(m, 'ToFeet', []),
      (e: unknown) => e instanceof RuntimeError && e.message === "Method invocation failed because [Contoso.Meters] does not contain a method named 'ToFeet'.",
    );
    assert.throws(() => setMember(m, 'Value', 3), RuntimeError);
  });

  it('a type without properties prints as its text', () => {
    assert.equal(isScalarForOutput(new Token('x')), true);
    assert.deepEqual(propertyNames(new Token('x')), []);
    assert.equal(isScalarForOutput(new Meters(1)), false);
  });

  it('cmdlet objects have Property members, custom objects NoteProperty', () => {
    assert.equal(memberTypeOf(new PSObject('Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain')), 'Property');
    assert.equal(memberTypeOf(new PSObject('System.Management.Automation.PSCustomObject')), 'NoteProperty');
    assert.equal(memberTypeOf(new PSObject('Selected.Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain')), 'NoteProperty');
    assert.equal(memberTypeOf(new Meters(1)), 'Property');
  });
});
