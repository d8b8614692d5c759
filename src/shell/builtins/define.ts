// Small helpers to declare built-in commands and their parameters.

import type { BoundArguments, CommandSpec, ParameterSpec } from '../command.js';
import { convertInt, convertString, convertStringArray } from '../conversion.js';
import { ConversionError } from '../command.js';
import { ScriptBlock } from '../scriptblock.js';
import type { BuiltinCommandSpec } from './types.js';

const MODULES = {
  Core: ['Microsoft.PowerShell.Core', '3.0.0.0'],
  Utility: ['Microsoft.PowerShell.Utility', '3.1.0.0'],
  Security: ['Microsoft.PowerShell.Security', '3.0.0.0'],
  Management: ['Microsoft.PowerShell.Management', '3.1.0.0'],
} as const;

export function builtin(module: keyof typeof MODULES, spec: CommandSpec & { className?: string }): BuiltinCommandSpec {
  const [name, version] = MODULES[module];
  const className = spec.className ?? `Microsoft.PowerShell.Commands.${spec.name.replace('-', '')}Command`;
  return { ...spec, className, module: name, version };
}

type Extra = Partial<ParameterSpec>;

export function stringParam(name: string, extra: Extra = {}): ParameterSpec {
  return { name, typeName: 'String', convert: convertString, ...extra };
}

export function stringArrayParam(name: string, extra: Extra = {}): ParameterSpec {
  return { name, typeName: 'String[]', convert: convertStringArray, ...extra };
}

export function intParam(name: string, extra: Extra = {}): ParameterSpec {
  return { name, typeName: 'Int32', convert: (v) => convertInt(v), ...extra };
}

export function switchParam(name: string, extra: Extra = {}): ParameterSpec {
  return { name, typeName: 'SwitchParameter', switch: true, ...extra };
}

export function objectParam(name: string, extra: Extra = {}): ParameterSpec {
  return { name, typeName: 'Object', ...extra };
}

export function convertScriptBlock(v: unknown): ScriptBlock {
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (one instanceof ScriptBlock) return one;
  throw new ConversionError(`Cannot convert the "${String(one)}" value of type "${typeof one === 'string' ? 'System.String' : 'System.Object'}" to type "System.Management.Automation.ScriptBlock".`);
}

export function scriptBlockParam(name: string, extra: Extra = {}): ParameterSpec {
  return { name, typeName: 'ScriptBlock', convert: convertScriptBlock, ...extra };
}

export function arg<T>(args: BoundArguments, name: string): T | undefined {
  return args.get(name) as T | undefined;
}

export function flag(args: BoundArguments, name: string): boolean {
  return args.get(name) === true;
}
