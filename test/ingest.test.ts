import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { CounterWriter } from '../src/counters.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import { FAMILIES, encodeField } from '../src/families.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys, partitionOf } from '../src/keys.js';
import { ingestBatches, ingestErrors } from '../src/metrics.js';
import { createRedis, type Redis } from '../src/redis.js';
import { freePort } from '../dev/embedded.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

const spec = FAMILIES.messages;
const PARTITIONS = 4;

let db: Awaited<ReturnType<typeof testDatabase>>;
let pool: Pool;
let redis: Redis;
let redisUrl: string;
let prefix: string;
let keys: Keys;
/** Expected sums per `minute|guild|channel|user`, as [messages, words, attachments]. */
let expected: Map<string, number[]>;
const ingestors: Ingestor[] = [];

beforeAll(async () => {
  db = await testDatabase();
  pool = createPool(db.url);
  ({ url: redisUrl } = testRedis());
  redis = createRedis(redisUrl);
});

afterAll(async () => {
  await pool.end();
  redis.disconnect();
  await db.drop();
});

beforeEach(async () => {
  prefix = testRedis().prefix;
  keys = new Keys(prefix);
  expected = new Map();
  await pool.query('TRUNCATE messages_raw, ingest_ledger');
});

afterEach(async () => {
  await Promise.all(ingestors.splice(0).map((i) => i.stop()));
  await cleanupPrefix(redis, prefix);
});

function ingestor(extra: Partial<ConstructorParameters<typeof Ingestor>[0]> = {}): Ingestor {
  const i = new Ingestor({ redis, pool, keys, partitions: PARTITIONS, ...extra });
  ingestors.push(i);
  return i;
}

/** HINCRBYs like a shard's, pipelined; records what was written. */
async function write(n: number, seed = 0): Promise<void> {
  const pipe = redis.pipeline();
  for (let i = 0; i < n; i++) {
    const k = seed + i;
    const guild = String(900_000_000_000_000_000n + BigInt(k % 13));
    const dims = [guild, String(1_000 + (k % 5)), '0', String(2_000 + (k % 7))];
    const minute = 28_000_000 + (k % 3);
    const metric = k % 3;
    const by = 1 + (k % 4);
    pipe.hincrby(keys.live('messages', partitionOf(guild, PARTITIONS)), encodeField(spec, minute, dims, metric), by);
    const rk = `${minute}|${dims.join('|')}`;
    const sums = expected.get(rk) ?? [0, 0, 0];
    sums[metric]! += by;
    expected.set(rk, sums);
  }
  await pipe.exec();
}

async function loaded(): Promise<Map<string, number[]>> {
  const { rows } = await pool.query<{ k: string; m: number; w: number; a: number }>(`
    SELECT (extract(epoch FROM bucket) / 60)::bigint || '|' || guild_id || '|' || channel_id || '|' || parent_id || '|' || user_id AS k,
           sum(messages)::int AS m, sum(words)::int AS w, sum(attachments)::int AS a
    FROM messages_raw GROUP BY 1`);
  return new Map(rows.map((r) => [r.k, [r.m, r.w, r.a]]));
}

async function batchKeys(): Promise<string[]> {
  const all: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', keys.batchPattern('messages', p), 'COUNT', 1000);
      cursor = next;
      all.push(...found);
    } while (cursor !== '0');
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', keys.rowBatchPattern('messages', p), 'COUNT', 1000);
      cursor = next;
      all.push(...found);
    } while (cursor !== '0');
  }
  return all;
}

async function counter(
  c: typeof ingestErrors | typeof ingestBatches,
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await c.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .reduce((s, v) => s + v.value, 0);
}

describe('Ingestor', () => {
  it('loads HINCRBY increments exactly, one row per (minute, dims), across partitions', async () => {
    await write(5_000);
    const partitionsUsed = new Set<number>();
    for (const k of expected.keys()) partitionsUsed.add(partitionOf(k.split('|')[1]!, PARTITIONS));
    expect(partitionsUsed.size).toBeGreaterThan(1);

    const ing = ingestor();
    const res = await ing.runOnce();
    expect(res.rows).toBe(expected.size);
    expect(res.batches).toBe(partitionsUsed.size);
    expect(await loaded()).toEqual(expected);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n, count(DISTINCT (bucket, guild_id, channel_id, parent_id, user_id))::int AS d FROM messages_raw',
    );
    expect(rows[0].n).toBe(rows[0].d);
    expect(await batchKeys()).toEqual([]);
    const ledger = await pool.query('SELECT family, sum(rows)::int AS rows FROM ingest_ledger GROUP BY family');
    expect(ledger.rows).toEqual([{ family: 'messages', rows: expected.size }]);

    // Nothing new: a second cycle loads nothing.
    expect(await ing.runOnce()).toMatchObject({ rows: 0, batches: 0, skipped: 0 });
  });

  it('increments arriving during and after rotation land in a later batch, none lost', async () => {
    const ing = ingestor();
    let writing = true;
    const writer = (async () => {
      for (let round = 0; writing || round < 10; round++) {
        await write(300, round * 300);
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 8; i++) await ing.runOnce();
    writing = false;
    await writer;
    await ing.runOnce();
    expect(await loaded()).toEqual(expected);
    expect(await batchKeys()).toEqual([]);
  });

  it('recovers a batch key left without a ledger row (crash before commit)', async () => {
    await write(500);
    const p = partitionOf(String(900_000_000_000_000_000n), PARTITIONS);
    // A crashed worker renamed the live hash and died before loading it.
    const leftover = keys.batch('messages', p, Keys.newBatchId());
    await redis.rename(keys.live('messages', p), leftover);
    const res = await ingestor().runOnce();
    expect(res.duplicates).toBe(0);
    expect(await loaded()).toEqual(expected);
    expect(await redis.exists(leftover)).toBe(0);
    const { rows } = await pool.query('SELECT 1 FROM ingest_ledger WHERE batch_id = $1', [Keys.batchIdOf(leftover)]);
    expect(rows).toHaveLength(1);
  });

  it('unlinks, without loading again, a batch whose ledger row exists (crash after commit)', async () => {
    await write(500);
    const ing = ingestor();
    const first = await ing.runOnce();
    expect(first.rows).toBe(expected.size);
    // Re-create one committed batch as if its UNLINK never happened: same id, same content.
    const { rows: ledger } = await pool.query<{ batch_id: string; partition: number }>(
      'SELECT batch_id, partition FROM ingest_ledger LIMIT 1',
    );
    const { batch_id: batchId, partition } = ledger[0]!;
    const key = keys.batch('messages', partition, batchId);
    await redis.hset(key, encodeField(spec, 28_000_000, ['900000000000000000', '1000', '0', '2000'], 0), '5');

    const dupBefore = await counter(ingestBatches, { outcome: 'duplicate' });
    const res = await ing.runOnce();
    expect(res).toMatchObject({ rows: 0, duplicates: 1, batches: 1 });
    expect(await counter(ingestBatches, { outcome: 'duplicate' })).toBe(dupBefore + 1);
    expect(await redis.exists(key)).toBe(0);
    expect(await loaded()).toEqual(expected);
  });

  it('skips and counts malformed fields without failing the batch', async () => {
    await write(200);
    const p = 0;
    const live = keys.live('messages', p);
    const good = ['900000000000000099', '1', '0', '2'];
    await redis.hset(live, {
      garbage: '1',
      [`28000000|${good.join('|')}|9`]: '1', // metric index out of range
      [`28000000|1|2|3|0`]: '1', // wrong number of dims
      [encodeField(spec, 28_000_000, good, 0)]: 'not-a-number',
      [encodeField(spec, 28_000_000, ['99999999999999999999', '1', '0', '2'], 0)]: '1', // beyond bigint
      [encodeField(spec, 28_000_000, good, 1)]: '7',
    });
    const res = await ingestor().runOnce();
    expect(res.malformed).toBe(5);
    expected.set(`28000000|${good.join('|')}`, [0, 7, 0]);
    expect(await loaded()).toEqual(expected);
    expect(await batchKeys()).toEqual([]);
  });

  it("records bot authors from the messages' bot mark in the load transaction, and loads fields written without marks", async () => {
    await pool.query('TRUNCATE bot_authors');
    const guild = '900000000000000077';
    const live = keys.live('messages', partitionOf(guild, PARTITIONS));
    await redis.hset(live, {
      [encodeField(spec, 28_000_000, [guild, '1', '0', '501'], 0, ['1'])]: '3', // a bot's messages
      [encodeField(spec, 28_000_000, [guild, '1', '0', '502'], 0, ['0'])]: '2', // a member's
      [`28000001|${guild}|1|0|503|0`]: '4', // a shard of the previous release: no mark, loaded as a member's
      [`28000000|${guild}|1|0|504|2|0`]: '1', // a mark is 0 or 1: malformed
    });
    const res = await ingestor().runOnce();
    expect(res.malformed).toBe(1);
    const { rows } = await pool.query<{ u: string; m: number }>(
      'SELECT user_id::text AS u, sum(messages)::int AS m FROM messages_raw WHERE guild_id = $1 GROUP BY 1 ORDER BY 1',
      [guild],
    );
    expect(rows).toEqual([
      { u: '501', m: 3 },
      { u: '502', m: 2 },
      { u: '503', m: 4 },
    ]);
    const bots = await pool.query('SELECT guild_id::text AS g, user_id::text AS u FROM bot_authors');
    expect(bots.rows).toEqual([{ g: guild, u: '501' }]);
  });

  it("loads the shard writer's row layout over several HSCAN pages beside counter fields of a previous release's shard, opted-out members left out", async () => {
    const guild = '900000000000000088';
    const p = partitionOf(guild, PARTITIONS);
    const optedOut = '2999';
    await pool.query('INSERT INTO privacy_opt_outs (guild_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      guild,
      optedOut,
    ]);
    try {
      const w = new CounterWriter({
        redis,
        keys,
        partitions: PARTITIONS,
        logger: createLogger('silent'),
        maxBuffered: 100,
      });
      const rowsWritten = new Set<string>();
      const add = (minute: number, user: string, v: number[]) => {
        const rk = `${minute}|${guild}|7|0|${user}`;
        rowsWritten.add(rk);
        if (user !== optedOut) {
          const sums = expected.get(rk) ?? [0, 0, 0];
          v.forEach((x, m) => (sums[m]! += x));
          expected.set(rk, sums);
        }
      };
      // 24,000 rows: more than one HSCAN page (10,000 fields), so pages are streamed into the COPY.
      for (let i = 0; i < 24_000; i++) {
        const user = i % 1_000 === 0 ? optedOut : String(3_000 + i);
        const v = [1 + (i % 3), i % 11, 0];
        w.add('messages', guild, 28_000_000 + (i % 2), [guild, '7', '0', user], v);
        add(28_000_000 + (i % 2), user, v);
        // The same row counted twice in one turn: summed in memory into one field.
        if (i % 5 === 0) {
          w.add('messages', guild, 28_000_000 + (i % 2), [guild, '7', '0', user], [1, 0, 2]);
          add(28_000_000 + (i % 2), user, [1, 0, 2]);
        }
      }
      await w.settled();
      w.close();
      const rowFields = rowsWritten.size;
      // A shard of the previous release, still running during a rolling deploy: one HINCRBY per metric.
      const pipe = redis.pipeline();
      for (let i = 0; i < 3_000; i++) {
        const user = String(3_000 + i * 7);
        const minute = 28_000_000 + ((i * 7) % 2);
        pipe.hincrby(keys.live('messages', p), encodeField(spec, minute, [guild, '7', '0', user], 1), 4);
        add(minute, user, [0, 4, 0]);
      }
      await pipe.exec();
      expect(await redis.hlen(keys.liveRows('messages', p))).toBe(rowFields);
      expect(await redis.hlen(keys.live('messages', p))).toBe(3_000);

      const ing = ingestor();
      const res = await ing.runOnce();
      expect(res.malformed).toBe(0);
      expect(await loaded()).toEqual(expected);
      expect(await batchKeys()).toEqual([]);
      // Two batches (the row hash and the counter hash), each ledger row with the rows its COPY loaded.
      const ledger = await pool.query<{ n: number; rows: number }>(
        'SELECT count(*)::int AS n, sum(rows)::int AS rows FROM ingest_ledger',
      );
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM messages_raw');
      expect(ledger.rows).toEqual([{ n: 2, rows: rows[0]!.n }]);
      expect(res.rows).toBe(rows[0]!.n);

      // A batch of several pages that holds only the opted-out member's rows: nothing committed, key gone.
      const only = new CounterWriter({
        redis,
        keys,
        partitions: PARTITIONS,
        logger: createLogger('silent'),
        maxBuffered: 100,
      });
      for (let i = 0; i < 12_000; i++)
        only.add('messages', guild, 28_100_000 + i, [guild, '7', '0', optedOut], [1, 0, 0]);
      await only.settled();
      only.close();
      const emptyBefore = await counter(ingestBatches, { family: 'messages', outcome: 'empty' });
      expect(await ing.runOnce()).toMatchObject({ rows: 0, batches: 1 });
      expect(await counter(ingestBatches, { family: 'messages', outcome: 'empty' })).toBe(emptyBefore + 1);
      expect((await pool.query('SELECT count(*)::int AS n FROM ingest_ledger')).rows[0].n).toBe(2);
      expect(await batchKeys()).toEqual([]);
      expect(await loaded()).toEqual(expected);
    } finally {
      await pool.query('DELETE FROM privacy_opt_outs WHERE guild_id = $1', [guild]);
    }
  }, 60_000);

  it('keeps the batch when Postgres is unreachable and loads it exactly once later', async () => {
    await write(1_000);
    const deadPool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/nowhere`);
    try {
      const errorsBefore = await counter(ingestErrors);
      const broken = ingestor({ pool: deadPool });
      await expect(broken.runOnce()).rejects.toThrow();
      expect(await counter(ingestErrors)).toBeGreaterThan(errorsBefore);
      const kept = await batchKeys();
      expect(kept.length).toBeGreaterThan(0);
      // Still failing: the next cycle must not rotate the kept batch away or lose it.
      await write(100, 50_000);
      await expect(broken.runOnce()).rejects.toThrow();
      await broken.stop();
      expect((await batchKeys()).length).toBeGreaterThanOrEqual(kept.length);
    } finally {
      await deadPool.end();
    }
    const healthy = ingestor();
    await healthy.runOnce();
    expect(await loaded()).toEqual(expected);
    expect(await batchKeys()).toEqual([]);
    await healthy.runOnce();
    expect(await loaded()).toEqual(expected);
  });

  it('refuses to load a rotation that replicas have not acknowledged (WAIT)', async () => {
    await write(300);
    // The test Redis has no replica: WAIT 1 can only time out.
    const waiting = ingestor({ waitReplicas: 1, waitTimeoutMs: 50 });
    await expect(waiting.runOnce()).rejects.toThrow(/replicas acknowledged/);
    expect(await loaded()).toEqual(new Map());
    expect((await batchKeys()).length).toBeGreaterThan(0);
    await waiting.stop();
    await ingestor().runOnce();
    expect(await loaded()).toEqual(expected);
  });

  it('two ingestors on the same partitions never double count', async () => {
    const a = ingestor({ workerId: 'a' });
    const b = ingestor({ workerId: 'b' });
    let skipped = 0;
    for (let round = 0; round < 6; round++) {
      await write(800, round * 800);
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      skipped += ra.skipped + rb.skipped;
      // Hand partitions over between rounds, as when a worker dies and its lease expires.
      if (round % 2 === 1) {
        for (let p = 0; p < PARTITIONS; p++) await redis.del(`${keys.lease(p)}:messages`);
      }
    }
    expect(skipped).toBeGreaterThan(0);
    await Promise.all([a.runOnce(), b.runOnce()]);
    expect(await loaded()).toEqual(expected);
  });

  it('loads a batch once even when two workers race on it without leases (ledger)', async () => {
    await write(3_000);
    const leftovers: string[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const k = keys.batch('messages', p, Keys.newBatchId());
      if ((await redis.exists(keys.live('messages', p))) === 1) {
        await redis.rename(keys.live('messages', p), k);
        leftovers.push(k);
      }
    }
    // Different key prefixes for the leases would let both in; emulate by expiring leases constantly.
    const a = ingestor({ workerId: 'a', leaseMs: 1 });
    const b = ingestor({ workerId: 'b', leaseMs: 1 });
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    await a.runOnce();
    expect(await loaded()).toEqual(expected);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM ingest_ledger');
    expect(rows[0].n).toBe(leftovers.length);
  });

  it('start() loops, and stop() finishes the batch in progress and releases the leases', async () => {
    const ing = ingestor({ workerId: 'looper' });
    await write(2_000);
    ing.start(50);
    await expect.poll(async () => (await loaded()).size, { timeout: 10_000 }).toBe(expected.size);
    await ing.stop();
    expect(await loaded()).toEqual(expected);
    for (let p = 0; p < PARTITIONS; p++) expect(await redis.get(`${keys.lease(p)}:messages`)).toBeNull();
    expect(ing.status().consecutiveFailures).toBe(0);
  });
});
