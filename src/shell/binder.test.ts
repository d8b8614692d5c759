// Binder tests: names, prefixes, aliases, positions, switches, sets, mandatory
// parameters, common parameters and every PowerShell binding error message.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BindingError, CommandBinder, type BindItem } from './binder.js';
import { ConversionError, ValidationError, type CommandSpec, type ParameterSpec } from './command.js';
import { convertCredential, convertInt } from './conversion.js';
import { PSCredential, PSObject, SecureString } from './values.js';

const ext = { start: 0, end: 1 };
const p = (name: string): BindItem => ({ kind: 'parameter', name, extent: ext, colon: false });
const pc = (name: string, value: unknown): BindItem => ({ kind: 'parameter', name, extent: ext, colon: true, argument: { value, extent: ext } });
const a = (value: unknown): BindItem => ({ kind: 'argument', value, extent: ext, text: String(value) });

function spec(parameters: ParameterSpec[], extra: Partial<CommandSpec> = {}): CommandSpec {
  return { name: 'Set-Thing', synopsis: '', parameters, invoke: () => [], ...extra };
}

const setConnector = spec(
  [
    { name: 'Identity', typeName: 'SendConnectorIdParameter', position: 0, mandatory: true, valueFromPipeline: true },
    { name: 'Filter', typeName: 'String' },
    { name: 'Force', typeName: 'SwitchParameter', switch: true },
    { name: 'SmartHosts', typeName: 'MultiValuedProperty' },
    { name: 'SmartHostAuthMechanism', typeName: 'String' },
    { name: 'Server', typeName: 'Microsoft.Exchange.Configuration.Tasks.ServerIdParameter' },
    { name: 'Port', typeName: 'Int32', convert: (v) => convertInt(v) },
    { name: 'AuthenticationCredential', typeName: 'PSCredential', convert: convertCredential },
    {
      name: 'MaxHops',
      typeName: 'Int32',
      convert: (v) => {
        if (Number(v) > 10) throw new ValidationError('The argument "11" is greater than the maximum allowed range of "10".');
        return v;
      },
    },
    { name: 'Comment', typeName: 'String', aliases: ['Note'] },
  ],
  { supportsShouldProcess: true },
);

function bind(s: CommandSpec, items: BindItem[]): CommandBinder {
  const b = new CommandBinder(s);
  b.bindCommandLine(items);
  return b;
}

function bindingError(s: CommandSpec, items: BindItem[], check?: (b: CommandBinder) => void): BindingError {
  try {
    const b = bind(s, items);
    check?.(b);
  } catch (e) {
    assert.ok(e instanceof BindingError, String(e));
    return e;
  }
  assert.fail('no binding error');
}

describe('binder: names', () => {
  it('binds case-insensitive names, prefixes and aliases', () => {
    const b = bind(setConnector, [a('To Internet'), p('smarthosts'), a(['a', 'b']), p('Po'), a('25'), p('note'), a('c')]);
    const args = b.arguments();
    assert.equal(args.get('Identity'), 'To Internet');
    assert.deepEqual(args.get('SmartHosts'), ['a', 'b']);
    assert.equal(args.get('Port'), 25);
    assert.equal(args.get('Comment'), 'c');
  });
  it('prefers an exact name over a longer one with the same prefix', () => {
    const s = spec([
      { name: 'Name', typeName: 'String' },
      { name: 'NameSuffix', typeName: 'String' },
    ]);
    assert.equal(
      bind(s, [p('name'), a('x')])
        .arguments()
        .get('Name'),
      'x',
    );
  });
  it('reports an unknown parameter', () => {
    const e = bindingError(setConnector, [a('x'), p('Colour'), a('Blue')]);
    assert.equal(e.errorId, 'NamedParameterNotFound');
    assert.equal(e.message, "A parameter cannot be found that matches parameter name 'Colour'.");
  });
  it('reports an ambiguous prefix with every candidate', () => {
    const e = bindingError(setConnector, [a('x'), p('f'), a('y')]);
    assert.equal(e.errorId, 'AmbiguousParameter');
    assert.equal(e.message, "Parameter cannot be processed because the parameter name 'f' is ambiguous. Possible matches include: -Filter -Force.");
    const sm = bindingError(setConnector, [a('x'), p('Sm'), a(null)]);
    assert.match(sm.message, /Possible matches include: -SmartHosts -SmartHostAuthMechanism\.$/);
  });
  it('includes common parameters in prefix matching', () => {
    const e = bindingError(setConnector, [a('x'), p('W'), a('y')]);
    assert.match(e.message, /-WarningAction -WarningVariable -WhatIf/);
  });
});

describe('binder: arguments', () => {
  it('binds positional Identity', () => {
    assert.equal(
      bind(setConnector, [a('Default internal Receive connector Edge01')])
        .arguments()
        .get('Identity'),
      'Default internal Receive connector Edge01',
    );
  });
  it('reports a positional argument nobody takes', () => {
    const e = bindingError(setConnector, [a('x'), a('y')]);
    assert.equal(e.errorId, 'PositionalParameterNotFound');
    assert.equal(e.message, "A positional parameter cannot be found that accepts argument 'y'.");
  });
  it('reports a missing argument with the full type name', () => {
    const e = bindingError(setConnector, [a('x'), p('Server')]);
    assert.equal(e.errorId, 'MissingArgument');
    assert.equal(e.message, "Missing an argument for parameter 'Server'. Specify a parameter of type 'Microsoft.Exchange.Configuration.Tasks.ServerIdParameter' and try again.");
    const f = bindingError(setConnector, [a('x'), p('Filter'), p('Force')]);
    assert.equal(f.message, "Missing an argument for parameter 'Filter'. Specify a parameter of type 'System.String' and try again.");
  });
  it('reports a parameter given twice', () => {
    const e = bindingError(setConnector, [a('x'), p('Port'), a(1), p('port'), a(2)]);
    assert.equal(e.errorId, 'ParameterAlreadyBound');
    assert.equal(
      e.message,
      'Cannot bind parameter because parameter \'port\' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, "-parameter value1,value2,value3".',
    );
  });
  it('handles switches, -Switch:$false and does not eat the next argument', () => {
    const b = bind(setConnector, [p('Force'), a('x')]);
    assert.equal(b.arguments().get('Force'), true);
    assert.equal(b.arguments().get('Identity'), 'x');
    assert.equal(
      bind(setConnector, [a('x'), pc('Force', false)])
        .arguments()
        .get('Force'),
      false,
    );
  });
  it('maps ConversionError to the transformation error', () => {
    const e = bindingError(setConnector, [a('x'), p('AuthenticationCredential'), a('user:password')]);
    assert.equal(e.errorId, 'ParameterArgumentTransformationError');
    assert.equal(e.category, 'InvalidData');
    assert.equal(e.reason, 'ParameterBindingArgumentTransformationException');
    assert.equal(e.message, 'Cannot process argument transformation on parameter \'AuthenticationCredential\'. Cannot convert the "user:password" value of type "System.String" to type "System.Management.Automation.PSCredential".');
    const port = bindingError(setConnector, [a('x'), p('Port'), a('abc')]);
    assert.equal(port.message, 'Cannot process argument transformation on parameter \'Port\'. Cannot convert value "abc" to type "System.Int32". Error: "Input string was not in a correct format."');
  });
  it('maps ValidationError to the validation error', () => {
    const e = bindingError(setConnector, [a('x'), p('MaxHops'), a(11)]);
    assert.equal(e.errorId, 'ParameterArgumentValidationError');
    assert.equal(e.reason, 'ParameterBindingValidationException');
    assert.equal(e.message, 'Cannot validate argument on parameter \'MaxHops\'. The argument "11" is greater than the maximum allowed range of "10".');
  });
  it('accepts a PSCredential', () => {
    const c = new PSCredential('u', new SecureString('p'));
    assert.equal(
      bind(setConnector, [a('x'), p('AuthenticationCredential'), a(c)])
        .arguments()
        .get('AuthenticationCredential'),
      c,
    );
  });
});

describe('binder: common parameters', () => {
  it('binds -WhatIf / -Confirm only with ShouldProcess', () => {
    const b = bind(setConnector, [a('x'), p('WhatIf'), pc('Confirm', false)]);
    assert.equal(b.common.whatIf, true);
    assert.equal(b.common.confirm, false);
    assert.equal(b.arguments().has('WhatIf'), false);
    const plain = spec([{ name: 'Identity', typeName: 'String', position: 0 }]);
    assert.equal(bindingError(plain, [p('WhatIf')]).errorId, 'NamedParameterNotFound');
  });
  it('binds -ErrorAction and its alias, refusing bad values', () => {
    assert.equal(bind(setConnector, [a('x'), p('ea'), a('silentlycontinue')]).common.errorAction, 'SilentlyContinue');
    const e = bindingError(setConnector, [a('x'), p('ErrorAction'), a('Sometimes')]);
    assert.equal(e.errorId, 'CannotConvertArgumentNoMessage');
    assert.match(e.message, /^Cannot bind parameter 'ErrorAction'\. Cannot convert value "Sometimes" to type "System.Management.Automation.ActionPreference"\./);
  });
});

describe('binder: parameter sets and mandatory parameters', () => {
  const sets = spec(
    [
      { name: 'Identity', typeName: 'String', position: 0, sets: ['Identity'] },
      { name: 'Server', typeName: 'String', sets: ['Server'], mandatory: true },
      { name: 'Filter', typeName: 'String', sets: ['Identity', 'Server'] },
      { name: 'Usage', typeName: 'String', sets: ['Usage'] },
      { name: 'Internet', typeName: 'SwitchParameter', switch: true, sets: ['Internet'] },
    ],
    { defaultParameterSet: 'Identity' },
  );

  it('resolves the set from the given parameters, else the default', () => {
    assert.equal(bind(sets, [p('Server'), a('s')]).resolveSet(), 'Server');
    assert.equal(bind(sets, [p('Filter'), a('f')]).resolveSet(), 'Identity');
    assert.equal(bind(sets, []).resolveSet(), 'Identity');
  });
  it('reports parameters from different sets', () => {
    const e = bindingError(sets, [p('Internet'), p('Usage'), a('Partner')]);
    assert.equal(e.errorId, 'AmbiguousParameterSet');
    assert.equal(e.message, 'Parameter set cannot be resolved using the specified named parameters.');
  });
  it('reports missing mandatory parameters', () => {
    const b = bind(setConnector, [p('Port'), a(25)]);
    const missing = b.missingMandatory(b.resolveSet());
    assert.deepEqual(
      missing.map((x) => x.name),
      ['Identity'],
    );
  });
  it('picks among positional parameters of different sets by conversion', () => {
    const where = spec(
      [
        {
          name: 'FilterScript',
          typeName: 'ScriptBlock',
          position: 0,
          sets: ['Script'],
          convert: (v) => {
            if (typeof v !== 'object') throw new ConversionError('no');
            return v;
          },
        },
        {
          name: 'Property',
          typeName: 'String',
          position: 0,
          sets: ['Equal'],
          convert: (v) => {
            if (typeof v !== 'string') throw new ConversionError('no');
            return v;
          },
        },
      ],
      { defaultParameterSet: 'Equal' },
    );
    assert.equal(
      bind(where, [a('Name')])
        .arguments()
        .get('Property'),
      'Name',
    );
    assert.ok(
      bind(where, [a({ kind: 'scriptblock' })])
        .arguments()
        .has('FilterScript'),
    );
  });
  it('binds pipeline objects by value and by property name', () => {
    const b = bind(setConnector, [p('Port'), a(25)]);
    assert.equal(b.pipelineParameters().length, 1);
    assert.equal(b.bindPipelineObject('To Internet').get('Identity'), 'To Internet');
    const byName = spec([{ name: 'Identity', typeName: 'String', mandatory: true, valueFromPipelineByPropertyName: true }]);
    const b2 = bind(byName, []);
    assert.equal(b2.bindPipelineObject(new PSObject('X', [['Identity', 'EX01\\Submission']])).get('Identity'), 'EX01\\Submission');
    assert.throws(
      () => b2.bindPipelineObject(5),
      (e: unknown) => e instanceof BindingError && e.errorId === 'InputObjectNotBound',
    );
  });
  it('binds by value before by property name, in the sets still possible', () => {
    // Get-Message's shape: a queue object is refused by -Identity's conversion and taken by -Queue; its
    // Identity property would fit -Identity by name, but -Identity and -Queue are in different sets.
    const onlyType = (type: string) => (v: unknown) => {
      if (v instanceof PSObject) {
        if (v.typeNames[0] !== type) throw new ConversionError('wrong type');
        return v.get('Identity');
      }
      return String(v);
    };
    const getMessage = spec(
      [
        { name: 'Identity', typeName: 'MessageIdentity', position: 0, sets: ['Identity'], valueFromPipeline: true, valueFromPipelineByPropertyName: true, convert: onlyType('Message') },
        { name: 'Queue', typeName: 'QueueIdentity', sets: ['Queue'], valueFromPipeline: true, convert: onlyType('Queue') },
      ],
      { defaultParameterSet: 'Identity' },
    );
    const queue = new PSObject('Queue', [['Identity', 'EX01\\3']]);
    const bound = bind(getMessage, []).bindPipelineObject(queue);
    assert.deepEqual([...bound], [['Queue', 'EX01\\3']]);
    const message = new PSObject('Message', [['Identity', 'EX01\\3\\7']]);
    assert.deepEqual([...bind(getMessage, []).bindPipelineObject(message)], [['Identity', 'EX01\\3\\7']]);
    // Get-Queue's shape: a server object binds to -Server by value; a string binds to -Identity (default set).
    const getQueue = spec(
      [
        { name: 'Identity', typeName: 'QueueIdentity', position: 0, sets: ['Identity'], valueFromPipeline: true, valueFromPipelineByPropertyName: true, convert: onlyType('Queue') },
        {
          name: 'Server',
          typeName: 'ServerIdParameter',
          sets: ['Filter'],
          valueFromPipeline: true,
          valueFromPipelineByPropertyName: true,
          convert: (v) => {
            if (v instanceof PSObject && v.typeNames[0] !== 'Server') throw new ConversionError('not a server');
            return v instanceof PSObject ? v.get('Name') : String(v);
          },
        },
      ],
      { defaultParameterSet: 'Identity' },
    );
    const server = new PSObject('Server', [
      ['Name', 'EX01'],
      ['Identity', 'EX01'],
    ]);
    assert.deepEqual([...bind(getQueue, []).bindPipelineObject(server)], [['Server', 'EX01']]);
    assert.deepEqual([...bind(getQueue, []).bindPipelineObject('EX01\\Submission')], [['Identity', 'EX01\\Submission']]);
    // A property whose value the parameter refuses is not bound; with nothing bound the object is refused.
    const other = new PSObject('Other', [['Identity', new PSObject('Other', [])]]);
    assert.throws(
      () => bind(getMessage, [p('Queue'), a('EX01\\3')]).bindPipelineObject(other),
      (e: unknown) => e instanceof BindingError && e.errorId === 'InputObjectNotBound',
    );
  });
  it('collects remaining arguments', () => {
    const host = spec([{ name: 'Object', typeName: 'Object', position: 0, valueFromRemainingArguments: true }]);
    assert.deepEqual(
      bind(host, [a('a'), a('b'), a('c')])
        .arguments()
        .get('Object'),
      ['a', 'b', 'c'],
    );
    assert.equal(
      bind(host, [a('a')])
        .arguments()
        .get('Object'),
      'a',
    );
  });
});
