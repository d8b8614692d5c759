// The password file reader node-postgres uses (libpq's ~/.pgpass and PGPASSFILE rules).
declare module 'pgpass' {
  interface ConnInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  function pgpass(connInfo: ConnInfo, cb: (password: string | undefined) => void): void;
  export = pgpass;
}
