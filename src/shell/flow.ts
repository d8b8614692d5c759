// Control flow that leaves statements early: break, continue, return and
// exit travel as exceptions to the loop, function or script that handles
// them. Output already written by the statements they leave is carried along
// (pendingOutput), so `"a"; return "b"` writes both, and output written in a
// try block before an error still reaches the pipeline.

export class BreakSignal extends Error {
  override name = 'BreakSignal';
  constructor(readonly label?: string) {
    super('break');
  }
}

export class ContinueSignal extends Error {
  override name = 'ContinueSignal';
  constructor(readonly label?: string) {
    super('continue');
  }
}

export class ReturnSignal extends Error {
  override name = 'ReturnSignal';
  constructor() {
    super('return');
  }
}

/** `exit [code]`: ends the script (or the interactive session). */
export class ExitSignal extends Error {
  override name = 'ExitSignal';
  constructor(readonly code: number) {
    super('exit');
  }
}

export function isFlowSignal(e: unknown): e is BreakSignal | ContinueSignal | ReturnSignal | ExitSignal {
  return e instanceof BreakSignal || e instanceof ContinueSignal || e instanceof ReturnSignal || e instanceof ExitSignal;
}

const pending = new WeakMap<object, unknown[]>();

/** Records output written before `e` left the statements that produced it (outer output first). */
export function addPendingOutput(e: unknown, output: unknown[]): void {
  if (output.length === 0 || e === null || typeof e !== 'object') return;
  const list = pending.get(e);
  if (list) list.unshift(...output);
  else pending.set(e, output.slice());
}

/** Takes (and clears) the output carried by `e`. */
export function takePendingOutput(e: unknown): unknown[] {
  if (e === null || typeof e !== 'object') return [];
  const list = pending.get(e);
  if (!list) return [];
  pending.delete(e);
  return list;
}

/** Moves carried output from one error object to its replacement. */
export function movePendingOutput(from: unknown, to: unknown): void {
  if (from === to) return;
  const list = takePendingOutput(from);
  addPendingOutput(to, list);
}

/** Does a loop with `loopLabel` handle a break/continue aimed at `label`? */
export function labelMatches(label: string | undefined, loopLabel: string | undefined): boolean {
  return label === undefined || (loopLabel !== undefined && label.toLowerCase() === loopLabel.toLowerCase());
}
