// Session variables: case-insensitive names, the constants $true/$false/$null,
// automatic variables ($_, $PSItem, $?, $Error, $env:NAME) and the preference
// variables with their Exchange Management Shell defaults.

import { homedir } from 'node:os';
import { RuntimeError } from './errors.js';
import { toStr } from './conversion.js';

export interface AutomaticSource {
  currentObject(): unknown;
  lastSuccess(): boolean;
  errors(): unknown[];
}

const CONSTANTS: Record<string, unknown> = { true: true, false: false, null: null };

export class Variables {
  private readonly map = new Map<string, { name: string; value: unknown }>();

  constructor(private readonly auto: AutomaticSource) {
    this.set('FormatEnumerationLimit', 16);
    this.set('ErrorActionPreference', 'Continue');
    this.set('WarningPreference', 'Continue');
    this.set('VerbosePreference', 'SilentlyContinue');
    this.set('DebugPreference', 'SilentlyContinue');
    this.set('ConfirmPreference', 'High');
    this.set('WhatIfPreference', false);
    this.set('OFS', ' ');
    this.set('HOME', homedir());
  }

  get(name: string): unknown {
    const key = name.toLowerCase();
    if (key in CONSTANTS) return CONSTANTS[key];
    if (key === '_' || key === 'psitem') return this.auto.currentObject();
    if (key === '?') return this.auto.lastSuccess();
    if (key === 'error') return this.auto.errors();
    if (key.startsWith('env:')) return process.env[name.slice(4)] ?? null;
    return this.map.get(key)?.value ?? null;
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return key in CONSTANTS || this.map.has(key) || key === '_' || key === '?' || key === 'error';
  }

  set(name: string, value: unknown): void {
    const key = name.toLowerCase();
    if (key in CONSTANTS || key === '?' || key === 'error') {
      throw new RuntimeError(`Cannot overwrite variable ${name} because it is read-only or constant.`, 'VariableNotWritable', 'WriteError', 'SessionStateUnauthorizedAccessException');
    }
    if (key.startsWith('env:')) {
      process.env[name.slice(4)] = toStr(value);
      return;
    }
    const existing = this.map.get(key);
    if (existing) existing.value = value;
    else this.map.set(key, { name, value });
  }

  names(): string[] {
    return [...this.map.values()].map((v) => v.name);
  }
}
