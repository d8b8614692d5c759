// Outbound SMTP client for Send connectors: see connection.ts (session and sending) and
// classify.ts (transient/permanent decisions and the texts for LastError and NDRs).
export { OutboundConnection, isConnectFailure, type ConnectFailure, type TlsSessionInfo, type OutboundMessage, type OutboundPolicy, type OutboundTarget, type RecipientOutcome } from './connection.js';
export { classifyReplyCode, parseReply, type PeerReply } from './classify.js';
