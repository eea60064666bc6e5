// Versioned migrations from sql/, applied in order, each version in its own transaction and recorded in
// schema_migrations with the engine it was applied for. A session-level advisory lock serialises
// concurrent starters (several pods booting at once): the second waits, then finds everything applied
// and does nothing.
//
// Engine variants. A version NNN_name consists of up to three files:
//   NNN_name.sql            both engines (tables, indexes)
//   NNN_name.postgres.sql   plain PostgreSQL only (rollups as views)
//   NNN_name.timescale.sql  TimescaleDB only (hypertables, continuous aggregates, policies)
// applied in that order. Both variants must create the same relation names with the same column names
// and types, so one set of queries serves both engines.
//
// A version whose files start with `-- migrate: no-transaction` runs outside a transaction (for statements
// that refuse to run inside one, such as refresh_continuous_aggregate): it must be one file holding one
// statement (a DO block may COMMIT between steps), idempotent, since a crash half-way leaves it unrecorded
// and the next start runs it again. The engine is fixed by the first migration a
// database receives (recorded per version) and never switches afterwards: a database migrated as plain
// PostgreSQL keeps its views even if TimescaleDB becomes available later.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { detectEngine, isEngine, type Engine } from './engine.js';
import { inTransaction, type Queryable } from './pool.js';

// Arbitrary constant shared by every process of this project; keeps us off other apps' lock ids.
const MIGRATION_LOCK_ID = 7_316_482_551;

const FILE_RE = /^(\d+)_([A-Za-z0-9_-]+)(?:\.(postgres|timescale))?\.sql$/;
// Looks like a migration but is not one we understand (e.g. `.timescaledb.sql`): refuse rather than skip.
const LOOKS_LIKE_MIGRATION_RE = /^\d+_.*\.sql$/;
const NO_TRANSACTION_RE = /^-- migrate: no-transaction\s*$/m;

export interface Migration {
  /** `NNN_name`, the key recorded in schema_migrations. */
  version: string;
  /** Paths applied on each engine, in order: the common file, then that engine's variant. */
  files: Record<Engine, string[]>;
}

/**
 * What the runner needs from a connection: a pg Client (through pgExecutor) or PGlite as is. One
 * connection: the advisory lock and the transactions are per session.
 */
export interface SqlExecutor extends Queryable {
  /** Runs a script of several statements without parameters (simple query protocol). */
  exec(sql: string): Promise<unknown>;
}

export function pgExecutor(client: pg.Client): SqlExecutor {
  return {
    query: async <R>(text: string, params?: unknown[]) =>
      client.query(text, params) as unknown as Promise<{ rows: R[] }>,
    exec: (sql: string) => client.query(sql),
  };
}

/** sql/ relative to this module: src/db when run by tsx, dist/src/db after `tsc`. */
export function defaultMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../sql'), path.resolve(here, '../../../sql')];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export async function listMigrations(dir = defaultMigrationsDir()): Promise<Migration[]> {
  const byNumber = new Map<number, { version: string; common?: string; postgres?: string; timescale?: string }>();
  for (const file of (await readdir(dir)).sort()) {
    const m = FILE_RE.exec(file);
    if (!m) {
      if (LOOKS_LIKE_MIGRATION_RE.test(file))
        throw new Error(`unrecognised migration file ${file}: expected NNN_name[.postgres|.timescale].sql`);
      continue;
    }
    const n = Number(m[1]);
    const version = `${m[1]}_${m[2]}`;
    const entry = byNumber.get(n) ?? { version };
    if (entry.version !== version) throw new Error(`two migrations share number ${n}: ${entry.version}, ${version}`);
    const slot = (m[3] as Engine | undefined) ?? 'common';
    if (entry[slot]) throw new Error(`duplicate migration file for ${version} (${slot})`);
    entry[slot] = path.join(dir, file);
    byNumber.set(n, entry);
  }
  return [...byNumber.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, e]) => ({
      version: e.version,
      files: {
        postgres: [e.common, e.postgres].filter((f): f is string => f !== undefined),
        timescale: [e.common, e.timescale].filter((f): f is string => f !== undefined),
      },
    }));
}

export interface MigrateOptions {
  dir?: string;
  logger?: Logger;
  /** Forces the engine of a fresh database (default: detected); must match an already migrated one. */
  engine?: Engine;
}

/**
 * Applies pending migrations over one connection; returns the versions applied by this call (empty when
 * up to date). The same code path serves pg and PGlite.
 */
export async function runMigrations(
  db: SqlExecutor,
  opts: MigrateOptions = {},
): Promise<{ engine: Engine; applied: string[] }> {
  const migrations = await listMigrations(opts.dir);
  const applied: string[] = [];
  await db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
  let engine: Engine;
  try {
    // Created under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type. Rows
    // from before engines were recorded are plain PostgreSQL: there was no other variant then.
    await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS engine text NOT NULL DEFAULT 'postgres'`);
    const rows = (await db.query<{ version: string; engine: string }>('SELECT version, engine FROM schema_migrations'))
      .rows;
    engine = await resolveEngine(db, rows, opts.engine);
    const done = new Set(rows.map((r) => r.version));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      const files = m.files[engine];
      const scripts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
      const noTransaction = scripts.some((s) => NO_TRANSACTION_RE.test(s.split('\n', 1)[0]!));
      if (noTransaction && scripts.length !== 1)
        throw new Error(`migration ${m.version} (${engine}): a no-transaction version must be a single file`);
      try {
        if (noTransaction) {
          await db.exec(scripts[0]!);
          await db.query('INSERT INTO schema_migrations (version, engine) VALUES ($1, $2)', [m.version, engine]);
        } else {
          await inTransaction(db, async () => {
            for (const script of scripts) await db.exec(script);
            await db.query('INSERT INTO schema_migrations (version, engine) VALUES ($1, $2)', [m.version, engine]);
          });
        }
      } catch (err) {
        throw new Error(`migration ${m.version} (${engine}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
      opts.logger?.info({ version: m.version, engine, files: files.map((f) => path.basename(f)) }, 'migration applied');
    }
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
  }
  if (applied.length === 0) opts.logger?.debug({ engine }, 'migrations up to date');
  return { engine, applied };
}

async function resolveEngine(
  db: Queryable,
  recorded: { engine: string }[],
  forced: Engine | undefined,
): Promise<Engine> {
  const engines = [...new Set(recorded.map((r) => r.engine))];
  if (engines.length > 1)
    throw new Error(`schema_migrations mixes engines (${engines.join(', ')}): refusing to migrate`);
  const previous = engines[0];
  if (previous !== undefined) {
    if (!isEngine(previous)) throw new Error(`schema_migrations records unknown engine ${previous}`);
    if (forced && forced !== previous) throw new Error(`database was migrated for ${previous}, not ${forced}`);
    return previous;
  }
  return forced ?? (await detectEngine(db));
}

/** Connects to `databaseUrl` and applies pending migrations; returns the versions applied by this call. */
export async function migrate(
  databaseUrl: string,
  logger?: Logger,
  opts: Omit<MigrateOptions, 'logger'> = {},
): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection must surface as a rejected query, not an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    return (await runMigrations(pgExecutor(client), { ...opts, logger })).applied;
  } finally {
    await client.end().catch(() => {});
  }
}
