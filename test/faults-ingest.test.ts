// Invariant 1 under faults: the real ingest worker process (src/ingest/main.ts) SIGKILLed at random points
// while shards keep writing, many times; and PostgreSQL cut off mid-load. In both, Postgres must end up
// with exactly what was written to Redis: 0 lost, 0 double.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CounterWriter } from '../src/counters.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { entryPoint } from '../src/entry.js';
import { FAMILIES, encodeField } from '../src/families.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys, partitionOf } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { createRedis, type Redis } from '../src/redis.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const PARTITIONS = 4;
const spec = FAMILIES.messages;
let redis: Redis;
const drops: (() => Promise<void>)[] = [];
const prefixes: string[] = [];
const writers: { close(): void }[] = [];

beforeAll(() => {
  redis = createRedis(testRedis().url);
});
afterAll(async () => {
  for (const w of writers) w.close();
  for (const p of prefixes) await cleanupPrefix(redis, p);
  redis.disconnect();
  for (const d of drops) await d();
});

/**
 * Writes increments like shards do, during a rolling deploy: half through the current CounterWriter (row
 * layout), half as a shard of the previous release did (one HINCRBY per counter field). Remembers exactly
 * what was written, per (minute, dims).
 */
class Writer {
  readonly expected = new Map<string, number>();
  private seq = 0;
  private readonly rows: CounterWriter;
  constructor(private readonly keys: Keys) {
    this.rows = new CounterWriter({
      redis,
      keys,
      partitions: PARTITIONS,
      logger: createLogger('silent'),
      maxBuffered: 1_000_000,
    });
    writers.push(this);
  }

  async burst(n: number): Promise<void> {
    const pipe = redis.pipeline();
    for (let i = 0; i < n; i++) {
      const k = this.seq++;
      const guild = String(950_000_000_000_000_000n + BigInt(k % 37));
      const dims = [guild, String(5_000 + (k % 11)), '0', String(6_000 + (k % 101))];
      const minute = 29_000_000 + (k % 7);
      if (k % 2 === 0) this.rows.add('messages', guild, minute, dims, [1, 0, 0]);
      else
        pipe.hincrby(this.keys.live('messages', partitionOf(guild, PARTITIONS)), encodeField(spec, minute, dims, 0), 1);
      const key = `${minute}|${dims.join('|')}`;
      this.expected.set(key, (this.expected.get(key) ?? 0) + 1);
    }
    await Promise.all([pipe.exec(), this.rows.settled()]);
    expect(this.rows.pending).toEqual({ inflight: 0, buffered: 0 });
  }

  close(): void {
    this.rows.close();
  }

  get total(): number {
    return this.seq;
  }
}

async function loaded(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ k: string; m: string }>(
    `SELECT (extract(epoch FROM bucket) / 60)::bigint || '|' || guild_id || '|' || channel_id || '|' || parent_id || '|' || user_id AS k,
            sum(messages) AS m FROM messages_raw GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.k, Number(r.m)]));
}

async function pendingKeys(prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:messages:*`, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await vi.waitFor(async () => expect(await cond(), what).toBe(true), { timeout: timeoutMs, interval: 50 });
}

function startWorker(env: Record<string, string>): ChildProcess {
  const main = entryPoint('../src/ingest/main.ts', import.meta.url);
  return spawn(process.execPath, [...main.execArgv, main.file], {
    env: { ...process.env, METRICS_PORT: '0', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

describe('ingest under faults', () => {
  it('survives kill -9 of the worker process at random points, many times: 0 lost, 0 double', async () => {
    const db = await testDatabase();
    drops.push(db.drop);
    const pool = createPool(db.url);
    const { url, prefix } = testRedis();
    prefixes.push(prefix);
    const keys = new Keys(prefix);
    const writer = new Writer(keys);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      REDIS_PARTITIONS: String(PARTITIONS),
      INGEST_INTERVAL_MS: '10',
      INGEST_LEASE_MS: '500',
    };
    // Deterministic pseudo-random kill points: each worker is killed 0-400 ms after it has loaded its
    // first batch, while bursts keep arriving, so kills land mid-read, mid-COPY and between commit and
    // unlink over the iterations.
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ledgerRows = async () =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM ingest_ledger')).rows[0]!.n);
    const kills = 10;
    let leftAfterKill = 0;
    for (let i = 0; i < kills; i++) {
      await writer.burst(5_000 + Math.floor(rand() * 20_000));
      const before = await ledgerRows();
      const worker = startWorker(env);
      await until(async () => (await ledgerRows()) > before, 60_000, 'the worker to load a batch');
      const writing = (async () => {
        for (let j = 0; j < 5; j++) {
          await writer.burst(4_000);
          await new Promise((r) => setTimeout(r, 20)); // wall-clock on purpose: paced traffic, so the kill lands mid-load
        }
      })();
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 400))); // wall-clock on purpose: kill at a random moment
      worker.kill('SIGKILL');
      await exited(worker);
      // A rotated batch key still present means the kill came between RENAME and UNLINK.
      let cursor = '0';
      let batches = 0;
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*:messages:batch:*`, 'COUNT', 1000);
        cursor = next;
        batches += found.length;
      } while (cursor !== '0');
      if (batches > 0) leftAfterKill++;
      await writing;
      await new Promise((r) => setTimeout(r, 550)); // wall-clock on purpose: the dead worker's leases expire
    }
    expect(leftAfterKill).toBeGreaterThan(0);
    // A clean worker finishes every leftover batch and what is still live.
    const last = startWorker(env);
    try {
      await until(async () => (await pendingKeys(prefix)) === 0, 120_000, 'every batch to be loaded');
      const got = await loaded(pool);
      expect([...got.values()].reduce((a, b) => a + b, 0)).toBe(writer.total);
      expect(got).toEqual(writer.expected);
    } finally {
      last.kill('SIGTERM');
      await exited(last);
      await pool.end();
    }
  }, 240_000);

  it('keeps loading exactly while PostgreSQL is unreachable for a while under load', async () => {
    const db = await testDatabase();
    drops.push(db.drop);
    const pool = createPool(db.url);
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const ingestPool = createPool(viaProxy.toString());
    const { prefix } = testRedis();
    prefixes.push(prefix);
    const keys = new Keys(prefix);
    const writer = new Writer(keys);
    const ingestor = new Ingestor({
      redis,
      pool: ingestPool,
      keys,
      partitions: PARTITIONS,
      families: ['messages'],
      logger: createLogger('silent'),
      maxBackoffMs: 500,
    });
    try {
      ingestor.start(20);
      for (let i = 0; i < 10; i++) await writer.burst(3_000);
      proxy.cut();
      for (let i = 0; i < 20; i++) {
        await writer.burst(2_000);
        // wall-clock on purpose: traffic paced over a two-second outage while the ingestor backs off.
        await new Promise((r) => setTimeout(r, 100));
      }
      const during = await loaded(pool);
      proxy.restore();
      for (let i = 0; i < 5; i++) await writer.burst(2_000);
      await until(
        async () =>
          (await pendingKeys(prefix)) === 0 &&
          [...(await loaded(pool)).values()].reduce((a, b) => a + b, 0) >= writer.total,
        60_000,
        'ingest to catch up',
      );
      expect([...during.values()].reduce((a, b) => a + b, 0)).toBeLessThan(writer.total); // the outage was real
      expect(await loaded(pool)).toEqual(writer.expected);
      expect(ingestor.status().consecutiveFailures).toBe(0);
    } finally {
      await ingestor.stop();
      await ingestPool.end();
      await pool.end();
      await proxy.close();
    }
  }, 120_000);
});
