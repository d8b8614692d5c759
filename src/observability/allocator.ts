// The C allocator's free pages, given back to the system: glibc's malloc_trim,
// through the project's small native addon (src/native/allocator.c, built by
// `npm ci`). Without the addon (not built, another C library) it does nothing.

import { createRequire } from 'node:module';

interface Allocator {
  trim(): boolean;
}

function load(): Allocator | null {
  try {
    // dist/src/observability/allocator.js -> build/Release at the package root.
    return createRequire(import.meta.url)('../../../build/Release/allocator.node') as Allocator;
  } catch {
    return null;
  }
}

const native = load();

/** Whether free memory can be given back on demand here. */
export const canReleaseFreeMemory = native !== null;

/** Gives the allocator's free pages back to the system; true when some were. */
export function releaseFreeMemory(): boolean {
  return native?.trim() ?? false;
}
