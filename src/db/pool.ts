// PostgreSQL connection pool. Snowflakes are bigint in SQL and strings in JS: pg already returns int8 as
// string, and we never parse them into Number.
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(connectionString: string, max = 5): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // A client losing its connection (database restart, network cut) must not crash the process: idle
  // clients report on the pool, checked-out ones on themselves; the query in flight, if any, rejects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * What the stats queries need from a connection: a pg Pool, a pg client, or PGlite (which runs the real
 * TimescaleDB extension in-process in tests). Rows come back as the driver types them.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}
