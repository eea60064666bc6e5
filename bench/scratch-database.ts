// A database of a benchmark's own on the machine's PostgreSQL (DATABASE_URL), migrated, dropped afterwards;
// and the previous release's rollups (views over the raw tables) beside ours, for a side-by-side baseline.
//
// Loading a big server takes many minutes; to iterate on queries, keep it:
//   BENCH_KEEP_DB=1  the database is left in place (its URL printed) instead of dropped;
//   BENCH_DB_URL=postgres://.../name  use that database (migrated to the current sql/, the baseline views
//                    added if missing) and never drop it. The `queries` and `web` benches load their guild
//                    only if it has no rows there yet, so a second run measures the data already loaded;
//                    both can share one database (their guilds differ). Drop it yourself when done.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/db/migrate.js';
import { FAMILIES, FAMILY_NAMES, narrowRollupsOf } from '../src/families.js';

export interface ScratchDatabase {
  url: string;
  /** The same database with the previous release's rollups (schema `views`) first on the search path. */
  viewsUrl: string;
  /** Whether it was given (BENCH_DB_URL) and may already hold a bench's data. */
  reused: boolean;
  drop(): Promise<void>;
}

/** The machine's PostgreSQL, where benchmarks create (and drop) databases of their own. */
export const BENCH_SERVER_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** One statement on `url` (default the server's own database), e.g. CREATE or DROP DATABASE. */
export async function runSql(sql: string, url = BENCH_SERVER_URL): Promise<void> {
  await withClient(url, (c) => c.query(sql));
}

async function withClient(url: string, fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

function withViews(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', '-c search_path=views,public');
  return u.toString();
}

export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const given = process.env.BENCH_DB_URL;
  if (given) {
    await migrate(given);
    // Idempotent: views of rollups added since the database was loaded are created too.
    await withClient(given, (c) => c.query(viewsSql()));
    return { url: given, viewsUrl: withViews(given), reused: true, drop: async () => {} };
  }
  const base = BENCH_SERVER_URL;
  const name = `bench_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = (sql: string) => runSql(sql);
  await admin(`CREATE DATABASE ${name} TEMPLATE template0`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dropNow = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    await migrate(url);
    await withClient(url, (c) => c.query(viewsSql()));
  } catch (err) {
    await dropNow().catch(() => {});
    throw err;
  }
  const keep = Boolean(process.env.BENCH_KEEP_DB);
  const drop = keep ? async () => console.log(`  database kept (BENCH_KEEP_DB): BENCH_DB_URL=${url}`) : dropNow;
  return { url, viewsUrl: withViews(url), reused: false, drop };
}

/**
 * The previous release's rollups: views over the raw tables (sql/003-007, 011), in schema `views`; the
 * guild-wide rollups, which it did not have, are views too, so src/stats runs unchanged on either.
 */
function viewsSql(): string {
  const cuts = {
    _15m: "date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')",
    _hourly: "date_trunc('hour', bucket, 'UTC')",
    _daily: "date_trunc('day', bucket, 'UTC')",
  };
  const out = ['CREATE SCHEMA IF NOT EXISTS views;'];
  for (const f of FAMILY_NAMES) {
    const { table, dims, metrics } = FAMILIES[f];
    for (const [suffix, cut] of Object.entries(cuts)) {
      for (const [name, keys] of [
        [suffix, dims],
        [`_guild${suffix}`, ['guild_id']],
      ] as const) {
        out.push(`CREATE OR REPLACE VIEW views.${table.replace(/_raw$/, name)} AS SELECT ${cut} AS bucket, ${keys.join(', ')}, ${metrics.map((m) => `sum(${m})::bigint AS ${m}`).join(', ')}
                  FROM public.${table} GROUP BY ${['1', ...keys].join(', ')};`);
      }
    }
  }
  // The narrow daily rollups (sql/065): cells, the per-member daily rows a row sums, is the distinct
  // other dimensions' count.
  for (const f of FAMILY_NAMES) {
    const { table, dims, metrics } = FAMILIES[f];
    for (const n of narrowRollupsOf(FAMILIES[f])) {
      const keys = ['guild_id', ...n.dims];
      const others = dims.filter((d) => !keys.includes(d));
      out.push(`CREATE OR REPLACE VIEW views.${n.name} AS SELECT ${cuts._daily} AS bucket, ${keys.join(', ')}, ${metrics.map((m) => `sum(${m})::bigint AS ${m}`).join(', ')},
                  count(DISTINCT (${others.join(', ')}))::bigint AS cells FROM public.${table} GROUP BY ${['1', ...keys].join(', ')};`);
    }
  }
  return out.join('\n');
}
