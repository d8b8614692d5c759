// ValueError: the single error type thrown by every configuration value parser
// in this folder. Its message is shown to the administrator as is, so it must
// name the offending value and say what would have been accepted.
//
// Invariant: parsers never throw anything else for bad input (a TypeError or
// RangeError escaping from a parser is a bug).

export class ValueError extends Error {
  /** The input that was refused, exactly as it was handed to the parser. */
  readonly input: unknown;
  /** For an enumeration: every name it accepts (the shell's Tab completion offers them). */
  readonly accepted?: readonly string[];

  constructor(message: string, input?: unknown, accepted?: readonly string[]) {
    super(message);
    this.name = 'ValueError';
    this.input = input;
    this.accepted = accepted;
  }
}

/**
 * The text of an input for use inside an error message: strings as typed
 * (without surrounding white space), other values through String().
 */
export function inputText(input: unknown): string {
  if (typeof input === 'string') return input.trim();
  if (input === null) return '$null';
  if (input === undefined) return '';
  if (Array.isArray(input)) return input.map(inputText).join(',');
  return String(input);
}
