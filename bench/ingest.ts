// Ingest throughput: N distinct counter rows (one hash field each, as CounterWriter writes them) rotated
// out of a live hash and loaded through the Ingestor (RENAME + HSCAN pages decoded and streamed into
// COPY + ledger + commit + UNLINK), then the same rows in the previous release's layout (3 fields per
// row, summed in memory before the COPY), against the
// floor of `psql \copy` of the same rows from a text file into a fresh database, in the same run.
// COPY into a raw table also maintains its rollups on plain PostgreSQL (triggers, sql/015), for the
// Ingestor and the baseline alike; a second baseline copies into a raw table whose rollup triggers are
// disabled, to show what the maintained rollups cost. Prints rows/s and the ratios; never asserts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { BENCH_SERVER_URL, runSql } from './scratch-database.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { FAMILIES, encodeField, encodeRowField } from '../src/families.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { startEmbeddedRedis } from '../dev/embedded.js';

const run = promisify(execFile);
const spec = FAMILIES.messages;

interface BenchRow {
  minute: number;
  dims: [string, string, string, string];
  values: [number, number, number];
}

function makeRows(n: number): BenchRow[] {
  const minute0 = Math.floor(Date.UTC(2025, 0, 1) / 60_000);
  const rows: BenchRow[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      minute: minute0 + (i % 60),
      // User ids are distinct per row, so every row is its own (minute, dims).
      dims: [
        String(800_000_000_000_000_000n + BigInt(i % 1_000)),
        String(810_000_000_000_000_000n + BigInt(i % 50)),
        '0',
        String(820_000_000_000_000_000n + BigInt(i)),
      ],
      values: [1 + (i % 5), 3 + (i % 17), i % 3],
    });
  }
  return rows;
}

const admin = (url: string, sql: string) => runSql(sql, url);

function dbUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

async function totals(url: string): Promise<{ rows: number; messages: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ rows: number; messages: number }>(
      'SELECT count(*)::int AS rows, coalesce(sum(messages), 0)::int AS messages FROM messages_raw',
    );
    return rows[0]!;
  } finally {
    await c.end();
  }
}

export async function benchIngest(opts: { rows?: number } = {}): Promise<void> {
  const n = opts.rows ?? 200_000;
  const base = BENCH_SERVER_URL;
  const tag = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const ingestDb = `bench_ingest_${tag}`;
  const copyDb = `bench_copy_${tag}`;
  const bareDb = `bench_bare_${tag}`;
  const counterDb = `bench_counter_${tag}`;
  const copyFile = path.join(os.tmpdir(), `bench-copy-${tag}.tsv`);
  const embeddedRedis = process.env.REDIS_URL ? undefined : await startEmbeddedRedis();
  const redis = createRedis(process.env.REDIS_URL || embeddedRedis!.url);
  const keys = new Keys(`bench-${tag}`);
  let pool: pg.Pool | undefined;
  try {
    await admin(base, `CREATE DATABASE ${ingestDb} TEMPLATE template0`);
    await admin(base, `CREATE DATABASE ${copyDb} TEMPLATE template0`);
    await admin(base, `CREATE DATABASE ${bareDb} TEMPLATE template0`);
    await admin(base, `CREATE DATABASE ${counterDb} TEMPLATE template0`);
    await migrate(dbUrl(base, ingestDb));
    await migrate(dbUrl(base, copyDb));
    await migrate(dbUrl(base, bareDb));
    await migrate(dbUrl(base, counterDb));
    await admin(dbUrl(base, bareDb), 'ALTER TABLE messages_raw DISABLE TRIGGER USER');
    const rows = makeRows(n);
    const expectedMessages = rows.reduce((s, r) => s + r.values[0], 0);

    // Fill the live hash as shards would (values are what the writes would have summed to): the row layout
    // of CounterWriter, and in a second database the counter layout of the previous release (batches that
    // were rotated before a deploy, and timed sessions' counters), to show what the row layout changed.
    const fill = async (layout: 'row' | 'counter'): Promise<void> => {
      const live = layout === 'row' ? keys.liveRows('messages', 0) : keys.live('messages', 0);
      for (let i = 0; i < rows.length; i += 2_000) {
        const fields: Record<string, string | number> = {};
        for (const r of rows.slice(i, i + 2_000)) {
          if (layout === 'row') fields[encodeRowField(spec, r.minute, r.dims)] = r.values.join(',');
          else for (let m = 0; m < 3; m++) fields[encodeField(spec, r.minute, r.dims, m)] = r.values[m as 0 | 1 | 2];
        }
        await redis.hset(live, fields);
      }
    };
    // LOG_LEVEL=debug shows each batch's rows and times.
    const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', { service: 'bench' });
    const timeIngest = async (db: string): Promise<number> => {
      pool = createPool(dbUrl(base, db));
      const ingestor = new Ingestor({ redis, pool, keys, partitions: 1, logger });
      const t0 = performance.now();
      const res = await ingestor.runOnce();
      const ms = performance.now() - t0;
      await ingestor.stop();
      await pool.end();
      pool = undefined;
      const got = await totals(dbUrl(base, db));
      if (res.rows !== n || got.rows !== n || got.messages !== expectedMessages) {
        throw new Error(
          `ingest loaded ${got.rows} rows / ${got.messages} messages, expected ${n} / ${expectedMessages}`,
        );
      }
      return ms;
    };
    await fill('row');
    const ingestMs = await timeIngest(ingestDb);
    await fill('counter');
    const counterMs = await timeIngest(counterDb);

    // Baseline: the same rows as a text COPY file, loaded by psql's \copy (client-side COPY).
    const iso = (m: number): string => new Date(m * 60_000).toISOString();
    await writeFile(
      copyFile,
      rows.map((r) => `${iso(r.minute)}\t${r.dims.join('\t')}\t${r.values.join('\t')}\n`).join(''),
    );
    const cols = ['bucket', ...spec.dims, ...spec.metrics].join(', ');
    const t1 = performance.now();
    await run('psql', [
      dbUrl(base, copyDb),
      '-v',
      'ON_ERROR_STOP=1',
      '-qc',
      `\\copy messages_raw (${cols}) from '${copyFile}'`,
    ]);
    const copyMs = performance.now() - t1;
    const base2 = await totals(dbUrl(base, copyDb));
    if (base2.rows !== n) throw new Error(`psql \\copy loaded ${base2.rows} rows, expected ${n}`);
    const t2 = performance.now();
    await run('psql', [
      dbUrl(base, bareDb),
      '-v',
      'ON_ERROR_STOP=1',
      '-qc',
      `\\copy messages_raw (${cols}) from '${copyFile}'`,
    ]);
    const bareMs = performance.now() - t2;
    if ((await totals(dbUrl(base, bareDb))).rows !== n)
      throw new Error(`psql \\copy (no rollup triggers) loaded the wrong number of rows`);

    const ingestRate = n / (ingestMs / 1000);
    const copyRate = n / (copyMs / 1000);
    const counterRate = n / (counterMs / 1000);
    console.log(`ingest bench: ${n} rows (row layout: ${n} hash fields; counter layout: ${n * 3})`);
    console.log(
      `  Ingestor (rotate + HSCAN + COPY): ${ingestMs.toFixed(0)} ms, ${Math.round(ingestRate).toLocaleString('en-US')} rows/s`,
    );
    console.log(
      `  the same, counter layout (a batch of the previous release): ${counterMs.toFixed(0)} ms, ${Math.round(counterRate).toLocaleString('en-US')} rows/s (ratio to \\copy ${(counterRate / (n / (copyMs / 1000))).toFixed(2)})`,
    );
    console.log(
      `  psql \\copy baseline:              ${copyMs.toFixed(0)} ms, ${Math.round(copyRate).toLocaleString('en-US')} rows/s`,
    );
    console.log(`  ratio Ingestor / \\copy: ${(ingestRate / copyRate).toFixed(2)}`);
    const bareRate = n / (bareMs / 1000);
    console.log(
      `  psql \\copy, rollup triggers off:  ${bareMs.toFixed(0)} ms, ${Math.round(bareRate).toLocaleString('en-US')} rows/s (Ingestor / this ${(ingestRate / bareRate).toFixed(2)}; maintained rollups cost COPY ${(bareRate / copyRate).toFixed(1)}x)`,
    );
  } finally {
    await pool?.end();
    await redis.unlink(keys.live('messages', 0), keys.liveRows('messages', 0)).catch(() => {});
    redis.disconnect();
    await embeddedRedis?.stop();
    await rm(copyFile, { force: true });
    await admin(base, `DROP DATABASE IF EXISTS ${ingestDb} WITH (FORCE)`).catch(() => {});
    await admin(base, `DROP DATABASE IF EXISTS ${copyDb} WITH (FORCE)`).catch(() => {});
    await admin(base, `DROP DATABASE IF EXISTS ${bareDb} WITH (FORCE)`).catch(() => {});
    await admin(base, `DROP DATABASE IF EXISTS ${counterDb} WITH (FORCE)`).catch(() => {});
  }
}

// `tsx bench/ingest.ts [rows]` runs it alone; bench/index.ts imports benchIngest.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchIngest({ rows: process.argv[2] ? Number(process.argv[2]) : undefined });
}
