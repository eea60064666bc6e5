import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { listMigrations, migrate } from '../src/db/migrate.js';
import { testDatabase } from './helpers/services.js';

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(drops.map((d) => d()));
});

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('migrate', () => {
  it('applies every migration in order on a fresh database, then nothing on a re-run', async () => {
    const db = await testDatabase({ migrate: false });
    drops.push(db.drop);
    const all = (await listMigrations()).map((m) => m.version);
    expect(all.slice(0, 3)).toEqual(['001_messages', '002_ingest_ledger', '003_messages_rollups']);

    expect(await migrate(db.url)).toEqual(all);
    expect(await migrate(db.url)).toEqual([]);
    const recorded = await withClient(
      db.url,
      async (c) => (await c.query('SELECT version, engine FROM schema_migrations ORDER BY version')).rows,
    );
    expect(recorded).toEqual(all.map((version) => ({ version, engine: 'postgres' })));
  });

  it('groups each version into a common file and engine variants', async () => {
    const ms = await listMigrations();
    const base = (files: string[]): string[] => files.map((f) => path.basename(f));
    const messages = ms.find((m) => m.version === '001_messages')!;
    expect(base(messages.files.postgres)).toEqual(['001_messages.sql']);
    expect(base(messages.files.timescale)).toEqual(['001_messages.sql', '001_messages.timescale.sql']);
    const rollups = ms.find((m) => m.version === '003_messages_rollups')!;
    expect(base(rollups.files.postgres)).toEqual(['003_messages_rollups.postgres.sql']);
    expect(base(rollups.files.timescale)).toEqual(['003_messages_rollups.timescale.sql']);
    // Every family's rollups exist on both engines: views or tables kept by triggers (sql/015, created per
    // family by a function), and continuous aggregates.
    for (const m of ms) {
      const rollup =
        /CREATE (MATERIALIZED )?VIEW \w+_(hourly|daily|15m)\b|CREATE (MATERIALIZED VIEW|TABLE) %I (WITH \(timescaledb|\(bucket)/;
      const hasRollups = (files: string[]) => files.some((f) => rollup.test(readFileSync(f, 'utf8')));
      expect(hasRollups(m.files.postgres), m.version).toBe(hasRollups(m.files.timescale));
    }
  });

  it('refuses unrecognised migration file names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mig-'));
    await writeFile(path.join(dir, '001_a.sql'), 'SELECT 1');
    await writeFile(path.join(dir, '001_a.timescaledb.sql'), 'SELECT 1');
    await expect(listMigrations(dir)).rejects.toThrow(/unrecognised migration file 001_a\.timescaledb\.sql/);
  });

  it('keeps the engine a database was first migrated for; old ledgers count as postgres', async () => {
    const db = await testDatabase({ migrate: false });
    drops.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mig-'));
    await writeFile(path.join(dir, '001_t.sql'), 'CREATE TABLE t (x int);');
    await writeFile(path.join(dir, '001_t.timescale.sql'), 'SELECT no_such_function();');
    await writeFile(path.join(dir, '002_v.postgres.sql'), 'CREATE VIEW v AS SELECT x FROM t;');
    // A ledger written before engines were recorded: no engine column.
    await withClient(db.url, (c) =>
      c.query(
        "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO schema_migrations (version) VALUES ('001_t'); CREATE TABLE t (x int)",
      ),
    );
    await expect(migrate(db.url, undefined, { dir, engine: 'timescale' })).rejects.toThrow(
      /migrated for postgres, not timescale/,
    );
    expect(await migrate(db.url, undefined, { dir })).toEqual(['002_v']);
    const rows = await withClient(
      db.url,
      async (c) => (await c.query('SELECT version, engine FROM schema_migrations ORDER BY version')).rows,
    );
    expect(rows).toEqual([
      { version: '001_t', engine: 'postgres' },
      { version: '002_v', engine: 'postgres' },
    ]);
  });

  it('runs a no-transaction version outside a transaction, records it only once it completes, and re-runs it after a failure', async () => {
    const db = await testDatabase({ migrate: false });
    drops.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mig-'));
    await writeFile(path.join(dir, '001_flag.sql'), 'CREATE TABLE flag (ok boolean);');
    // Commits its first step, then fails until the flag is set: like a refresh that dies half-way.
    await writeFile(
      path.join(dir, '002_steps.sql'),
      `-- migrate: no-transaction
DO $$ BEGIN
  CREATE TABLE IF NOT EXISTS step1 (x int);
  COMMIT;
  IF NOT (SELECT coalesce(bool_or(ok), false) FROM flag) THEN RAISE EXCEPTION 'not yet'; END IF;
  CREATE TABLE IF NOT EXISTS step2 (x int);
END $$;`,
    );
    await expect(migrate(db.url, undefined, { dir })).rejects.toThrow(/002_steps \(postgres\) failed: not yet/);
    const state = () =>
      withClient(
        db.url,
        async (c) =>
          (
            await c.query(
              "SELECT to_regclass('step1') IS NOT NULL AS s1, to_regclass('step2') IS NOT NULL AS s2, (SELECT array_agg(version ORDER BY version) FROM schema_migrations) AS v",
            )
          ).rows[0],
      );
    expect(await state()).toEqual({ s1: true, s2: false, v: ['001_flag'] });
    await withClient(db.url, (c) => c.query('INSERT INTO flag VALUES (true)'));
    expect(await migrate(db.url, undefined, { dir })).toEqual(['002_steps']);
    expect(await state()).toEqual({ s1: true, s2: true, v: ['001_flag', '002_steps'] });

    // It must be one file: a second one could only run in the same implicit transaction.
    await writeFile(path.join(dir, '003_two.sql'), '-- migrate: no-transaction\nSELECT 1;');
    await writeFile(path.join(dir, '003_two.postgres.sql'), 'SELECT 2;');
    await expect(migrate(db.url, undefined, { dir })).rejects.toThrow(/no-transaction version must be a single file/);
  });

  it('upgrades a PostgreSQL database of the previous release: quarter-hour views over its rows, bots known from their joins', async () => {
    const db = await testDatabase({ migrate: false });
    drops.push(db.drop);
    const old = await mkdtemp(path.join(os.tmpdir(), 'mig-'));
    for (const m of (await listMigrations()).filter((x) => Number(x.version.slice(0, 3)) <= 10)) {
      for (const f of m.files.postgres) await copyFile(f, path.join(old, path.basename(f)));
    }
    await migrate(db.url, undefined, { dir: old });
    await withClient(db.url, (c) =>
      c.query(`INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments) VALUES
                 ('2026-03-29 00:59Z', 1, 2, 0, 3, 1, 1, 0), ('2026-03-29 01:07Z', 1, 2, 0, 3, 2, 1, 0), ('2026-03-29 01:14Z', 1, 2, 0, 3, 4, 1, 0);
               INSERT INTO member_events (at, guild_id, user_id, kind, attribution, account_created_at, bot) VALUES
                 ('2026-03-01Z', 1, 40, 'join', 'unknown', '2020-01-01Z', true), ('2026-03-01Z', 1, 41, 'join', 'unknown', '2020-01-01Z', false)`),
    );
    expect(await migrate(db.url)).toEqual(
      (await listMigrations()).filter((x) => Number(x.version.slice(0, 3)) > 10).map((x) => x.version),
    );
    await withClient(db.url, async (c) => {
      const q = await c.query(
        "SELECT to_char(bucket AT TIME ZONE 'UTC', 'HH24:MI') AS b, messages::int AS m FROM messages_15m ORDER BY 1",
      );
      expect(q.rows).toEqual([
        { b: '00:45', m: 1 },
        { b: '01:00', m: 6 },
      ]);
      expect((await c.query('SELECT guild_id::int AS g, user_id::int AS u FROM bot_authors')).rows).toEqual([
        { g: 1, u: 40 },
      ]);
    });
  });

  it('concurrent runners neither fail nor apply anything twice', async () => {
    const db = await testDatabase({ migrate: false });
    drops.push(db.drop);
    const results = await Promise.all(Array.from({ length: 4 }, () => migrate(db.url)));
    const applied = results.flat();
    const all = (await listMigrations()).map((m) => m.version);
    expect(applied.sort()).toEqual([...all].sort());
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
  });

  it('rolls back a failing migration and records nothing for it', async () => {
    const db = await testDatabase({ migrate: false });
    drops.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mig-'));
    for (const f of new Set((await listMigrations()).flatMap((m) => [...m.files.postgres, ...m.files.timescale]))) {
      await copyFile(f, path.join(dir, path.basename(f)));
    }
    await writeFile(path.join(dir, '900_broken.sql'), 'CREATE TABLE half_done (x int); SELECT * FROM no_such_table;');
    await expect(migrate(db.url, undefined, { dir })).rejects.toThrow(/900_broken/);
    await withClient(db.url, async (c) => {
      expect((await c.query("SELECT to_regclass('half_done') AS t")).rows[0].t).toBeNull();
      expect(
        (await c.query("SELECT count(*)::int AS n FROM schema_migrations WHERE version = '900_broken'")).rows[0].n,
      ).toBe(0);
    });
  });

  it('hourly and daily views sum the raw minute deltas (UTC buckets)', async () => {
    const db = await testDatabase();
    drops.push(db.drop);
    await withClient(db.url, async (c) => {
      // A session time zone far from UTC must not move the day boundaries.
      await c.query("SET TIME ZONE 'Pacific/Kiritimati'");
      await c.query(`INSERT INTO messages_raw (bucket, guild_id, channel_id, user_id, messages, words, attachments) VALUES
        ('2024-03-01T10:01:00Z', 1, 10, 100, 1, 5, 0),
        ('2024-03-01T10:01:00Z', 1, 10, 100, 2, 3, 1),  -- same minute and dims again: summed
        ('2024-03-01T10:59:00Z', 1, 10, 100, 4, 4, 0),
        ('2024-03-01T11:00:00Z', 1, 10, 100, 8, 1, 0),
        ('2024-03-01T23:59:00Z', 1, 10, 101, 16, 2, 2),
        ('2024-03-02T00:00:00Z', 1, 10, 100, 32, 0, 0),
        ('2024-03-01T10:30:00Z', 9223372036854775807, 11, 100, 64, 0, 0)`);
      const hourly = (
        await c.query(`SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS h, guild_id, user_id, messages, words, attachments
                       FROM messages_hourly ORDER BY guild_id, h, user_id`)
      ).rows;
      expect(hourly).toEqual([
        { h: '2024-03-01 10', guild_id: '1', user_id: '100', messages: '7', words: '12', attachments: '1' },
        { h: '2024-03-01 11', guild_id: '1', user_id: '100', messages: '8', words: '1', attachments: '0' },
        { h: '2024-03-01 23', guild_id: '1', user_id: '101', messages: '16', words: '2', attachments: '2' },
        { h: '2024-03-02 00', guild_id: '1', user_id: '100', messages: '32', words: '0', attachments: '0' },
        {
          h: '2024-03-01 10',
          guild_id: '9223372036854775807',
          user_id: '100',
          messages: '64',
          words: '0',
          attachments: '0',
        },
      ]);
      const daily = (
        await c.query(`SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS d, guild_id, sum(messages)::int AS m
                       FROM messages_daily GROUP BY 1, 2 ORDER BY 2, 1`)
      ).rows;
      expect(daily).toEqual([
        { d: '2024-03-01 00:00', guild_id: '1', m: 31 },
        { d: '2024-03-02 00:00', guild_id: '1', m: 32 },
        { d: '2024-03-01 00:00', guild_id: '9223372036854775807', m: 64 },
      ]);
    });
  });
});
