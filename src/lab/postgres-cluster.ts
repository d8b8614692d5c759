// A private PostgreSQL cluster, for the lab's organization store and for the
// tests: initdb into a folder of the caller's, then pg_ctl start as an
// unprivileged user (the cluster's files belong to that user; PostgreSQL
// refuses to run as root), listening on one loopback address and port and on
// a socket in its own folder. Nothing depends on a system service. stop() ends the postmaster by its PID (fast
// shutdown, SIGINT) and waits for it; start() brings the same cluster back.
// Roles log on over TCP with SCRAM passwords; the harness itself uses the
// socket (trust, as the cluster's superuser only).

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The unprivileged user the cluster runs as when the tests run as root. */
const NOBODY = 65534;

function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

export interface PgClusterOptions {
  /** A folder of the test's (the cluster lives in DIR/pg). */
  dir: string;
  host: string;
  port: number;
  /** Serve TLS with this certificate and key (PEM); TCP logons then need TLS. */
  tls?: { certificatePem: string; privateKeyPem: string };
}

export class PgCluster {
  readonly bin: string;
  readonly data: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly asRoot = process.getuid?.() === 0;

  constructor(readonly o: PgClusterOptions) {
    const bin = pgBin();
    if (!bin) throw new Error('PostgreSQL server binaries are not installed (Debian package postgresql)');
    this.bin = bin;
    const base = join(o.dir, 'pg');
    this.data = join(base, 'data');
    this.socketDir = join(base, 'run');
    this.logFile = join(base, 'postgres.log');
    mkdirSync(base, { recursive: true });
    mkdirSync(this.socketDir, { recursive: true });
    if (this.asRoot) {
      // The unprivileged user must reach its folder: the test's folder becomes searchable (not readable).
      chmodSync(o.dir, 0o711);
      chmodSync(base, 0o711);
      chownSync(this.socketDir, NOBODY, NOBODY);
      writeFileSync(this.logFile, '');
      chownSync(this.logFile, NOBODY, NOBODY);
    }
  }

  /** Runs a PostgreSQL program as the cluster's user. */
  private run(program: string, args: string[], timeoutMs = 60_000): string {
    const r = spawnSync(join(this.bin, program), args, {
      encoding: 'utf8',
      timeout: timeoutMs,
      cwd: '/',
      ...(this.asRoot && { uid: NOBODY, gid: NOBODY }),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}${existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(-2000) : ''}`);
    return r.stdout;
  }

  /** initdb (once), then pg_ctl start; resolves when it accepts connections. */
  start(): void {
    if (!existsSync(join(this.data, 'PG_VERSION'))) {
      mkdirSync(this.data, { recursive: true, mode: 0o700 });
      if (this.asRoot) chownSync(this.data, NOBODY, NOBODY);
      this.run('initdb', ['-D', this.data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
      const conf = [`listen_addresses = '${this.o.host}'`, `port = ${this.o.port}`, `unix_socket_directories = '${this.socketDir}'`, 'fsync = on', 'max_connections = 60', 'shared_buffers = 32MB', "log_min_messages = 'warning'"];
      if (this.o.tls) {
        const pair = this.o.tls;
        for (const [file, text] of [
          ['server.crt', pair.certificatePem],
          ['server.key', pair.privateKeyPem],
        ] as const) {
          writeFileSync(join(this.data, file), text, { mode: 0o600 });
          if (this.asRoot) chownSync(join(this.data, file), NOBODY, NOBODY);
        }
        conf.push('ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'");
      }
      writeFileSync(join(this.data, 'postgresql.auto.conf'), conf.join('\n') + '\n');
      if (this.asRoot) chownSync(join(this.data, 'postgresql.auto.conf'), NOBODY, NOBODY);
      if (this.o.tls) {
        // TCP logons: hostssl only when TLS is on, so that a plain connection is refused.
        writeFileSync(join(this.data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.0/8 scram-sha-256\n');
        if (this.asRoot) chownSync(join(this.data, 'pg_hba.conf'), NOBODY, NOBODY);
      }
    }
    this.run('pg_ctl', ['start', '-D', this.data, '-l', this.logFile, '-w', '-t', '60']);
  }

  /** The postmaster's PID, from its pid file. */
  pid(): number | null {
    const file = join(this.data, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  /** Fast shutdown by PID; waits (bounded) until the postmaster is gone. */
  async stop(): Promise<void> {
    const pid = this.pid();
    if (!pid) return;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      return;
    }
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }

  /** Runs SQL as the superuser over the cluster's socket. */
  sql(text: string, database = 'postgres'): string {
    return execFileSync(join(this.bin, 'psql'), ['-h', this.socketDir, '-p', String(this.o.port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', text], {
      encoding: 'utf8',
      timeout: 30_000,
      cwd: '/',
    });
  }

  /** A role that logs on with a password, and a database it owns. */
  createDatabase(database: string, role: string, password: string): void {
    this.sql(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN PASSWORD '${password}'; END IF; END $$`);
    this.sql(`CREATE DATABASE ${database} OWNER ${role}`);
  }

  url(database: string, role: string, params = ''): string {
    return `postgresql://${role}@${this.o.host}:${this.o.port}/${database}${params ? `?${params}` : ''}`;
  }
}

/** Where initdb is, if PostgreSQL's server programs are installed. */
export function postgresInstalled(): boolean {
  return pgBin() !== null;
}

/** Starts a cluster; the caller stops it (await cluster.stop()) in its cleanup. */
export function startPostgres(o: PgClusterOptions): PgCluster {
  const c = new PgCluster(o);
  c.start();
  return c;
}
