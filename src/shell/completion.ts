// Tab completion: what the word before the cursor can become. The first word
// of a command completes to command names, `-Na` to the command's parameter
// names, `$Fo` to variable names, and an argument to the values its
// parameter declares (an enumeration's names, the names of existing objects:
// `-PermissionGroups Anon` -> AnonymousUsers, `Get-ReceiveConnector "Fr` ->
// "From Internet"). A name with spaces is quoted ('...', or in the quote the
// person opened); a list (`Tls,Basic`) completes its last item. Wildcards
// (`*-Queue`) match anywhere, as PowerShell's completion does.

import { COMMON_PARAMETER_NAMES } from './binder.js';
import type { CommandSpec, ParameterSpec } from './command.js';
import type { Completion } from './line-editor.js';
import type { Runtime } from './runtime.js';
import { hasWildcard, wildcardToRegExp } from './wildcard.js';

interface Token {
  /** The token as typed. */
  raw: string;
  start: number;
}

const ACTION_PREFERENCES = ['Continue', 'Ignore', 'Inquire', 'SilentlyContinue', 'Stop', 'Suspend'];
const SWITCH_COMMON = new Set(['verbose', 'debug', 'whatif', 'confirm']);
const SEPARATORS = new Set(['|', ';', '(', ')', '{', '}']);

/** The words of the command the cursor is in, and where the word under the cursor starts and ends. */
export function scanCommandLine(line: string, cursor: number): { tokens: Token[]; wordStart: number; wordEnd: number } {
  let tokens: Token[] = [];
  let start = -1;
  let quote = '';
  const end = (i: number): void => {
    if (start >= 0) tokens.push({ raw: line.slice(start, i), start });
    start = -1;
  };
  for (let i = 0; i < cursor; i++) {
    const c = line[i];
    if (quote) {
      if (quote === '"' && c === '`') i++;
      else if (c === quote) {
        if (line[i + 1] === quote && i + 1 < cursor) i++;
        else quote = '';
      }
      continue;
    }
    if (c === '"' || c === "'") {
      if (start < 0) start = i;
      quote = c;
    } else if (c === '`') {
      if (start < 0) start = i;
      i++;
    } else if (/\s/.test(c)) {
      end(i);
    } else if (SEPARATORS.has(c)) {
      end(i);
      tokens = [];
    } else if (c === ',') {
      // a list is one argument: `-AuthMechanism Tls,Basic` completes Basic for -AuthMechanism
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  const wordStart = start >= 0 ? start : cursor;
  let wordEnd = cursor;
  if (!quote) while (wordEnd < line.length && !/[\s,|;(){}]/.test(line[wordEnd])) wordEnd++;
  return { tokens, wordStart, wordEnd };
}

function unquote(word: string): { quote: string; text: string } {
  const q = word[0] === '"' || word[0] === "'" ? word[0] : '';
  if (!q) return { quote: '', text: word };
  let text = word.slice(1);
  if (text.endsWith(q)) text = text.slice(0, -1);
  return { quote: q, text: q === "'" ? text.replace(/''/g, "'") : text };
}

function quoted(value: string, quote: string): string {
  if (quote === '"') return `"${value.replace(/[`"$]/g, '`$&')}"`;
  if (quote === "'" || /[\s'"$`,;(){}|&<>@#]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  return value;
}

function matching(names: readonly string[], typed: string): string[] {
  const test = hasWildcard(typed) ? (n: string) => wildcardToRegExp(typed.endsWith('*') ? typed : typed + '*').test(n) : (n: string) => n.toLowerCase().startsWith(typed.toLowerCase());
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of names) {
    if (!test(n) || seen.has(n.toLowerCase())) continue;
    seen.add(n.toLowerCase());
    out.push(n);
  }
  return out.sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
}

/** The parameter named by `-Name` (exact name or alias first, then an unambiguous prefix). */
function parameterNamed(spec: CommandSpec, typed: string): ParameterSpec | { name: string; switch: boolean; common: true } | undefined {
  const t = typed.toLowerCase();
  const exact = spec.parameters.find((p) => p.name.toLowerCase() === t || (p.aliases ?? []).some((a) => a.toLowerCase() === t));
  if (exact) return exact;
  const common = COMMON_PARAMETER_NAMES.find((n) => n.toLowerCase() === t);
  if (common) return { name: common, switch: SWITCH_COMMON.has(t), common: true };
  const prefixed = spec.parameters.filter((p) => p.name.toLowerCase().startsWith(t));
  if (prefixed.length === 1) return prefixed[0];
  const commonPrefixed = COMMON_PARAMETER_NAMES.filter((n) => n.toLowerCase().startsWith(t));
  if (prefixed.length === 0 && commonPrefixed.length === 1) return { name: commonPrefixed[0], switch: SWITCH_COMMON.has(commonPrefixed[0].toLowerCase()), common: true };
  return undefined;
}

function isSwitch(p: ParameterSpec | { switch: boolean }): boolean {
  return p.switch === true;
}

/** The values Tab offers for a parameter's argument. */
function parameterValues(p: ParameterSpec | { name: string; common: true }): readonly string[] {
  if ('common' in p) return /^(Error|Warning|Information)Action$/.test(p.name) ? ACTION_PREFERENCES : [];
  try {
    return p.completions?.() ?? [];
  } catch {
    // a store that cannot be read now completes nothing
    return [];
  }
}

/** Which parameter the argument being typed belongs to (named just before it, or by position). */
function argumentParameter(spec: CommandSpec, args: Token[]): ParameterSpec | { name: string; common: true } | undefined {
  const last = args[args.length - 1];
  if (last && /^-[A-Za-z]/.test(last.raw) && !last.raw.includes(':')) {
    const p = parameterNamed(spec, last.raw.slice(1));
    if (p && !isSwitch(p)) return p;
  }
  let position = 0;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i].raw;
    if (/^-[A-Za-z]/.test(raw)) {
      if (raw.includes(':')) continue;
      const p = parameterNamed(spec, raw.slice(1));
      if (p && !isSwitch(p)) i++;
      continue;
    }
    position++;
  }
  return spec.parameters.find((p) => p.position === position);
}

/** Candidates for the word at the cursor, and the span of the line they replace. */
export function completeLine(rt: Runtime, line: string, cursor: number): Completion {
  const { tokens, wordStart, wordEnd } = scanCommandLine(line, cursor);
  const word = line.slice(wordStart, cursor);
  const result = (candidates: string[]): Completion => ({ start: wordStart, end: wordEnd, candidates });
  if (word.startsWith('$')) {
    const names = ['true', 'false', 'null', ...rt.variables.names()];
    return result(matching(names, word.slice(1)).map((n) => '$' + n));
  }
  if (tokens.length === 0) {
    if (word.startsWith('"') || word.startsWith("'")) return result([]);
    return result(
      matching(
        rt.commandList.map((c) => c.name),
        word,
      ),
    );
  }
  const spec = rt.resolveCommand(unquote(tokens[0].raw).text);
  if (!spec) return result([]);
  if (word.startsWith('-')) {
    const names = [...spec.parameters.map((p) => p.name), ...COMMON_PARAMETER_NAMES.filter((n) => spec.supportsShouldProcess || (n !== 'WhatIf' && n !== 'Confirm'))];
    return result(matching(names, word.slice(1)).map((n) => '-' + n));
  }
  const param = argumentParameter(spec, tokens.slice(1));
  if (!param) return result([]);
  const { quote, text } = unquote(word);
  return result(matching(parameterValues(param), text).map((v) => quoted(v, quote)));
}
