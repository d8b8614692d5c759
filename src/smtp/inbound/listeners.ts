// The listening sockets of the Receive connectors. `apply(plan)` opens the
// sockets a new configuration needs, closes those it no longer needs (their
// sessions carry on) and leaves unchanged ones alone, so a
// Set-ReceiveConnector -Bindings moves a listener without dropping anything
// else. A socket that cannot be bound is reported with its connectors' names
// and the others keep running.

import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../observability/logger.js';
import type { ListenAddress } from './connector-selection.js';

export interface BoundListener {
  key: string;
  address: string;
  port: number;
  connectors: string[];
}

export class Listeners {
  private readonly servers = new Map<string, { server: Server; plan: ListenAddress }>();
  /** The planned sockets that could not be bound at the last apply, with why. */
  private failed: { address: string; port: number; connectors: string[]; reason: string }[] = [];

  constructor(
    private readonly onConnection: (socket: Socket) => void,
    private readonly log: Logger,
  ) {}

  /** Brings the sockets in line with the plan; resolves when every new socket is bound or has failed. */
  async apply(plan: ListenAddress[]): Promise<BoundListener[]> {
    const wanted = new Map(plan.map((p) => [p.key, p]));
    for (const [key, entry] of this.servers) {
      if (!wanted.has(key)) {
        entry.server.close();
        this.servers.delete(key);
        this.log.log('info', 'smtp.in.listener.closed', { address: `${entry.plan.address}:${entry.plan.port}` });
      } else {
        entry.plan = wanted.get(key)!;
      }
    }
    this.failed = [];
    await Promise.all(plan.filter((p) => !this.servers.has(p.key)).map((p) => this.open(p)));
    return this.bound();
  }

  bound(): BoundListener[] {
    return [...this.servers.values()].map(({ server, plan }) => {
      const addr = server.address();
      const port = addr && typeof addr === 'object' ? addr.port : plan.port;
      return { key: plan.key, address: plan.address, port, connectors: plan.connectors };
    });
  }

  failures(): { address: string; port: number; connectors: string[]; reason: string }[] {
    return [...this.failed];
  }

  close(): Promise<void> {
    const closing = [...this.servers.values()].map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())));
    this.servers.clear();
    return Promise.all(closing).then(() => undefined);
  }

  private open(plan: ListenAddress): Promise<void> {
    return new Promise((resolve) => {
      const server = createServer({ noDelay: true, pauseOnConnect: false }, this.onConnection);
      const fail = (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE' ? 'the port is taken by another program' : err.code === 'EADDRNOTAVAIL' ? 'the address is not on this host' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : err.message;
        this.log.log('error', 'smtp.in.listener.failed', {
          address: `${plan.address}:${plan.port}`,
          connectors: plan.connectors,
          code: err.code,
          reason: why,
          action: 'change the Bindings of these Receive connectors (Set-ReceiveConnector -Bindings) or free the address',
        });
        this.failed.push({ address: plan.address, port: plan.port, connectors: plan.connectors, reason: why });
        resolve();
      };
      server.once('error', fail);
      server.listen({ host: plan.address, port: plan.port, ipv6Only: plan.family === 'IPv6', backlog: 1024 }, () => {
        server.off('error', fail);
        server.on('error', (err) => this.log.log('error', 'smtp.in.listener.error', { address: `${plan.address}:${plan.port}`, error: err.message }));
        this.servers.set(plan.key, { server, plan });
        resolve();
      });
    });
  }
}
