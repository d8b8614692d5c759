// Prometheus metrics of the transport service (prom-client): messages
// received per Receive connector, delivered/deferred/failed per delivery
// type, SMTP sessions, TLS handshakes and authentication failures per
// connector, DNS lookup latency, and, read at scrape time, queue lengths and
// the age of their oldest message. Served with a health check on a local
// address given to `gatehouse start --metrics ADDRESS:PORT`.

import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface QueueSample {
  identity: string;
  deliveryType: string;
  status: string;
  messages: number;
  oldestAgeSeconds: number;
}

export class TransportMetrics {
  readonly registry = new Registry();
  readonly received: Counter<'connector'>;
  readonly sessions: Counter<'connector'>;
  readonly activeSessions: Gauge<'connector'>;
  readonly tlsHandshakes: Counter<'connector' | 'result'>;
  readonly authFailures: Counter<'connector'>;
  readonly outcomes: Counter<'delivery_type' | 'outcome'>;
  readonly dnsSeconds: Histogram<'kind' | 'result'>;

  constructor(queues: () => QueueSample[]) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'gatehouse_process_' });
    this.received = new Counter({ name: 'gatehouse_messages_received_total', help: 'Messages accepted (250 after DATA/BDAT), by Receive connector.', labelNames: ['connector'], registers: [r] });
    this.sessions = new Counter({ name: 'gatehouse_smtp_sessions_total', help: 'Inbound SMTP sessions, by Receive connector.', labelNames: ['connector'], registers: [r] });
    this.activeSessions = new Gauge({ name: 'gatehouse_smtp_sessions_active', help: 'Inbound SMTP sessions open now.', labelNames: ['connector'], registers: [r] });
    this.tlsHandshakes = new Counter({ name: 'gatehouse_tls_handshakes_total', help: 'Inbound STARTTLS handshakes, by result.', labelNames: ['connector', 'result'], registers: [r] });
    this.authFailures = new Counter({ name: 'gatehouse_auth_failures_total', help: 'Failed SMTP AUTH attempts, by Receive connector.', labelNames: ['connector'], registers: [r] });
    this.outcomes = new Counter({ name: 'gatehouse_recipients_total', help: 'Delivery outcomes per recipient: delivered, deferred, failed.', labelNames: ['delivery_type', 'outcome'], registers: [r] });
    this.dnsSeconds = new Histogram({ name: 'gatehouse_dns_lookup_seconds', help: 'DNS lookups for delivery (MX or smart host).', labelNames: ['kind', 'result'], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60], registers: [r] });
    // Queue gauges are computed when scraped.
    new Gauge({
      name: 'gatehouse_queue_messages', help: 'Messages waiting in each queue.', labelNames: ['queue', 'delivery_type', 'status'], registers: [r],
      collect() {
        this.reset();
        for (const q of queues()) this.set({ queue: q.identity, delivery_type: q.deliveryType, status: q.status }, q.messages);
      },
    });
    new Gauge({
      name: 'gatehouse_queue_oldest_message_age_seconds', help: 'Age of the oldest message waiting in each queue.', labelNames: ['queue', 'delivery_type'], registers: [r],
      collect() {
        this.reset();
        for (const q of queues()) this.set({ queue: q.identity, delivery_type: q.deliveryType }, q.oldestAgeSeconds);
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

export function startMetricsServer(host: string, port: number, metrics: TransportMetrics, health: () => { ok: boolean; detail: Record<string, unknown> }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      metrics.text().then((body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      }, (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics failed: ${err.message}\n`);
      });
      return;
    }
    if (req.url === '/health') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ok ? 'ok' : 'degraded', ...h.detail }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('try /metrics or /health\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
