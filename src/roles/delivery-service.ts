// Outbound delivery of the local queue, put together: the scheduler
// (queue/delivery-scheduler.ts) runs routing (routing/recipient-routing.ts)
// and starts each due delivery queue, over SMTP (smtp/outbound/fan-out.ts, the
// next hop from routing/next-hop.ts) or into local mailboxes
// (mailbox/local-delivery.ts); failures go to Retry (QueueRetry) or are
// reported to the sender (queue/failure-reports.ts, DSNs submitted by
// queue/dsn-submission.ts). DSNs are new messages that are routed like any
// other; none is ever sent to the null sender.

import type { Logger } from '../observability/logger.js';
import { trackingOf } from '../queue/delivery-context.js';
import type { DeliveryState } from '../queue/delivery-state.js';
import { DeliveryScheduler, QueueRetry } from '../queue/delivery-scheduler.js';
import type { DsnInput } from '../queue/dsn.js';
import { FailureReports } from '../queue/failure-reports.js';
import type { SqliteQueueStore } from '../queue/sqlite-queue-store.js';
import { LocalDelivery, type DeliverLocal } from '../mailbox/local-delivery.js';
import type { RecipientInfo } from '../routing/categorizer.js';
import { NextHops, type ResolverLike } from '../routing/next-hop.js';
import { RecipientRouting } from '../routing/recipient-routing.js';
import { SmtpFanOut, type SmtpFanOutDeps } from '../smtp/outbound/fan-out.js';
import type { TransportConfig } from '../config/transport-config.js';

export interface DeliveryDeps extends Pick<SmtpFanOutDeps, 'connect' | 'credential' | 'trustedCertificates' | 'clientCertificate' | 'dkim' | 'sendProtocolLog' | 'connectivityLog' | 'mtaSts' | 'dane' | 'metrics'> {
  store: SqliteQueueStore;
  state: DeliveryState;
  config: () => TransportConfig;
  resolver: (kind: 'external' | 'internal') => ResolverLike;
  buildDsn: (input: DsnInput) => Buffer;
  /** Mailbox servers: the organization's recipients, for routing (groups, mailboxes, owning server). */
  recipients?: (address: string) => RecipientInfo | null;
  /** Mailbox servers: delivery of one message into one local mailbox (Maildir). */
  deliverLocal?: DeliverLocal;
  log: Logger;
  now?: () => number;
}

export class DeliveryService {
  private readonly scheduler: DeliveryScheduler;
  private readonly routing: RecipientRouting;

  constructor(deps: DeliveryDeps) {
    const { store, state, log } = deps;
    const now = deps.now ?? Date.now;
    const context = { store, state, log, now, track: trackingOf(store, log), stopped: () => this.scheduler.stopped };
    const reports = new FailureReports({ ...context, buildDsn: deps.buildDsn });
    this.routing = new RecipientRouting({ ...context, reports, ...(deps.recipients && { recipients: deps.recipients }) });
    const smtp = new SmtpFanOut({
      ...context,
      reports,
      nextHops: new NextHops({ resolver: deps.resolver, now }),
      queues: new QueueRetry({ ...context, reports }),
      reroute: () => this.configurationChanged(),
      connect: deps.connect,
      credential: deps.credential,
      trustedCertificates: deps.trustedCertificates,
      clientCertificate: deps.clientCertificate,
      dkim: deps.dkim,
      sendProtocolLog: deps.sendProtocolLog,
      connectivityLog: deps.connectivityLog,
      mtaSts: deps.mtaSts,
      dane: deps.dane,
      metrics: deps.metrics,
    });
    const mailboxes = deps.deliverLocal ? new LocalDelivery({ ...context, deliverLocal: deps.deliverLocal, reports, metrics: deps.metrics }) : null;
    this.scheduler = new DeliveryScheduler({
      ...context,
      config: deps.config,
      reports,
      localDelivery: mailboxes !== null,
      route: (config, at) => this.routing.routePending(config, at),
      run: (q, config) => (q.deliveryType === 'SmtpDeliveryToMailbox' ? mailboxes!.deliver(q, config) : smtp.deliverQueue(q, config)),
    });
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  /** The configuration changed: waiting recipients are routed again (Unreachable drains when a connector appears). */
  configurationChanged(): void {
    this.routing.rerouteAll();
  }

  /** One scheduling pass (also called by tests). */
  tick(): Promise<void> {
    return this.scheduler.tick();
  }
}
