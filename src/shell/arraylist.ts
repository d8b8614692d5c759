// System.Collections.ArrayList and List[T] as scripts use them: an array
// that grows in place with Add (which returns the new index, hence the
// `[void]$list.Add($x)` idiom), AddRange, Remove, RemoveAt, Insert, Clear,
// Contains and IndexOf.

import { toArray, toStr } from './conversion.js';

export class ArrayList extends Array<unknown> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  /** The .NET type shown by GetType() and error messages. */
  declare readonly typeName: string;

  static create(typeName = 'System.Collections.ArrayList', items: unknown[] = []): ArrayList {
    const list = new ArrayList();
    Object.defineProperty(list, 'typeName', { value: typeName, enumerable: false });
    list.push(...items);
    return list;
  }

  /** ArrayList.Add returns the new index; List[T].Add returns nothing. */
  Add(item: unknown): number | undefined {
    this.push(item);
    return this.typeName === 'System.Collections.ArrayList' ? this.length - 1 : undefined;
  }
  AddRange(items: unknown): void {
    this.push(...toArray(items));
  }
  Insert(index: number, item: unknown): void {
    this.splice(index, 0, item);
  }
  Remove(item: unknown): void {
    const i = this.IndexOf(item);
    if (i >= 0) this.splice(i, 1);
  }
  RemoveAt(index: number): void {
    this.splice(index, 1);
  }
  Clear(): void {
    this.length = 0;
  }
  Contains(item: unknown): boolean {
    return this.IndexOf(item) >= 0;
  }
  IndexOf(item: unknown): number {
    return this.findIndex((x) => x === item || (typeof x !== 'object' && toStr(x) === toStr(item)));
  }
  ToArray(): unknown[] {
    return this.slice();
  }
}

/** `System.Collections.ArrayList`, `System.Collections.Generic.List[string]`...: the list type, or undefined. */
export function listTypeName(typeName: string): string | undefined {
  const t = typeName.trim().replace(/^system\./i, '');
  if (/^collections\.arraylist$/i.test(t)) return 'System.Collections.ArrayList';
  const m = /^collections\.generic\.list\s*\[(.+)\]$/i.exec(t);
  if (m) return `System.Collections.Generic.List\`1[[${m[1].trim()}]]`;
  return undefined;
}
