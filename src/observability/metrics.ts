// Prometheus metrics of the transport service (prom-client): messages
// received per Receive connector, delivered/deferred/failed per delivery
// type, SMTP sessions, TLS handshakes, authentication failures and refusals
// (by a small fixed set of reasons) per connector, DNS lookup latency, and,
// read at scrape time, queue lengths and the age of their oldest message.
// The Node.js process metrics keep prom-client's standard names (process_*,
// nodejs_*), so stock Node.js dashboards match; a scrape job named "gatehouse"
// tells them apart from other Node.js services (the README's convention). Served with a health check on the one
// address given to `gatehouse start --metrics ADDRESS:PORT` (never another).
// With --metrics-token-file, /metrics answers only a request carrying
// `Authorization: Bearer <token>` (401 with WWW-Authenticate otherwise);
// /health answers anyone with its status alone (a load balancer's check sends
// no token) and adds the detail (server, bound addresses, configuration) only
// for a request with the token.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from './logger.js';
import type { MetricsToken } from './metrics-token.js';

export interface QueueSample {
  identity: string;
  deliveryType: string;
  status: string;
  messages: number;
  oldestAgeSeconds: number;
}

/**
 * Why an SMTP command or connection was refused (gatehouse_smtp_refused_total{reason}): a fixed
 * set, so that a dashboard's queries hold and the label never grows with what clients send.
 */
export const REFUSAL_REASONS = [
  /** RCPT to a domain this server does not relay for (550 5.7.1 Unable to relay). */
  'relay_denied',
  /** RCPT to an address of an accepted domain that is nobody's (550 5.1.1 User unknown). */
  'unknown_recipient',
  /** A message over a size limit (MAIL SIZE=, DATA or BDAT, the sender's MaxSendSize). */
  'message_size',
  /** MessageRateLimit, or MaxConnectionRatePerMinute. */
  'rate_limit',
  /** MaxInboundConnection or MaxInboundConnectionPerSource. */
  'connection_limit',
  /** MAIL before STARTTLS on a connector that requires TLS, or Domain Security without mutual TLS. */
  'tls_required',
  /** A failed SMTP AUTH. */
  'auth_failed',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export class TransportMetrics {
  readonly registry = new Registry();
  readonly received: Counter<'connector'>;
  readonly sessions: Counter<'connector'>;
  readonly activeSessions: Gauge<'connector'>;
  readonly tlsHandshakes: Counter<'connector' | 'result'>;
  readonly authFailures: Counter<'connector'>;
  readonly refused: Counter<'connector' | 'reason'>;
  readonly outcomes: Counter<'delivery_type' | 'outcome'>;
  readonly agentDecisions: Counter<'agent' | 'action'>;
  readonly dnsSeconds: Histogram<'kind' | 'result'>;

  /** `info`: the server's identity and state for gatehouse_server_info (read at scrape time). */
  constructor(queues: () => QueueSample[], info?: () => { server: string; role: string; monitoringGroup: string; hubTransport: string }) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    this.received = new Counter({ name: 'gatehouse_messages_received_total', help: 'Messages accepted (250 after DATA/BDAT), by Receive connector.', labelNames: ['connector'], registers: [r] });
    this.agentDecisions = new Counter({ name: 'gatehouse_agent_decisions_total', help: 'Decisions of the anti-spam agents (Edge), by agent and action, as the agent log records them.', labelNames: ['agent', 'action'], registers: [r] });
    this.sessions = new Counter({ name: 'gatehouse_smtp_sessions_total', help: 'Inbound SMTP sessions, by Receive connector.', labelNames: ['connector'], registers: [r] });
    this.activeSessions = new Gauge({ name: 'gatehouse_smtp_sessions_active', help: 'Inbound SMTP sessions open now.', labelNames: ['connector'], registers: [r] });
    this.tlsHandshakes = new Counter({ name: 'gatehouse_tls_handshakes_total', help: 'Inbound STARTTLS handshakes, by result.', labelNames: ['connector', 'result'], registers: [r] });
    this.authFailures = new Counter({ name: 'gatehouse_auth_failures_total', help: 'Failed SMTP AUTH attempts, by Receive connector.', labelNames: ['connector'], registers: [r] });
    this.refused = new Counter({ name: 'gatehouse_smtp_refused_total', help: `Refusals sent to SMTP clients, by Receive connector and reason (${REFUSAL_REASONS.join(', ')}).`, labelNames: ['connector', 'reason'], registers: [r] });
    this.outcomes = new Counter({ name: 'gatehouse_recipients_total', help: 'Delivery outcomes per recipient: delivered, deferred, failed.', labelNames: ['delivery_type', 'outcome'], registers: [r] });
    this.dnsSeconds = new Histogram({ name: 'gatehouse_dns_lookup_seconds', help: 'DNS lookups for delivery (MX or smart host).', labelNames: ['kind', 'result'], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [r] });
    if (info) {
      new Gauge({
        name: 'gatehouse_server_info',
        help: 'Always 1: the server, its role, its MonitoringGroup (Set-ExchangeServer) and its HubTransport component state (maintenance mode).',
        labelNames: ['server', 'role', 'monitoring_group', 'hub_transport'],
        registers: [r],
        collect() {
          this.reset();
          const i = info();
          this.set({ server: i.server, role: i.role, monitoring_group: i.monitoringGroup, hub_transport: i.hubTransport }, 1);
        },
      });
    }
    // Queue gauges are computed when scraped.
    new Gauge({
      name: 'gatehouse_queue_messages',
      help: 'Messages waiting in each queue.',
      labelNames: ['queue', 'delivery_type', 'status'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of queues()) this.set({ queue: q.identity, delivery_type: q.deliveryType, status: q.status }, q.messages);
      },
    });
    new Gauge({
      name: 'gatehouse_queue_oldest_message_age_seconds',
      help: 'Age of the oldest message waiting in each queue.',
      labelNames: ['queue', 'delivery_type'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of queues()) this.set({ queue: q.identity, delivery_type: q.deliveryType }, q.oldestAgeSeconds);
      },
    });
  }

  /** Counts a refusal sent to a client of `connector`. */
  refusal(connector: string, reason: RefusalReason): void {
    this.refused.inc({ connector, reason });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Where the endpoint listens (an IP address, never a wildcard chosen for the admin) and its token. */
export interface MetricsEndpoint {
  host: string;
  port: number;
  token?: MetricsToken;
}

const REALM = 'Bearer realm="gatehouse metrics"';
/** Refused requests are logged at most this often (a scraper with a wrong token retries forever). */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export function startMetricsServer(endpoint: MetricsEndpoint, metrics: TransportMetrics, health: () => { ok: boolean; detail: Record<string, unknown> }, log?: Logger): Promise<Server> {
  const { host, port, token } = endpoint;
  let refused = 0;
  let refusalLoggedAt = 0;
  const refuse = (req: IncomingMessage, res: ServerResponse, invalid: boolean) => {
    refused++;
    const now = Date.now();
    if (log && now - refusalLoggedAt >= REFUSAL_LOG_INTERVAL_MS) {
      refusalLoggedAt = now;
      log.log('warn', 'metrics.request.refused', {
        peer: req.socket.remoteAddress,
        path: req.url,
        reason: invalid ? 'wrong token or scheme in Authorization' : 'no Authorization header',
        refusedSinceLastLine: refused,
        action: `give the scraper the token in ${token!.file} as "Authorization: Bearer <token>" (Prometheus: authorization.credentials_file)`,
      });
      refused = 0;
    }
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': invalid ? `${REALM}, error="invalid_token"` : REALM });
    res.end('401 Unauthorized: send Authorization: Bearer <token> (the token is in the file given to --metrics-token-file)\n');
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' && path !== '/health') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('try /metrics or /health\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
      res.end('only GET and HEAD\n');
      return;
    }
    const auth = token ? token.check(req.headers.authorization) : 'valid';
    if (auth === 'invalid' || (auth === 'absent' && path === '/metrics')) return refuse(req, res, auth === 'invalid');
    if (path === '/metrics') {
      metrics.text().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}\n`);
        },
      );
      return;
    }
    const h = health();
    res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: h.ok ? 'ok' : 'degraded', ...(auth === 'valid' && h.detail) }) + '\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const hint = err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : err.code === 'EADDRINUSE' ? `another process listens on ${where}` : err.code === 'EACCES' ? `port ${port} needs privileges` : err.message;
      reject(new Error(`the metrics endpoint cannot listen on ${where}: ${hint}; give another --metrics ADDRESS:PORT`));
    });
    // exclusive: this process alone owns the address (no sharing with cluster workers).
    server.listen({ port, host, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => log?.log('error', 'metrics.server.failed', { error: err.message, action: 'restart the service to serve /metrics again' }));
      resolve(server);
    });
  });
}
