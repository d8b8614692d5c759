// Send-TlsReport (a Gatehouse cmdlet, not in Exchange): sends the TLS reports
// (RFC 8460) of the sessions counted so far, today's included, without
// waiting for the service's daily run. One report per policy domain and UTC
// day goes to the mailto: addresses of the domain's `_smtp._tls` TXT record,
// through the normal queue; domains that publish none are dropped. One row
// per report says what became of it.

import { MtaStsStore } from '../mta-sts/mta-sts-store.js';
import { sendTlsReports } from '../mta-sts/tls-report.js';
import { reportContext } from '../mta-sts/tls-reporting.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError, PSObject, type ObjectView } from '../shell/values.js';
import { tableView } from './object-commands.js';
import { transportConfigOf, withQueueDb } from './queue-view.js';
import type { ServerContext } from './server-context.js';

const TYPE = 'Gatehouse.TlsReport';

export function tlsReportCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Send-TlsReport',
      synopsis: "Gatehouse cmdlet: sends the pending TLS reports (RFC 8460) now, today's sessions included, instead of waiting for the daily run after midnight UTC.",
      parameters: [],
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      examples: [
        { code: 'Send-TlsReport', remarks: 'Queues a TLS report for each domain with counted sessions that publishes a _smtp._tls TXT record with a mailto: address.' },
        { code: 'Send-TlsReport | Format-List PolicyDomain,Status,Recipients,SuccessfulSessions,FailedSessions,Detail', remarks: 'Shows what became of each report.' },
      ],
      async invoke(_args, inv) {
        if (!(await inv.shouldProcess(ctx.name, 'Sending the pending TLS reports'))) return [];
        const config = transportConfigOf(ctx);
        let store: MtaStsStore;
        try {
          store = new MtaStsStore(ctx.dataDir);
        } catch (err) {
          throw new CmdletError(`The MTA-STS database of ${ctx.name} can't be opened: ${(err as Error).message}`, { reason: 'InvalidOperationException' });
        }
        try {
          const sent = await withQueueDb(ctx, (q) =>
            sendTlsReports(
              reportContext(config, store, (envelope, body) => q.store.accept(envelope, body), Date.now()),
              { includeToday: true },
            ),
          );
          return sent.map(
            (r) =>
              new PSObject(TYPE, [
                ['PolicyDomain', r.policyDomain],
                ['Status', r.status],
                ['Recipients', r.recipients],
                ['StartDate', r.startDate],
                ['EndDate', r.endDate],
                ['SuccessfulSessions', r.successfulSessions],
                ['FailedSessions', r.failedSessions],
                ['ReportId', r.reportId],
                ['Detail', r.detail ?? null],
              ]),
          );
        } finally {
          store.close();
        }
      },
    },
  ];
}

export const tlsReportViews: ObjectView[] = [tableView(TYPE, ['PolicyDomain', 'Status', 'Recipients', 'SuccessfulSessions', 'FailedSessions'])];
