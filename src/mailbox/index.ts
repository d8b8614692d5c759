// Mailbox delivery as Maildir: the public surface of src/mailbox.
// Invariant: callers use only these exports; file layout details stay inside.

export { deliverToMaildir, type MaildirDelivery, type MaildirEnvelope } from './deliver.js';
export { maildirStatistics, type MaildirStatistics } from './statistics.js';
export { MaildirDeliveryError } from './errors.js';
export { MaildirSizes, MailboxFullError, crossesWarning, formatBytes, quotaWarningMessage } from './quota.js';
