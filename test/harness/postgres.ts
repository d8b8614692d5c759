// The tests' PostgreSQL: the lab's private cluster (src/lab/postgres-cluster.ts),
// one per test file, on a loopback address of the file's own.
export { PgCluster, postgresInstalled, startPostgres, type PgClusterOptions } from '../../src/lab/postgres-cluster.js';
