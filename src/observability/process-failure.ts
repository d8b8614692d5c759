// What the transport service does with an error nothing caught (an exception
// thrown out of a callback, or a promise rejected with no handler): its state
// can no longer be trusted, so it logs the error with its stack (event
// "service.crashed") and exits with EXIT_CRASHED. The systemd unit
// (contrib/systemd/gatehouse@.service, Restart=on-failure) starts it again;
// the queue is on disk, so the messages it held are delivered after the
// restart. See docs/log-events.md.

import type { Logger } from './logger.js';

/** The exit status after an uncaught error: EX_SOFTWARE of sysexits.h, apart from the 1 of a service that cannot start. */
export const EXIT_CRASHED = 70;

/** The part of `process` the policy uses (a test passes an EventEmitter with an exit of its own). */
export interface ProcessEvents {
  on(event: 'uncaughtException', listener: (err: unknown) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
}

function describe(err: unknown): { error: string; stack?: string } {
  if (err instanceof Error) return { error: err.message, ...(err.stack !== undefined && { stack: err.stack }) };
  return { error: String(err) };
}

/** Logs an uncaught exception or unhandled rejection of proc, then exits with EXIT_CRASHED. */
export function exitOnUncaughtErrors(proc: ProcessEvents, log: Logger): void {
  let exiting = false;
  const crash = (origin: 'uncaughtException' | 'unhandledRejection', err: unknown) => {
    if (exiting) return;
    exiting = true;
    try {
      log.log('error', 'service.crashed', {
        origin,
        ...describe(err),
        exitCode: EXIT_CRASHED,
        action: 'the service exits and systemd starts it again (Restart=on-failure); queued messages wait on disk. Report the stack: this is a bug',
      });
    } finally {
      proc.exit(EXIT_CRASHED);
    }
  };
  proc.on('uncaughtException', (err) => crash('uncaughtException', err));
  proc.on('unhandledRejection', (reason) => crash('unhandledRejection', reason));
}
