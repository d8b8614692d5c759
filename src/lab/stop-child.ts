// Stopping a process this program started, by its PID: a polite signal
// (SIGTERM by default), then SIGKILL if it has not exited after graceMs.
// Resolves once it has exited (at once if it already had).

import type { ChildProcess } from 'node:child_process';

export function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
