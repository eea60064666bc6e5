// Versioned migrations from sql/NNN_name.sql, applied in order, each in its own transaction and
// recorded in schema_migrations. A session-level advisory lock serialises concurrent starters (several
// pods booting at once): the second waits, then finds everything applied and does nothing.
//
// Engine variants: when TimescaleDB migrations arrive, the runner (not the SQL) decides which variant of
// a version to apply, by checking once per run
//   select 1 from pg_available_extensions where name = 'timescaledb'
// and preferring `NNN_name.timescale.sql` over `NNN_name.sql` when it answers. Both variants must
// create the same relation names so one set of queries serves both engines.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.js';

// Arbitrary constant shared by every process of this project; keeps us off other apps' lock ids.
const MIGRATION_LOCK_ID = 7_316_482_551;

const FILE_RE = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

export interface Migration {
  version: string;
  file: string;
}

/** sql/ relative to this module: src/db when run by tsx, dist/src/db after `tsc`. */
export function defaultMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../sql'), path.resolve(here, '../../../sql')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export async function listMigrations(dir = defaultMigrationsDir()): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => FILE_RE.test(f));
  const migrations = files
    .map((file) => ({ version: file.slice(0, -'.sql'.length), file: path.join(dir, file), n: Number(FILE_RE.exec(file)![1]) }))
    .sort((a, b) => a.n - b.n);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.n === migrations[i - 1]!.n) {
      throw new Error(`two migrations share number ${migrations[i]!.n}: ${migrations[i - 1]!.version}, ${migrations[i]!.version}`);
    }
  }
  return migrations.map(({ version, file }) => ({ version, file }));
}

/** Applies pending migrations; returns the versions applied by this call (empty when up to date). */
export async function migrate(databaseUrl: string, logger?: Logger, opts: { dir?: string } = {}): Promise<string[]> {
  const migrations = await listMigrations(opts.dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection must surface as a rejected query, not an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      // Created under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type.
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        const sql = await readFile(m.file, 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${m.version} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.version);
        logger?.info({ version: m.version }, 'migration applied');
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
  if (applied.length === 0) logger?.debug('migrations up to date');
  return applied;
}
