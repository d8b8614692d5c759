// The connectivity log (Exchange's Logs\Connectivity): one session per
// delivery attempt of a queue, CONNECTLOGyyyymmdd-n.LOG with the fields
// date-time,session,source,Destination,direction,description. A session opens
// (+) with the queue, notes (>) how the next hop resolved, every connection
// attempt and its TLS outcome, and closes (-) with what it sent. It answers
// "why is this queue stuck" without protocol logging on every connector.

import type { Logger } from '../../observability/logger.js';
import { RollingLog, type RollingLogSettings } from '../../observability/rolling-log.js';
import { SessionIds } from '../../observability/session-id.js';

export interface ConnectivityLogSettings extends RollingLogSettings {
  enabled: boolean;
}

const FIELDS = ['date-time', 'session', 'source', 'Destination', 'direction', 'description'];

export class ConnectivityLog {
  private readonly file: RollingLog;
  private readonly sessionIds = new SessionIds();

  constructor(
    private readonly settings: () => ConnectivityLogSettings,
    log: Logger,
  ) {
    this.file = new RollingLog(settings, { prefix: 'CONNECTLOG', logType: 'Transport Connectivity Log', fields: FIELDS, pathParameter: 'ConnectivityLogPath' }, log);
  }

  /** Starts a session for a queue's delivery attempt; null when the log is disabled. */
  open(destination: string, description: string): ConnectivitySession | null {
    if (!this.settings().enabled) return null;
    const id = this.sessionIds.next();
    const session = new ConnectivitySession(id, destination, (direction, text) => this.file.write([id, 'SMTP', destination, direction, text]));
    session.write('+', description);
    return session;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

export class ConnectivitySession {
  messages = 0;
  bytes = 0;
  private ended = false;

  constructor(
    readonly id: string,
    readonly destination: string,
    readonly write: (direction: '+' | '>' | '-', text: string) => void,
  ) {}

  note(text: string): void {
    if (!this.ended) this.write('>', text);
  }

  sent(bytes: number): void {
    this.messages++;
    this.bytes += bytes;
  }

  end(outcome?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.write('-', `Messages: ${this.messages} Bytes: ${this.bytes}${outcome ? ` (${outcome})` : ''}`);
  }
}
