// V8's gc(), which Node exposes only behind a flag: the flag is set for the process when first
// asked, and the function is taken from a fresh context (where the flag makes it appear). Null
// where that is not possible; callers then leave collections to V8.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection. */
export type Gc = () => void;

export function exposedGc(): Gc | null {
  const existing = (globalThis as { gc?: Gc }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    return null;
  }
}
