// A database of a benchmark's own on the machine's PostgreSQL (DATABASE_URL), migrated, dropped afterwards;
// and the previous release's rollups (views over the raw tables) beside ours, for a side-by-side baseline.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/db/migrate.js';
import { FAMILIES, FAMILY_NAMES } from '../src/families.js';

export interface ScratchDatabase {
  url: string;
  /** The same database with the previous release's rollups (schema `views`) first on the search path. */
  viewsUrl: string;
  drop(): Promise<void>;
}

export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const base = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name} TEMPLATE template0`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const drop = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  try {
    await migrate(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(viewsSql());
    } finally {
      await c.end();
    }
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  u.searchParams.set('options', '-c search_path=views,public');
  return { url, viewsUrl: u.toString(), drop };
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
  const out = ['CREATE SCHEMA views;'];
  for (const f of FAMILY_NAMES) {
    const { table, dims, metrics } = FAMILIES[f];
    for (const [suffix, cut] of Object.entries(cuts)) {
      for (const [name, keys] of [
        [suffix, dims],
        [`_guild${suffix}`, ['guild_id']],
      ] as const) {
        out.push(`CREATE VIEW views.${table.replace(/_raw$/, name)} AS SELECT ${cut} AS bucket, ${keys.join(', ')}, ${metrics.map((m) => `sum(${m})::bigint AS ${m}`).join(', ')}
                  FROM public.${table} GROUP BY ${['1', ...keys].join(', ')};`);
      }
    }
  }
  return out.join('\n');
}
