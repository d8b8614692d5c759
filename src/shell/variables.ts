// Session variables: case-insensitive names in nested scopes (a function call
// opens a scope; reading looks outwards, assigning writes the innermost one;
// `$global:` and `$script:` reach the session's own scope), the constants
// $true/$false/$null, automatic variables ($_, $PSItem, $?, $Error,
// $env:NAME) and the preference variables with their Exchange Management
// Shell defaults.

import { homedir } from 'node:os';
import { RuntimeError } from './errors.js';
import { toStr } from './conversion.js';

export interface AutomaticSource {
  currentObject(): unknown;
  lastSuccess(): boolean;
  errors(): unknown;
}

const CONSTANTS: Record<string, unknown> = { true: true, false: false, null: null };

type Scope = Map<string, { name: string; value: unknown }>;

/** Splits `global:x` / `script:x` into the scope word and the name. */
function splitScope(name: string): { root: boolean; key: string; plain: string } {
  const m = /^(global|script):(.*)$/i.exec(name);
  if (m) return { root: true, key: m[2].toLowerCase(), plain: m[2] };
  return { root: false, key: name.toLowerCase(), plain: name };
}

export class Variables {
  private readonly scopes: Scope[] = [new Map()];
  /** false: $env: is not available (a remote session: the environment is the server process's). */
  environment = true;

  constructor(private readonly auto: AutomaticSource) {
    this.set('FormatEnumerationLimit', 16);
    this.set('ErrorActionPreference', 'Continue');
    this.set('WarningPreference', 'Continue');
    this.set('VerbosePreference', 'SilentlyContinue');
    this.set('DebugPreference', 'SilentlyContinue');
    this.set('ProgressPreference', 'Continue');
    this.set('ConfirmPreference', 'High');
    this.set('WhatIfPreference', false);
    this.set('OFS', ' ');
    this.set('HOME', homedir());
  }

  /** Opens a scope (function call); closed with popScope. */
  pushScope(): void {
    this.scopes.push(new Map());
  }

  popScope(): void {
    if (this.scopes.length > 1) this.scopes.pop();
  }

  private find(name: string): { name: string; value: unknown } | undefined {
    const { root, key } = splitScope(name);
    if (root) return this.scopes[0].get(key);
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const hit = this.scopes[i].get(key);
      if (hit) return hit;
    }
    return undefined;
  }

  get(name: string): unknown {
    const key = splitScope(name).key;
    if (key in CONSTANTS) return CONSTANTS[key];
    if (key === '_' || key === 'psitem') return this.auto.currentObject();
    if (key === '?') return this.auto.lastSuccess();
    if (key === 'error') return this.auto.errors();
    if (key.startsWith('env:')) {
      if (!this.environment) throw noEnvironment(name);
      return process.env[name.slice(name.indexOf(':') + 1)] ?? null;
    }
    return this.find(name)?.value ?? null;
  }

  has(name: string): boolean {
    const key = splitScope(name).key;
    return key in CONSTANTS || this.find(name) !== undefined || key === '_' || key === '?' || key === 'error';
  }

  set(name: string, value: unknown): void {
    const { root, key, plain } = splitScope(name);
    if (key === 'null') return; // `$null = ...` discards the value
    if (key in CONSTANTS || key === '?' || key === 'error') {
      throw new RuntimeError(`Cannot overwrite variable ${plain} because it is read-only or constant.`, 'VariableNotWritable', 'WriteError', 'SessionStateUnauthorizedAccessException');
    }
    if (key.startsWith('env:')) {
      if (!this.environment) throw noEnvironment(plain);
      process.env[plain.slice(4)] = toStr(value);
      return;
    }
    const scope = root ? this.scopes[0] : this.scopes[this.scopes.length - 1];
    const existing = scope.get(key);
    if (existing) existing.value = value;
    else scope.set(key, { name: plain, value });
  }

  /** Sets a variable in the innermost scope even when an outer one has the name (parameters, $_). */
  setLocal(name: string, value: unknown): void {
    const key = name.toLowerCase();
    this.scopes[this.scopes.length - 1].set(key, { name, value });
  }

  names(): string[] {
    const seen = new Map<string, string>();
    for (const scope of this.scopes) for (const [k, v] of scope) seen.set(k, v.name);
    return [...seen.values()];
  }
}

function noEnvironment(name: string): RuntimeError {
  return new RuntimeError(
    `$${name} is not available in a remote session: the environment variables are the server process's. Read your own with $env: in your local shell.`,
    'RemoteEnvironmentDenied',
    'PermissionDenied',
    'RuntimeException',
  );
}
