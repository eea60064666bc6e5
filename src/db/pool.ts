// PostgreSQL connection pool. Snowflakes are bigint in SQL and strings in JS: pg already returns int8 as
// string, and we never parse them into Number.
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/**
 * No JIT: our queries read a few thousand to a few hundred thousand rollup rows by index in tens of
 * milliseconds, but their range cuts (least/greatest of date_trunc) leave the planner guessing whole-table
 * row counts, so the cost passes jit_above_cost and compiling (~20 ms measured on a 30-day `/stats server`
 * query, more than the query) costs more than it saves. Options given in a URL replace the pool's, so
 * there it is appended to them.
 */
const NO_JIT = '-c jit=off';

function withoutJit(connectionString: string): { connectionString: string; options?: string } {
  const url = URL.canParse(connectionString) ? new URL(connectionString) : undefined;
  const given = url?.searchParams.get('options');
  if (!url || !given) return { connectionString, options: NO_JIT };
  url.searchParams.set('options', `${given} ${NO_JIT}`);
  return { connectionString: url.toString() };
}

export function createPool(connectionString: string, max = 5): pg.Pool {
  const pool = new pg.Pool({
    ...withoutJit(connectionString),
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
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

/**
 * `fn` between BEGIN (or `begin`, e.g. 'BEGIN READ ONLY') and COMMIT on `db`, one connection; ROLLBACK
 * when it throws, and the error goes on. The one transaction block of the code base (ledger, export,
 * privacy deletion, migrations).
 */
export async function inTransaction<T>(db: Queryable, fn: () => Promise<T>, begin = 'BEGIN'): Promise<T> {
  await db.query(begin);
  try {
    const out = await fn();
    await db.query('COMMIT');
    return out;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** inTransaction on a client of the pool; a client that failed is discarded, not returned in an unknown state. */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    return await inTransaction(client, () => fn(client), begin);
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    client.release(failed);
  }
}
