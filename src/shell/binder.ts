// Parameter binding: turns a command's evaluated arguments into BoundArguments
// using only its CommandSpec (names, unambiguous prefixes, aliases, positions,
// switches, parameter sets, mandatory flags, convert/validate functions), plus
// the common parameters. Errors carry PowerShell's exact messages and ids.

import { ValidationError, type BoundArguments, type CommandSpec, type ParameterSpec } from './command.js';
import { convertEnum, convertString, convertSwitch, dotNetTypeName, isEnumerable, isNull, toStr } from './conversion.js';
import type { Extent } from './ast.js';
import { getMember, hasProperty } from './members.js';
import { PSObject } from './values.js';

export const ALL_SETS = '__AllParameterSets';

export type ActionPreference = 'SilentlyContinue' | 'Stop' | 'Continue' | 'Inquire' | 'Ignore' | 'Suspend';
export const ACTION_PREFERENCES: readonly ActionPreference[] = ['SilentlyContinue', 'Stop', 'Continue', 'Inquire', 'Ignore', 'Suspend'];

export interface CommonParameters {
  whatIf?: boolean;
  confirm?: boolean;
  errorAction?: ActionPreference;
  warningAction?: ActionPreference;
  verbose?: boolean;
  debug?: boolean;
  errorVariable?: string;
  outVariable?: string;
  warningVariable?: string;
}

/** An evaluated command element handed to the binder. */
export type BindItem = { kind: 'argument'; value: unknown; extent: Extent; text: string } | { kind: 'parameter'; name: string; extent: Extent; colon: boolean; argument?: { value: unknown; extent: Extent } };

export class BindingError extends Error {
  override name = 'BindingError';
  constructor(
    message: string,
    readonly errorId: string,
    /** Extent to mark; undefined = the whole command. */
    readonly extent?: Extent,
    readonly category = 'InvalidArgument',
    readonly reason = 'ParameterBindingException',
  ) {
    super(message);
  }
}

interface CommonSpec extends ParameterSpec {
  /** Where the value goes in CommonParameters; undefined = accepted and ignored. */
  common?: keyof CommonParameters;
  isCommon: true;
}

function actionConvert(name: string) {
  return (v: unknown): unknown => {
    try {
      // the enum's numbers: -ea 0 = SilentlyContinue, 1 Stop, 2 Continue, 3 Inquire, 4 Ignore, 5 Suspend
      const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
      if (typeof one === 'number' && Number.isInteger(one) && ACTION_PREFERENCES[one]) return ACTION_PREFERENCES[one];
      if (typeof one === 'string' && /^\s*[0-5]\s*$/.test(one)) return ACTION_PREFERENCES[Number(one)];
      return convertEnum(v, ACTION_PREFERENCES, 'System.Management.Automation.ActionPreference');
    } catch (e) {
      throw new BindingError(`Cannot bind parameter '${name}'. ${(e as Error).message}`, 'CannotConvertArgumentNoMessage');
    }
  };
}

const COMMON: CommonSpec[] = [
  { name: 'Verbose', aliases: ['vb'], switch: true, typeName: 'SwitchParameter', common: 'verbose', isCommon: true },
  { name: 'Debug', aliases: ['db'], switch: true, typeName: 'SwitchParameter', common: 'debug', isCommon: true },
  { name: 'ErrorAction', aliases: ['ea'], typeName: 'ActionPreference', common: 'errorAction', convert: actionConvert('ErrorAction'), isCommon: true },
  { name: 'WarningAction', aliases: ['wa'], typeName: 'ActionPreference', common: 'warningAction', convert: actionConvert('WarningAction'), isCommon: true },
  { name: 'InformationAction', aliases: ['infa'], typeName: 'ActionPreference', convert: actionConvert('InformationAction'), isCommon: true },
  { name: 'ErrorVariable', aliases: ['ev'], typeName: 'String', common: 'errorVariable', convert: convertString, isCommon: true },
  { name: 'WarningVariable', aliases: ['wv'], typeName: 'String', common: 'warningVariable', convert: convertString, isCommon: true },
  { name: 'InformationVariable', aliases: ['iv'], typeName: 'String', convert: convertString, isCommon: true },
  { name: 'OutVariable', aliases: ['ov'], typeName: 'String', common: 'outVariable', convert: convertString, isCommon: true },
  { name: 'OutBuffer', aliases: ['ob'], typeName: 'Int32', isCommon: true },
  { name: 'PipelineVariable', aliases: ['pv'], typeName: 'String', convert: convertString, isCommon: true },
];
const SHOULD_PROCESS: CommonSpec[] = [
  { name: 'WhatIf', aliases: ['wi'], switch: true, typeName: 'SwitchParameter', common: 'whatIf', isCommon: true },
  { name: 'Confirm', aliases: ['cf'], switch: true, typeName: 'SwitchParameter', common: 'confirm', isCommon: true },
];

export const COMMON_PARAMETER_NAMES: readonly string[] = [...COMMON, ...SHOULD_PROCESS].map((p) => p.name);

const FULL_TYPE_NAMES: Record<string, string> = {
  string: 'System.String',
  'string[]': 'System.String[]',
  int32: 'System.Int32',
  int: 'System.Int32',
  int64: 'System.Int64',
  boolean: 'System.Boolean',
  bool: 'System.Boolean',
  switchparameter: 'System.Management.Automation.SwitchParameter',
  pscredential: 'System.Management.Automation.PSCredential',
  securestring: 'System.Security.SecureString',
  scriptblock: 'System.Management.Automation.ScriptBlock',
  object: 'System.Object',
  'object[]': 'System.Object[]',
  psobject: 'System.Management.Automation.PSObject',
  hashtable: 'System.Collections.Hashtable',
  datetime: 'System.DateTime',
  actionpreference: 'System.Management.Automation.ActionPreference',
  double: 'System.Double',
};

/** The type name shown in "Specify a parameter of type '...'" messages. */
export function fullTypeName(typeName: string): string {
  return FULL_TYPE_NAMES[typeName.toLowerCase()] ?? typeName;
}

function isCommon(p: ParameterSpec): p is CommonSpec {
  return (p as CommonSpec).isCommon === true;
}

/** A bound value and where it came from. */
interface Bound {
  spec: ParameterSpec;
  value: unknown;
}

export class CommandBinder {
  /** The command's parameters followed by the common ones. */
  readonly parameters: ParameterSpec[];
  readonly allSets: string[];
  readonly common: CommonParameters = {};
  /** Parameters bound from the command line, by canonical name. */
  readonly bound = new Map<string, Bound>();

  constructor(readonly spec: CommandSpec) {
    this.parameters = [...spec.parameters, ...COMMON, ...(spec.supportsShouldProcess ? SHOULD_PROCESS : [])];
    const sets = new Set<string>();
    for (const p of spec.parameters) for (const s of p.sets ?? []) sets.add(s);
    if (spec.defaultParameterSet) sets.add(spec.defaultParameterSet);
    this.allSets = sets.size ? [...sets] : [ALL_SETS];
  }

  setsOf(p: ParameterSpec): string[] {
    if (isCommon(p) || !p.sets) return this.allSets;
    return p.sets;
  }

  isMandatoryIn(p: ParameterSpec, set: string): boolean {
    if (p.mandatory === true) return this.setsOf(p).includes(set);
    if (Array.isArray(p.mandatory)) return p.mandatory.includes(set);
    return false;
  }

  /** Resolves a typed parameter name (exact name or alias first, then unambiguous prefix). */
  resolveName(typed: string, extent?: Extent): ParameterSpec {
    const lower = typed.toLowerCase();
    const exact = this.parameters.find((p) => p.name.toLowerCase() === lower || (p.aliases ?? []).some((a) => a.toLowerCase() === lower));
    if (exact) return exact;
    const matches = this.parameters.filter((p) => p.name.toLowerCase().startsWith(lower) || (p.aliases ?? []).some((a) => a.toLowerCase().startsWith(lower)));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new BindingError(`Parameter cannot be processed because the parameter name '${typed}' is ambiguous. Possible matches include:${matches.map((m) => ' -' + m.name).join('')}.`, 'AmbiguousParameter', extent);
    }
    throw new BindingError(`A parameter cannot be found that matches parameter name '${typed}'.`, 'NamedParameterNotFound', extent);
  }

  /** Runs the parameter's convert/validate, mapping failures to binding errors. */
  convert(p: ParameterSpec, value: unknown, extent?: Extent): unknown {
    try {
      if (p.switch && !p.convert) return convertSwitch(value);
      return p.convert ? p.convert(value) : value;
    } catch (e) {
      if (e instanceof BindingError) throw new BindingError(e.message, e.errorId, extent, e.category, e.reason);
      if (e instanceof ValidationError) {
        throw new BindingError(`Cannot validate argument on parameter '${p.name}'. ${e.message}`, 'ParameterArgumentValidationError', extent, 'InvalidData', 'ParameterBindingValidationException');
      }
      const message = e instanceof Error ? e.message : String(e);
      throw new BindingError(`Cannot process argument transformation on parameter '${p.name}'. ${message}`, 'ParameterArgumentTransformationError', extent, 'InvalidData', 'ParameterBindingArgumentTransformationException');
    }
  }

  private store(p: ParameterSpec, value: unknown, typed: string, extent?: Extent): void {
    if (this.bound.has(p.name)) {
      throw new BindingError(
        `Cannot bind parameter because parameter '${typed}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, "-parameter value1,value2,value3".`,
        'ParameterAlreadyBound',
        extent,
      );
    }
    this.bound.set(p.name, { spec: p, value });
    if (isCommon(p) && p.common) {
      (this.common as Record<string, unknown>)[p.common] = value;
    }
  }

  /** Sets compatible with every bound (non-common) parameter. */
  validSets(bound: Iterable<ParameterSpec> = [...this.bound.values()].map((b) => b.spec)): string[] {
    let sets = this.allSets.slice();
    for (const p of bound) {
      if (isCommon(p)) continue;
      const ps = this.setsOf(p);
      sets = sets.filter((s) => ps.includes(s));
    }
    return sets;
  }

  /** Binds named and positional arguments of the command line. */
  bindCommandLine(items: BindItem[]): void {
    const positional: Extract<BindItem, { kind: 'argument' }>[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind === 'argument') {
        positional.push(item);
        continue;
      }
      const p = this.resolveName(item.name, item.extent);
      if (p.switch) {
        const value = item.argument ? this.convert(p, item.argument.value, item.argument.extent) : true;
        this.store(p, value, item.name, item.extent);
        continue;
      }
      let arg = item.argument;
      if (!arg) {
        const next = items[i + 1];
        if (!next || next.kind !== 'argument') {
          throw new BindingError(`Missing an argument for parameter '${p.name}'. Specify a parameter of type '${fullTypeName(p.typeName)}' and try again.`, 'MissingArgument', item.extent);
        }
        arg = { value: next.value, extent: next.extent };
        i++;
      }
      if (this.bound.has(p.name)) this.store(p, undefined, item.name, item.extent); // reports ParameterAlreadyBound
      this.store(p, this.convert(p, arg.value, arg.extent), item.name, item.extent);
    }
    if (this.validSets().length === 0) {
      throw new BindingError('Parameter set cannot be resolved using the specified named parameters.', 'AmbiguousParameterSet');
    }
    this.bindPositional(positional);
  }

  private bindPositional(args: Extract<BindItem, { kind: 'argument' }>[]): void {
    let next = 0;
    while (next < args.length) {
      const arg = args[next];
      const sets = this.validSets();
      const candidates = this.spec.parameters.filter((p) => p.position !== undefined && !this.bound.has(p.name) && this.setsOf(p).some((s) => sets.includes(s))).sort((a, b) => (a.position as number) - (b.position as number));
      if (candidates.length === 0) {
        const rest = this.spec.parameters.find((p) => p.valueFromRemainingArguments && this.setsOf(p).some((s) => sets.includes(s)));
        if (rest && !this.bound.has(rest.name)) {
          const values = args.slice(next).map((a) => a.value);
          this.store(rest, this.convert(rest, values.length === 1 ? values[0] : values, arg.extent), rest.name, arg.extent);
          return;
        }
        throw new BindingError(`A positional parameter cannot be found that accepts argument '${positionalText(arg.value, arg.text)}'.`, 'PositionalParameterNotFound');
      }
      const lowest = candidates[0].position as number;
      if (candidates[0].valueFromRemainingArguments) {
        const values = args.slice(next).map((a) => a.value);
        this.store(candidates[0], this.convert(candidates[0], values.length === 1 ? values[0] : values, arg.extent), candidates[0].name, arg.extent);
        return;
      }
      const atPosition = candidates.filter((p) => p.position === lowest);
      // prefer the default set, then try each until one accepts the value
      const def = this.spec.defaultParameterSet;
      atPosition.sort((a, b) => Number(def !== undefined && this.setsOf(b).includes(def)) - Number(def !== undefined && this.setsOf(a).includes(def)));
      let firstError: unknown;
      let done = false;
      for (const p of atPosition) {
        try {
          const value = this.convert(p, arg.value, arg.extent);
          this.store(p, value, p.name, arg.extent);
          done = true;
          break;
        } catch (e) {
          firstError ??= e;
        }
      }
      if (!done) throw firstError;
      next++;
    }
  }

  /** Parameters that can take pipeline input in the sets still possible. */
  pipelineParameters(): ParameterSpec[] {
    const sets = this.validSets();
    return this.spec.parameters.filter((p) => (p.valueFromPipeline || p.valueFromPipelineByPropertyName) && !this.bound.has(p.name) && this.setsOf(p).some((s) => sets.includes(s)));
  }

  /**
   * Binds one pipeline object as PowerShell does: first by value (the
   * parameters that take the whole object, default parameter set first; the
   * first whose conversion accepts the object wins), then by property name
   * (each remaining parameter whose name or alias is a property of the
   * object, when its conversion accepts the property's value). A binding
   * that would leave no parameter set possible is skipped. Returns the extra
   * bindings; none at all is InputObjectNotBound.
   */
  bindPipelineObject(obj: unknown): Map<string, unknown> {
    const extra = new Map<string, unknown>();
    const extraSpecs: ParameterSpec[] = [];
    const candidates = this.pipelineParameters();
    const def = this.spec.defaultParameterSet;
    const ordered = candidates.slice().sort((a, b) => Number(def !== undefined && this.setsOf(b).includes(def)) - Number(def !== undefined && this.setsOf(a).includes(def)));
    const fits = (p: ParameterSpec): boolean => {
      const sets = this.validSets([...[...this.bound.values()].map((b) => b.spec), ...extraSpecs]);
      return this.setsOf(p).some((s) => sets.includes(s));
    };
    const tryBind = (p: ParameterSpec, value: unknown): boolean => {
      try {
        extra.set(p.name, this.convert(p, value));
        extraSpecs.push(p);
        return true;
      } catch (e) {
        if (e instanceof BindingError) return false;
        throw e;
      }
    };
    for (const p of ordered.filter((c) => c.valueFromPipeline)) {
      if (!fits(p)) continue;
      if (tryBind(p, obj)) break;
    }
    const hasProperties = obj instanceof PSObject || (obj !== null && typeof obj === 'object');
    for (const p of ordered.filter((c) => c.valueFromPipelineByPropertyName && !extra.has(c.name))) {
      if (!hasProperties) break;
      const prop = [p.name, ...(p.aliases ?? [])].find((n) => hasProperty(obj, n));
      if (prop === undefined || !fits(p)) continue;
      tryBind(p, getMember(obj, prop));
    }
    if (extra.size === 0) {
      throw new BindingError(
        'The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.',
        'InputObjectNotBound',
        undefined,
        'InvalidArgument',
        'ParameterBindingException',
      );
    }
    return extra;
  }

  /** Picks the parameter set for the given bindings (command line + pipeline extras). */
  resolveSet(extra: Map<string, unknown> = new Map()): string {
    const specs = [...[...this.bound.values()].map((b) => b.spec), ...[...extra.keys()].map((n) => this.parameters.find((p) => p.name === n) as ParameterSpec)];
    const valid = this.validSets(specs);
    const ambiguous = (): BindingError => new BindingError('Parameter set cannot be resolved using the specified named parameters.', 'AmbiguousParameterSet');
    if (valid.length === 0) throw ambiguous();
    if (valid.length === 1) return valid[0];
    const boundNames = new Set(specs.map((p) => p.name));
    const satisfied = valid.filter((s) => this.spec.parameters.every((p) => !this.isMandatoryIn(p, s) || boundNames.has(p.name)));
    const def = this.spec.defaultParameterSet;
    if (satisfied.length === 1) return satisfied[0];
    if (def && satisfied.includes(def)) return def;
    if (satisfied.length > 1) {
      // sets differing only by parameters not given: the one with the fewest unbound members
      if (!def) return satisfied[0];
      throw ambiguous();
    }
    if (def && valid.includes(def)) return def;
    throw ambiguous();
  }

  /** Mandatory parameters of `set` not bound yet, in declaration order. */
  missingMandatory(set: string, extra: Map<string, unknown> = new Map()): ParameterSpec[] {
    return this.spec.parameters.filter((p) => this.isMandatoryIn(p, set) && !this.bound.has(p.name) && !extra.has(p.name));
  }

  /** Binds a value supplied at the mandatory-parameter prompt. */
  bindPrompted(p: ParameterSpec, value: unknown): void {
    this.store(p, this.convert(p, value), p.name);
  }

  /** BoundArguments for invoke: the command's own parameters only. */
  arguments(extra: Map<string, unknown> = new Map()): BoundArguments {
    const args: BoundArguments = new Map();
    for (const [name, b] of this.bound) if (!isCommon(b.spec)) args.set(name, b.value);
    for (const [name, v] of extra) args.set(name, v);
    return args;
  }
}

/** How PowerShell quotes an argument in "cannot be found that accepts argument '...'". */
function positionalText(value: unknown, text: string): string {
  if (isNull(value)) return '$null';
  if (isEnumerable(value)) return 'System.Object[]';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return toStr(value);
  if (value instanceof PSObject) return text;
  return value !== null && typeof value === 'object' && String(value) === '[object Object]' ? dotNetTypeName(value) : String(value ?? text);
}
