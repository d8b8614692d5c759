// The SMTP protocol logs (spec exchange-operations.md §4): CSV files
// RECVyyyymmdd-n.LOG in ReceiveProtocolLogPath, shared by every Receive
// connector with ProtocolLoggingLevel Verbose, and SENDyyyymmdd-n.LOG in
// SendProtocolLogPath for Send connectors; Exchange's header and fields, and
// Set-TransportService's MaxFileSize, MaxAge and MaxDirectorySize. AUTH
// payloads never reach it (the sessions write placeholders).

import type { Logger } from '../observability/logger.js';
import { RollingLog, type RollingLogSettings } from '../observability/rolling-log.js';

const FIELDS = ['date-time', 'connector-id', 'session-id', 'sequence-number', 'local-endpoint', 'remote-endpoint', 'event', 'data', 'context'];

export type ProtocolLogSettings = RollingLogSettings;

export type ProtocolEvent = '+' | '-' | '>' | '<' | '*';

export interface ProtocolLogLine {
  connector: string;
  session: string;
  sequence: number;
  local: string;
  remote: string;
  event: ProtocolEvent;
  data: string;
  context?: string;
}

export class ProtocolLog {
  private readonly file: RollingLog;

  constructor(settings: () => ProtocolLogSettings, log: Logger, kind: 'RECV' | 'SEND' = 'RECV') {
    const direction = kind === 'RECV' ? 'Receive' : 'Send';
    this.file = new RollingLog(settings, { prefix: kind, logType: `SMTP ${direction} Protocol Log`, fields: FIELDS, pathParameter: `${direction}ProtocolLogPath` }, log);
  }

  write(line: ProtocolLogLine, now = new Date()): void {
    this.file.write([line.connector, line.session, String(line.sequence), line.local, line.remote, line.event, line.data, line.context ?? ''], now);
  }

  /** Ends the current file; resolves once its lines are written. */
  close(): Promise<void> {
    return this.file.close();
  }

  get currentFile(): string {
    return this.file.currentFile;
  }
}
