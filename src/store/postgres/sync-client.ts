// A synchronous PostgreSQL connection for the shell and setup, whose
// cmdlets run synchronously over the ConfigStore contract: each query is
// handed to a thread of our own that holds a node-postgres connection
// (sync-client-worker.ts), and the caller waits for its answer with
// Atomics.wait. The transport service never uses this: it works from a
// snapshot that organization-feed.ts keeps current without blocking.

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { describeTarget, type PgTarget } from './connection-options.js';
import { OrganizationStoreUnavailableError } from './connect.js';

export type SyncRequest = { op: 'query'; sql: string; params?: unknown[] } | { op: 'close' };
export type SyncReply = { ok: true; rows: Record<string, unknown>[]; rowCount: number } | { ok: false; message: string; code?: string; name?: string; constraint?: string };

export class PgQueryError extends Error {
  override name = 'PgQueryError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly constraint?: string,
  ) {
    super(message);
  }
}

/** How long one request may take (a connection attempt, a query, a wait for another writer's lock). */
const REQUEST_TIMEOUT_MS = 30_000;

export class SyncPgClient {
  private worker: Worker | null;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    readonly target: PgTarget,
    password?: string,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./sync-client-worker.js', import.meta.url), {
      workerData: { target, password, port: port2, signal: this.signal },
      transferList: [port2],
    });
    this.worker.unref();
  }

  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): R[] {
    const reply = this.call({ op: 'query', sql, ...(params && { params }) });
    return reply.rows as R[];
  }

  /** Runs a statement; returns how many rows it touched. */
  run(sql: string, params?: unknown[]): number {
    return this.call({ op: 'query', sql, ...(params && { params }) }).rowCount;
  }

  close(): void {
    if (!this.worker) return;
    try {
      this.call({ op: 'close' }, 5000);
    } catch {
      // closing anyway
    }
    void this.worker.terminate();
    this.worker = null;
  }

  private call(req: SyncRequest, timeoutMs = REQUEST_TIMEOUT_MS): { rows: Record<string, unknown>[]; rowCount: number } {
    if (!this.worker) throw new OrganizationStoreUnavailableError(`${describeTarget(this.target)} is closed`);
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(req);
    if (Atomics.wait(this.signal, 0, 0, timeoutMs) === 'timed-out') {
      void this.worker.terminate();
      this.worker = null;
      throw new OrganizationStoreUnavailableError(`${describeTarget(this.target)} did not answer within ${timeoutMs / 1000} s; check that PostgreSQL at ${this.target.host}:${this.target.port} runs and is reachable`);
    }
    const message = receiveMessageOnPort(this.port)?.message as SyncReply | undefined;
    if (!message) throw new Error('the organization store connection thread answered nothing');
    if (!message.ok) {
      if (message.name === 'OrganizationStoreUnavailableError' || message.code === 'connection-lost') throw new OrganizationStoreUnavailableError(message.message);
      throw new PgQueryError(`${describeTarget(this.target)}: ${message.message}`, message.code, message.constraint);
    }
    return message;
  }
}
