// The agent log (spec exchange-edge-agents.md §5): every decision of an
// anti-spam agent, one CSV line per recipient, in AGENTLOGyyyymmdd-n.LOG files
// under Set-TransportService -AgentLogPath, with Exchange's header and fields
// and the same size and age limits as the other logs. Get-AgentLog reads it.

import type { Logger } from '../observability/logger.js';
import { RollingLog, type RollingLogSettings } from '../observability/rolling-log.js';

export const AGENT_LOG_FIELDS = [
  'Timestamp',
  'SessionId',
  'LocalEndpoint',
  'RemoteEndpoint',
  'EnteredOrgFromIP',
  'MessageId',
  'P1FromAddress',
  'P2FromAddresses',
  'Recipient',
  'NumRecipients',
  'Agent',
  'Event',
  'Action',
  'SmtpResponse',
  'Reason',
  'ReasonData',
  'Diagnostics',
] as const;

export type AgentEvent = 'OnConnectEvent' | 'OnMailCommand' | 'OnRcptCommand' | 'OnEndOfHeaders' | 'OnEndOfData';
export type AgentAction = 'AcceptMessage' | 'DeleteMessage' | 'DeleteRecipients' | 'Disconnect' | 'QuarantineMessage' | 'RejectCommand' | 'RejectConnection' | 'RejectMessage' | 'RejectRecipients';

export interface AgentLogEntry {
  sessionId: string;
  localEndpoint: string;
  remoteEndpoint: string;
  enteredOrgFromIp: string;
  messageId?: string;
  p1From?: string;
  p2From?: string[];
  recipients: string[];
  numRecipients?: number;
  agent: string;
  event: AgentEvent;
  action: AgentAction;
  smtpResponse?: string;
  reason: string;
  reasonData?: string;
  diagnostics?: string;
}

export type AgentLogSettings = RollingLogSettings & { enabled: boolean };

export class AgentLog {
  private readonly file: RollingLog;

  constructor(
    private readonly settings: () => AgentLogSettings,
    log: Logger,
  ) {
    this.file = new RollingLog(settings, { prefix: 'AGENTLOG', logType: 'Agent Log', fields: [...AGENT_LOG_FIELDS], pathParameter: 'AgentLogPath' }, log);
  }

  /** Writes one line per recipient (one line without a recipient for a decision before RCPT). */
  write(e: AgentLogEntry, now = new Date()): void {
    if (!this.settings().enabled) return;
    for (const recipient of e.recipients.length > 0 ? e.recipients : ['']) {
      // The file's first field, the time, is written by the log itself.
      this.file.write(
        [
          e.sessionId,
          e.localEndpoint,
          e.remoteEndpoint,
          e.enteredOrgFromIp,
          e.messageId ?? '',
          e.p1From ?? '',
          (e.p2From ?? []).join(';'),
          recipient,
          String(e.numRecipients ?? e.recipients.length),
          e.agent,
          e.event,
          e.action,
          e.smtpResponse ?? '',
          e.reason,
          e.reasonData ?? '',
          e.diagnostics ?? '',
        ],
        now,
      );
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
