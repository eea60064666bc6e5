// The shard's write path against a real redis-server that goes away and comes back.
import { afterEach, describe, expect, it } from 'vitest';
import { CounterWriter } from '../src/counters.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { incrementsShed, redisWriteErrors } from '../src/metrics.js';
import { createRedis, type Redis } from '../src/redis.js';
import { freePort, startEmbeddedRedis } from '../dev/embedded.js';
import { FAMILIES, ROW_METRIC, decodeField } from '../src/families.js';

const logger = createLogger('silent');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

/** Sum of every counter of the messages family in a partition's live hash, by metric name. */
async function liveTotals(redis: Redis, keys: Keys): Promise<Record<string, number>> {
  const out: Record<string, number> = { messages: 0, words: 0, attachments: 0 };
  const all = {
    ...(await redis.hgetall(keys.live('messages', 0))),
    ...(await redis.hgetall(keys.liveRows('messages', 0))),
  };
  for (const [field, v] of Object.entries(all)) {
    // Row layout: `...|*` holds every metric, `v0,v1,v2` (src/families.ts); counter layout: one metric per field.
    if (field.endsWith(`|${ROW_METRIC}`)) {
      v.split(',').forEach((x, m) => (out[FAMILIES.messages.metrics[m]!]! += Number(x)));
      continue;
    }
    const d = decodeField(FAMILIES.messages, field)!;
    out[FAMILIES.messages.metrics[d.metric]!]! += Number(v);
  }
  return out;
}

function writer(redis: Redis, keys: Keys, maxBuffered: number): CounterWriter {
  const w = new CounterWriter({ redis, keys, partitions: 1, logger, maxBuffered, retryIntervalMs: 100 });
  cleanups.push(async () => w.close());
  return w;
}

describe('CounterWriter', () => {
  it('never blocks the caller and loses nothing across a Redis outage', async () => {
    const port = await freePort();
    let server = await startEmbeddedRedis({ port });
    cleanups.push(() => server.stop());
    const redis = createRedis(server.url, { retryStrategy: () => 50 });
    redis.on('error', () => {}); // the outage is on purpose
    cleanups.push(async () => redis.disconnect());
    const keys = new Keys('t');
    const w = writer(redis, keys, 10_000);

    const errorsBefore = (await redisWriteErrors.get()).values[0]?.value ?? 0;
    const t0 = performance.now();
    for (let i = 0; i < 100; i++)
      w.add(
        'messages',
        '111111111111111111',
        1000 + (i % 5),
        ['111111111111111111', '2', '0', String(i % 7)],
        [1, 3, 0],
      );
    expect(performance.now() - t0).toBeLessThan(1000); // synchronous: the loop never awaited Redis
    await w.settled();
    expect(await liveTotals(redis, keys)).toEqual({ messages: 100, words: 300, attachments: 0 });

    // This server keeps nothing on disk: what it held is gone with it, the buffer must bring the rest.
    await server.stop();
    for (let i = 0; i < 200; i++)
      w.add(
        'messages',
        '111111111111111111',
        1000 + (i % 5),
        ['111111111111111111', '2', '0', String(i % 7)],
        [1, 2, 1],
      );
    await expect.poll(() => w.pending.inflight === 0 && w.pending.buffered > 0, { timeout: 15_000 }).toBe(true);
    const errorsDuring = (await redisWriteErrors.get()).values[0]?.value ?? 0;
    expect(errorsDuring).toBeGreaterThan(errorsBefore);
    // Merged by row: 5 minutes × 7 users at most.
    expect(w.pending.buffered).toBeLessThanOrEqual(35);

    server = await startEmbeddedRedis({ port });
    expect(await w.drain(20_000)).toBe(true);
    expect(await liveTotals(redis, keys)).toEqual({ messages: 200, words: 400, attachments: 200 });
  }, 60_000);

  it('sheds past its bound, counts what it shed, and keeps the rest', async () => {
    const port = await freePort();
    let server = await startEmbeddedRedis({ port });
    cleanups.push(() => server.stop());
    const redis = createRedis(server.url, { retryStrategy: () => 50 });
    redis.on('error', () => {}); // the outage is on purpose
    cleanups.push(async () => redis.disconnect());
    const keys = new Keys('s');
    const w = writer(redis, keys, 50);
    await server.stop();

    const shedBefore = (await incrementsShed.get()).values[0]?.value ?? 0;
    // 80 distinct users × 1 metric: 50 fit in the buffer, 30 are shed.
    for (let i = 0; i < 80; i++)
      w.add('messages', '111111111111111111', 5, ['111111111111111111', '2', '0', String(1000 + i)], [1, 0, 0]);
    await expect.poll(() => w.pending.inflight, { timeout: 15_000 }).toBe(0);
    expect(w.pending.buffered).toBe(50);
    const shed = ((await incrementsShed.get()).values[0]?.value ?? 0) - shedBefore;
    expect(shed).toBe(30);

    server = await startEmbeddedRedis({ port });
    expect(await w.drain(20_000)).toBe(true);
    expect((await liveTotals(redis, keys)).messages).toBe(50);
  }, 60_000);

  it('adds to rows already in Redis, and a call that fails writes none of its rows (so their retry counts once)', async () => {
    const server = await startEmbeddedRedis({ port: await freePort() });
    cleanups.push(() => server.stop());
    const redis = createRedis(server.url);
    cleanups.push(async () => redis.disconnect());
    const keys = new Keys('a');
    const w = writer(redis, keys, 1_000);
    const g = '111111111111111111';
    for (let turn = 0; turn < 3; turn++) {
      for (let u = 0; u < 10; u++) w.add('messages', g, 7, [g, '2', '0', String(500 + u)], [1, 2, turn]);
      await w.settled();
    }
    expect(await liveTotals(redis, keys)).toEqual({ messages: 30, words: 60, attachments: 30 });
    const field = Object.keys(await redis.hgetall(keys.liveRows('messages', 0)))[0]!;
    expect(await redis.hget(keys.liveRows('messages', 0), field)).toBe('3,6,3');

    // A field that is not a counter row (written by hand) makes the whole call fail before any write: the
    // other rows go to the retry buffer and land once when retried alone; the broken one keeps waiting.
    await redis.hset(keys.liveRows('messages', 0), field, 'x,y,z');
    const before = (await redisWriteErrors.get()).values[0]?.value ?? 0;
    for (let u = 0; u < 10; u++) w.add('messages', g, 7, [g, '2', '0', String(500 + u)], [1, 0, 0]);
    await w.settled();
    expect((await redisWriteErrors.get()).values[0]?.value ?? 0).toBeGreaterThan(before);
    await expect.poll(() => w.pending.buffered, { timeout: 10_000 }).toBe(1);
    await redis.hdel(keys.liveRows('messages', 0), field);
    expect(await w.drain(10_000)).toBe(true);
    // 9 rows of 3 turns + 1 more message each, and the broken row's single retried message.
    expect(await liveTotals(redis, keys)).toEqual({ messages: 9 * 4 + 1, words: 9 * 6, attachments: 9 * 3 });
  }, 30_000);
});
