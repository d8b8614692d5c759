// Errors raised while writing or reading a Maildir.
// Invariant: every filesystem failure reaching a caller of this module is a
// MaildirDeliveryError; `transient` tells the caller whether to retry later
// (disk full, permissions, a missing or blocked folder: conditions an
// administrator can fix) or to give up (input that can never be stored).

const PERMANENT_CODES = new Set(['EFBIG', 'ENAMETOOLONG', 'EINVAL']);

const EXPLANATIONS: Record<string, string> = {
  ENOSPC: 'no space left on the mailbox volume',
  EDQUOT: 'disk quota exceeded on the mailbox volume',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the mailbox volume is read-only',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'a file is in the way',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EFBIG: 'the message is too large for the mailbox volume',
  ENAMETOOLONG: 'the path is too long',
};

export class MaildirDeliveryError extends Error {
  override readonly name = 'MaildirDeliveryError';
  /** True when the same delivery may succeed later (defer); false when it never will (fail). */
  readonly transient: boolean;
  /** The errno code (ENOSPC, EACCES, ...) or EINVAL for rejected input. */
  readonly code: string;
  /** The path the failing operation was working on, when there was one. */
  readonly path: string | undefined;

  constructor(message: string, options: { code: string; transient: boolean; path?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.transient = options.transient;
    this.path = options.path;
  }
}

/** Wraps a Node filesystem error (or anything thrown) as a MaildirDeliveryError. */
export function maildirError(action: string, path: string, err: unknown): MaildirDeliveryError {
  if (err instanceof MaildirDeliveryError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
  const why = EXPLANATIONS[code] ?? (err instanceof Error ? err.message : String(err));
  return new MaildirDeliveryError(`Maildir ${action} failed for ${path}: ${why} (${code})`, {
    code,
    transient: !PERMANENT_CODES.has(code),
    path,
    cause: err,
  });
}

/** Input that can never be delivered as given (permanent). */
export function invalidInput(message: string): MaildirDeliveryError {
  return new MaildirDeliveryError(message, { code: 'EINVAL', transient: false });
}
