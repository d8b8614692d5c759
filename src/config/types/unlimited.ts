// Unlimited<T>: a value of type T or the word "unlimited", as Exchange's
// Unlimited<T> (MaxMessageSize on send connectors, MaxInboundConnection,
// MessageRateLimit, MaxProtocolErrors...).
//
// Input: the word `unlimited` in any casing (surrounding white space ignored),
// an existing Unlimited, or anything the inner parser accepts.
// Invariants: exactly one of isUnlimited / value is meaningful; an unlimited
// value compares greater than every bounded value.
// Display: "Unlimited", or the inner value's display. Storage form (toJSON):
// the string "unlimited" or the inner value's storage form.

import { ValueError } from './value-error.js';

type Inner<T> = (input: unknown) => T;

function innerEquals<T>(a: T, b: T): boolean {
  if (a !== null && typeof a === 'object' && typeof (a as { equals?: unknown }).equals === 'function') {
    return (a as unknown as { equals(o: unknown): boolean }).equals(b);
  }
  return a === b;
}

function innerJSON(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return (v as { toJSON(): unknown }).toJSON();
  }
  return v;
}

export class Unlimited<T> {
  readonly isUnlimited: boolean;
  readonly #value: T | undefined;

  private constructor(isUnlimited: boolean, value: T | undefined) {
    this.isUnlimited = isUnlimited;
    this.#value = value;
    Object.freeze(this);
  }

  static unlimited<T>(): Unlimited<T> {
    return new Unlimited<T>(true, undefined);
  }

  static of<T>(value: T): Unlimited<T> {
    return new Unlimited<T>(false, value);
  }

  /** True for the word "unlimited" in any casing. */
  static isUnlimitedWord(input: unknown): boolean {
    return typeof input === 'string' && input.trim().toLowerCase() === 'unlimited';
  }

  static parse<T>(input: unknown, inner: Inner<T>): Unlimited<T> {
    if (input instanceof Unlimited) {
      return input.isUnlimited ? Unlimited.unlimited<T>() : Unlimited.of(inner(input.#value));
    }
    if (Unlimited.isUnlimitedWord(input)) return Unlimited.unlimited<T>();
    return Unlimited.of(inner(input));
  }

  /** The bounded value; throws when this is unlimited (check isUnlimited first). */
  get value(): T {
    if (this.isUnlimited) throw new ValueError('The value is unlimited and has no bounded value.', 'unlimited');
    return this.#value as T;
  }

  /** The bounded value, or undefined when unlimited. */
  get valueOrUndefined(): T | undefined {
    return this.#value;
  }

  /**
   * Orders two values with the given comparison for the bounded case;
   * unlimited is greater than any bounded value and equal to unlimited.
   */
  compareTo(other: Unlimited<T>, compare: (a: T, b: T) => number): number {
    if (this.isUnlimited || other.isUnlimited) return (this.isUnlimited ? 1 : 0) - (other.isUnlimited ? 1 : 0);
    return compare(this.#value as T, other.#value as T);
  }

  equals(other: unknown): boolean {
    if (!(other instanceof Unlimited)) return false;
    if (this.isUnlimited || other.isUnlimited) return this.isUnlimited === other.isUnlimited;
    return innerEquals(this.#value, other.#value);
  }

  toString(): string {
    return this.isUnlimited ? 'Unlimited' : String(this.#value);
  }

  toJSON(): unknown {
    return this.isUnlimited ? 'unlimited' : innerJSON(this.#value);
  }
}
