// Every cmdlet of a server's shell, and the default views of their objects.

import type { CommandSpec } from '../shell/command.js';
import { onItsServer, RUN_ON_ITS_SERVER } from './cross-server.js';
import type { ObjectView } from '../shell/values.js';
import { acceptedDomainCommands, acceptedDomainViews } from './accepted-domain.js';
import { adminAuditLogCommands, adminAuditLogViews } from './admin-audit-log.js';
import { directoryCommands, directoryViews } from './directory-accounts.js';
import { distributionGroupCommands, distributionGroupViews } from './distribution-group.js';
import { certificateCommands, certificateViews } from './exchange-certificate.js';
import { mailboxStatisticsCommands, mailboxStatisticsViews } from './mailbox-statistics.js';
import { messageTrackingCommands, messageTrackingViews } from './message-tracking.js';
import { localAccountCommands, localAccountViews } from './local-accounts.js';
import { mailboxCommands, mailboxViews } from './mailbox.js';
import { mailboxDatabaseCommands, mailboxDatabaseViews } from './mailbox-database.js';
import { netCommands } from './net-command.js';
import { passwordPolicyCommands, passwordPolicyViews } from './password-policy.js';
import { queueCommands, queueViews } from './queue-commands.js';
import { agentLogCommands, agentLogViews } from './agent-log.js';
import { antispamConfigCommands, antispamConfigViews } from './antispam-config.js';
import { ipListCommands, ipListViews } from './ip-lists.js';
import { contentFilterPhraseCommands, contentFilterPhraseViews } from './content-filter-phrase.js';
import { attachmentFilterEntryCommands, attachmentFilterEntryViews } from './attachment-filter-entry.js';
import { addressRewriteEntryCommands, addressRewriteEntryViews } from './address-rewrite-entry.js';
import { dkimSigningConfigCommands, dkimSigningConfigViews } from './dkim-signing-config.js';
import { transportAgentCommands, transportAgentViews } from './transport-agent.js';
import { queueDigestCommands, queueDigestViews } from './queue-digest.js';
import { messageCommands, messageViews } from './queue-messages.js';
import { receiveConnectorCommands, receiveConnectorViews } from './receive-connector.js';
import { recipientCommands, recipientViews } from './recipient-common.js';
import { roleGroupCommands, roleGroupViews } from './role-group.js';
import { sendConnectorCommands, sendConnectorViews } from './send-connector.js';
import type { ServerContext } from './server-context.js';
import { testMailflowCommands, testMailflowViews } from './test-mailflow.js';
import { traceMailflowCommands, traceMailflowViews } from './trace-mailflow.js';
import { transportServiceCommands, transportServiceViews } from './transport-service.js';
import { registerValueTypes } from './object-values.js';
import { registerHelpExamples } from './help-examples.js';
import { transportConfigCommands, transportConfigViews } from './transport-config.js';
import { serverComponentStateCommands, serverComponentStateViews } from './server-component-state.js';
import { remoteDomainCommands, remoteDomainViews } from './remote-domain.js';
import { exportCertificateCommands } from './export-exchange-certificate.js';
import { redirectMessageCommands } from './redirect-message.js';
import { setExchangeServerCommands } from './set-exchange-server.js';
import { powerShellVirtualDirectoryCommands, powerShellVirtualDirectoryViews } from './powershell-virtual-directory.js';
import { tlsReportCommands, tlsReportViews } from './tls-report.js';

export function serverCommands(ctx: ServerContext): CommandSpec[] {
  registerValueTypes();
  registerHelpExamples();
  return allCommands(ctx).map((c) => (RUN_ON_ITS_SERVER[c.name.toLowerCase()] ? onItsServer(ctx, c) : c));
}

function allCommands(ctx: ServerContext): CommandSpec[] {
  return [
    ...sendConnectorCommands(ctx),
    ...receiveConnectorCommands(ctx),
    ...acceptedDomainCommands(ctx),
    ...transportServiceCommands(ctx),
    ...localAccountCommands(ctx),
    ...directoryCommands(ctx),
    ...passwordPolicyCommands(ctx),
    ...netCommands(ctx),
    ...mailboxDatabaseCommands(ctx),
    ...mailboxCommands(ctx),
    ...distributionGroupCommands(ctx),
    ...recipientCommands(ctx),
    ...certificateCommands(ctx),
    ...mailboxStatisticsCommands(ctx),
    ...messageTrackingCommands(ctx),
    ...queueCommands(ctx),
    ...queueDigestCommands(ctx),
    ...messageCommands(ctx),
    ...testMailflowCommands(ctx),
    ...traceMailflowCommands(ctx),
    ...transportConfigCommands(ctx),
    ...serverComponentStateCommands(ctx),
    ...remoteDomainCommands(ctx),
    ...exportCertificateCommands(ctx),
    ...redirectMessageCommands(ctx),
    ...setExchangeServerCommands(ctx),
    ...roleGroupCommands(ctx),
    ...adminAuditLogCommands(ctx),
    ...powerShellVirtualDirectoryCommands(ctx),
    ...transportAgentCommands(ctx),
    ...antispamConfigCommands(ctx),
    ...ipListCommands(ctx),
    ...contentFilterPhraseCommands(ctx),
    ...attachmentFilterEntryCommands(ctx),
    ...addressRewriteEntryCommands(ctx),
    ...dkimSigningConfigCommands(ctx),
    ...agentLogCommands(ctx),
    ...tlsReportCommands(ctx),
  ];
}

export const serverViews: ObjectView[] = [
  ...sendConnectorViews,
  ...receiveConnectorViews,
  ...acceptedDomainViews,
  ...transportServiceViews,
  ...localAccountViews,
  ...directoryViews,
  ...passwordPolicyViews,
  ...mailboxDatabaseViews,
  ...mailboxViews,
  ...distributionGroupViews,
  ...recipientViews,
  ...certificateViews,
  ...mailboxStatisticsViews,
  ...messageTrackingViews,
  ...queueViews,
  ...transportAgentViews,
  ...antispamConfigViews,
  ...ipListViews,
  ...contentFilterPhraseViews,
  ...attachmentFilterEntryViews,
  ...addressRewriteEntryViews,
  ...dkimSigningConfigViews,
  ...agentLogViews,
  ...tlsReportViews,
  ...queueDigestViews,
  ...messageViews,
  ...testMailflowViews,
  ...traceMailflowViews,
  ...transportConfigViews,
  ...serverComponentStateViews,
  ...remoteDomainViews,
  ...roleGroupViews,
  ...adminAuditLogViews,
  ...powerShellVirtualDirectoryViews,
];
