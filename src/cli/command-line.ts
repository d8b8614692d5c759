// The command lines of `gatehouse COMMAND`: each command declares its options
// (CommandSpec), node:util parseArgs splits the arguments (values after a
// space or after '=', --data=DIR; `--` ends the options), and what parseArgs
// leaves open is decided here: an unknown option, a missing value or a value
// given to a switch is a UsageError naming the command, and -h/--help asks
// for the command's help (commandHelp). A value may start with a dash
// (-c '-not $x'): the option before it takes it, as it always did.

import { parseArgs } from 'node:util';

export interface OptionSpec {
  /** The long name, without dashes: `data` is --data. */
  name: string;
  type: 'string' | 'boolean';
  /** A one-letter form: `c` is -c. */
  short?: string;
  /** Other spellings taken as they are written, e.g. '-Command'. */
  aliases?: string[];
  /** The placeholder of the value in the help, e.g. DIR. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  /** The usage lines, without "gatehouse NAME". */
  usage: string[];
  /** What the command does, for its help. */
  summary: string;
  options: OptionSpec[];
  /** The arguments that are not options, e.g. REPLY; none when absent. */
  positionals?: { name: string; description: string; max: number };
  /** More lines for the end of the help. */
  notes?: string[];
}

/** A bad command line; `command` names the command whose help explains it. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export class CommandLine {
  constructor(
    readonly command: string,
    private readonly values: ReadonlyMap<string, string | true>,
    readonly positionals: readonly string[],
    readonly help: boolean,
  ) {}

  /** The value of a string option, undefined when it was not given. */
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A UsageError about this command line. */
  error(message: string): UsageError {
    return new UsageError(message, this.command);
  }
}

const HELP: OptionSpec = { name: 'help', type: 'boolean', short: 'h', description: 'show this help' };

/** The options of a command, with -h/--help. */
function optionsOf(spec: CommandSpec): OptionSpec[] {
  return [...spec.options, HELP];
}

/** The written form of an option for messages: --data, or -c for one only known by its letter. */
function shown(option: OptionSpec): string {
  return `--${option.name}`;
}

/**
 * Aliases such as -Command are not options parseArgs knows (it would read them as a group of
 * one-letter options): they become their long form, except where they are the value of the option before.
 */
function withAliases(spec: CommandSpec, argv: readonly string[]): string[] {
  const options = optionsOf(spec);
  const alias = new Map<string, string>();
  for (const o of options) for (const a of o.aliases ?? []) alias.set(a, `--${o.name}`);
  const takesValue = new Set<string>();
  for (const o of options) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${o.name}`);
    if (o.short) takesValue.add(`-${o.short}`);
    for (const a of o.aliases ?? []) takesValue.add(a);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    out.push(alias.get(a) ?? a);
    if (takesValue.has(a) && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

/** Reads a command's arguments by its spec; throws a UsageError naming the command. */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandLine {
  const options = optionsOf(spec);
  const args = withAliases(spec, argv);
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of options) config[o.name] = { type: o.type, ...(o.short && { short: o.short }) };
  const { tokens } = parseArgs({ args, options: config, strict: false, allowPositionals: true, tokens: true });
  const byName = new Map(options.map((o) => [o.name, o]));
  const fail = (message: string) => new UsageError(message, spec.name);
  // -h or --help anywhere among the options asks for the help, whatever else is on the line.
  if (tokens.some((t) => t.kind === 'option' && t.name === HELP.name && t.value === undefined)) return new CommandLine(spec.name, new Map(), [], true);
  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    const option = byName.get(t.name);
    if (!option) throw fail(`unknown option ${args[t.index].startsWith('--') ? t.rawName : args[t.index]}`);
    if (option.type === 'boolean') {
      if (t.value !== undefined) throw fail(`option ${shown(option)} takes no value (${t.rawName}=${t.value})`);
      values.set(option.name, true);
    } else {
      if (t.value === undefined) throw fail(`option ${t.rawName} needs a value${option.value ? ` (${t.rawName} ${option.value})` : ''}`);
      values.set(option.name, t.value);
    }
  }
  const max = spec.positionals?.max ?? 0;
  if (positionals.length > max) throw fail(`unexpected argument ${positionals[max]}`);
  return new CommandLine(spec.name, values, positionals, false);
}

/** The help of one command: its usage, what it does, and each option. */
export function commandHelp(spec: CommandSpec): string {
  const lines = spec.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}gatehouse ${spec.name}${u ? ` ${u}` : ''}`);
  lines.push('', spec.summary, '', 'options:');
  const rows: [string, string][] = optionsOf(spec).map((o) => {
    const names = [o.short ? `-${o.short}` : '', ...(o.aliases ?? []), `--${o.name}`].filter((n) => n !== '').join(', ');
    return [`${names}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`, o.description];
  });
  if (spec.positionals) rows.push([spec.positionals.name, spec.positionals.description]);
  const width = Math.min(36, Math.max(...rows.map(([left]) => left.length)));
  for (const [left, right] of rows) {
    lines.push(left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`);
  }
  lines.push('', 'A value follows its option, or comes after "=" (--data=DIR).');
  if (spec.notes) lines.push(...spec.notes);
  return lines.join('\n') + '\n';
}
