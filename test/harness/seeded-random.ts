// A small seeded pseudo-random generator (mulberry32): "random" input, kill
// moments and fuzz cases come out the same for the same seed, so a failure
// can be replayed.

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds the seed, and how to replay it, to an error's message. */
export function namingSeed(err: unknown, seed: number, replay: string): unknown {
  if (err instanceof Error && !err.message.includes(`(seed ${seed}`)) err.message = `${err.message} (seed ${seed}; replay: ${replay})`;
  return err;
}

/**
 * node:assert (or any object of checks) whose every failure names the seed:
 * each call's AssertionError gets "(seed N; replay: ...)" added to its
 * message, its own diff kept.
 */
export function seededAssert<T extends object>(checks: T, seed: number, replay: string): T {
  const wrap =
    (fn: (...args: unknown[]) => unknown, self: unknown) =>
    (...args: unknown[]) => {
      try {
        return fn.apply(self, args);
      } catch (err) {
        throw namingSeed(err, seed, replay);
      }
    };
  return new Proxy(checks, {
    apply: (target, self, args) => wrap(target as (...a: unknown[]) => unknown, self)(...args),
    get: (target, prop, receiver) => {
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? wrap(value as (...a: unknown[]) => unknown, target) : value;
    },
  });
}
