// The local queue: what the server has accepted and not yet finished with.
//
// A message is written once (envelope, body, recipients, and its RECEIVE
// tracking event) by `accept`, durably, before the client hears 250. After
// that only the small recipient rows change (routing, attempts, outcome); the
// body never moves. The routing and delivery side reads through `pending` and
// the per-recipient updates that the next issue adds here.

export interface RecipientInput {
  address: string;
  /** DSN original recipient (RFC 3461 ORCPT), decoded: "rfc822;user@domain". */
  orcpt?: string;
  /** DSN NOTIFY: NEVER, or a subset of SUCCESS, FAILURE, DELAY. */
  notify?: string[];
}

/** Everything known about a message when it was accepted. */
export interface Envelope {
  /** Reverse path; '' for the null sender (<>). */
  sender: string;
  recipients: RecipientInput[];
  /** DSN RET and ENVID (RFC 3461), BODY type, SMTPUTF8. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /**
   * REQUIRETLS (RFC 8689) on MAIL FROM: every onward SMTP hop must be TLS with a validated
   * certificate that carries the host's name, and must itself offer REQUIRETLS; else the message fails.
   */
  requireTls?: boolean;
  bodyType: '7BIT' | '8BITMIME' | 'BINARYMIME';
  smtputf8: boolean;
  /** Receive connector (Server\Name) and the session's principal. */
  connector: string;
  authenticatedAs?: string;
  principal: string;
  clientIp: string;
  clientHelo: string;
  serverIp: string;
  serverFqdn: string;
  tls?: { protocol: string; cipher: string };
  /** The Message-ID header value (added when the message had none) and Subject, for tracking. */
  messageId: string;
  subject: string;
  /** Header From/Sender for tracking. */
  headerFrom: string;
  receivedAt: Date;
  /** How the original sender authenticated (X-MS-Exchange-Organization-AuthAs): Anonymous or Internal. */
  authAs?: string;
  /** Set-TransportConfig -InternalSMTPServers in use: the first client outside them (tracking OriginalClientIp). */
  originalClientIp?: string;
  /** An automatic message (smtp/inbound/message-class.ts), for the remote domains' settings. */
  messageClass?: 'AutoReply' | 'AutoForward' | 'DeliveryReport' | 'NonDeliveryReport';
}

/** A body written to a spool file (queue/spool.ts), fsync'd, for a large message. */
export interface SpooledBody {
  /** The file's name in the spool folder. */
  file: string;
  /** Its size in octets. */
  size: number;
}

export interface AcceptedMessage {
  /** InternalMessageId: this server's number for the message. */
  internalId: number;
}

export interface QueuedMessage {
  internalId: number;
  envelope: Envelope;
  size: number;
}

export interface QueueStore {
  /**
   * Stores the message durably (the promise resolves only after the data is
   * on disk) together with its RECEIVE tracking event. Concurrent calls are
   * committed together. `body` is the whole message, or with `spooled` the
   * header and the empty line, the body being the spool file.
   */
  accept(envelope: Envelope, body: Buffer, spooled?: SpooledBody): Promise<AcceptedMessage>;
  /** Messages with recipients still to handle, oldest first. */
  pending(limit: number): QueuedMessage[];
  /** The stored body of a message. */
  body(internalId: number): Buffer | undefined;
  count(): number;
  close(): void;
}
