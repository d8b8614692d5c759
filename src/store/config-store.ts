// The configuration store interface: typed objects (connectors, accepted
// domains, accounts, servers, settings) kept as rows of JSON properties, keyed
// by GUID, unique by (type, server, name), with a change counter that the
// running service polls to notice changes. It knows no shell and no schema:
// store/repository.ts maps schema objects to rows.
//
// The embedded implementation is SQLite (sqlite-config-store.ts); an
// organization spread over several hosts gets a PostgreSQL implementation of
// the same interface.

export interface StoredObject {
  guid: string;
  type: string;
  /** Owning server name for per-server objects; '' for organization-wide ones. */
  server: string;
  name: string;
  data: Record<string, unknown>;
  /** ISO-8601 UTC. */
  whenCreated: string;
  whenChanged: string;
}

export class DuplicateObjectError extends Error {
  override name = 'DuplicateObjectError';
  constructor(
    readonly type: string,
    readonly objectName: string,
  ) {
    super(`an object of type ${type} named '${objectName}' already exists`);
  }
}

export interface ConfigStore {
  /** Where the store lives (a file path or a connection string without password). */
  readonly location: string;
  list(type: string, server?: string): StoredObject[];
  /** Every object, of every type (in list order). */
  all(): StoredObject[];
  get(guid: string): StoredObject | undefined;
  findByName(type: string, server: string, name: string): StoredObject | undefined;
  insert(obj: StoredObject): void;
  update(obj: StoredObject): void;
  remove(guid: string): void;
  /** Runs fn in one write transaction (all or nothing). */
  transaction<T>(fn: () => T): T;
  /** Bumped by every insert, update and delete, from any process. */
  changeCounter(): number;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  close(): void;
}
