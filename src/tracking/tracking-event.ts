// A message tracking event with Exchange's fields (spec exchange-operations.md
// §3.2; property names as Get-MessageTrackingLog shows them). Every queue
// transition writes one; the RECEIVE event is written in the same transaction
// that accepts the message.

export type TrackingEventId = 'RECEIVE' | 'SUBMIT' | 'EXPAND' | 'RESOLVE' | 'SEND' | 'DELIVER' | 'DEFER' | 'FAIL' | 'DSN' | 'POISONMESSAGE' | 'DROP' | 'REDIRECT';

export type TrackingSource = 'SMTP' | 'STOREDRIVER' | 'ROUTING' | 'QUEUE' | 'DSN' | 'DNS' | 'AGENT' | 'GATEWAY';

export interface TrackingEvent {
  timestamp: Date;
  clientIp?: string;
  clientHostname?: string;
  serverIp?: string;
  serverHostname?: string;
  sourceContext?: string;
  connectorId?: string;
  source: TrackingSource;
  eventId: TrackingEventId;
  internalMessageId: number;
  messageId?: string;
  networkMessageId?: string;
  recipients: string[];
  recipientStatus?: string[];
  totalBytes?: number;
  relatedRecipientAddress?: string;
  recipientCount?: number;
  messageSubject?: string;
  sender?: string;
  returnPath?: string;
  directionality?: 'Incoming' | 'Originating' | 'Undefined';
  /** The first client outside Set-TransportConfig -InternalSMTPServers (RECEIVE events). */
  originalClientIp?: string;
}
