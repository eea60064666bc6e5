// Identify throttling across processes: every discord.js client of a deployment takes the Redis lock of
// its shard's max_concurrency bucket before IDENTIFY, so the simulator sees identifies of one bucket at
// least the interval apart however many processes start at once. Each client below has its own
// WebSocketManager (as each cluster process does): only Redis coordinates them.
import type { ChildProcess } from 'node:child_process';
import { Events, type Client } from 'discord.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createManager } from '../src/cluster/manager.js';
import { supervisorOf } from '../src/cluster/supervisor.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { registry } from '../src/metrics.js';
import { createRedis } from '../src/redis.js';
import { createClient } from '../src/shard/bot.js';
import { lockHoldMs, redisIdentifyThrottler } from '../src/shard/identify-throttler.js';
import { startSimulator, type Simulator } from 'discord-sim';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

const r = testRedis();
const redis = createRedis(r.url);
const logger = createLogger('warn', { test: 'identify' });
const INTERVAL = 1_000;
// The simulator refuses identifies closer than this in a bucket (Discord: 5 s); shortened with the
// throttler's interval so each case takes seconds, not tens of seconds.
const limits = { identifyIntervalMs: INTERVAL };

afterAll(async () => {
  await cleanupPrefix(redis, r.prefix);
  await redis.quit();
});

/** One client per shard, all logging in at once; `throttled` adds the Redis throttler. */
async function startClients(
  sim: Simulator,
  shardCount: number,
  opts: { throttled: boolean; prefix: string },
): Promise<Client[]> {
  const config = loadConfig({ DISCORD_TOKEN: sim.token, DISCORD_API_URL: sim.apiUrl, LOG_LEVEL: 'warn' });
  return Array.from({ length: shardCount }, (_, shard) =>
    createClient(
      config,
      [shard],
      shardCount,
      opts.throttled
        ? {
            buildIdentifyThrottler: redisIdentifyThrottler({
              redis,
              prefix: opts.prefix,
              intervalMs: INTERVAL,
              logger,
            }),
          }
        : undefined,
    ),
  );
}

async function loginAll(clients: Client[], token: string): Promise<void> {
  await Promise.all(
    clients.map(async (c) => {
      const ready = new Promise((res) => c.once(Events.ClientReady, res));
      await c.login(token);
      await ready;
    }),
  );
}

/** Gaps in ms between consecutive identifies of each bucket, by bucket. */
function gapsByBucket(log: { shard: number; at: number }[], maxConcurrency: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const last = new Map<number, number>();
  for (const { shard, at } of [...log].sort((a, b) => a.at - b.at)) {
    const b = shard % maxConcurrency;
    const prev = last.get(b);
    if (prev !== undefined) out.set(b, [...(out.get(b) ?? []), at - prev]);
    last.set(b, at);
  }
  return out;
}

describe('identify throttling across processes (Redis)', () => {
  it('without it, separate clients identify in the same bucket at once (Discord, and the simulator, refuse one with INVALID_SESSION)', async () => {
    const sim = await startSimulator({ guilds: 4, shards: 2, maxConcurrency: 1 });
    const clients = await startClients(sim, 2, { throttled: false, prefix: `${r.prefix}-none` });
    try {
      await loginAll(clients, sim.token);
      // Both get in eventually (discord.js identifies again after op 9), but one was refused first.
      expect(sim.identifyLog).toHaveLength(2);
      expect(sim.identifyViolations).toBeGreaterThan(0);
    } finally {
      await Promise.all(clients.map((c) => c.destroy()));
      await sim.close();
    }
  }, 30_000);

  it('max_concurrency 1: 4 clients identify one at a time, at least the interval apart', async () => {
    const sim = await startSimulator({ guilds: 8, shards: 4, maxConcurrency: 1, limits });
    const clients = await startClients(sim, 4, { throttled: true, prefix: `${r.prefix}-mc1` });
    try {
      await loginAll(clients, sim.token);
      expect(sim.identifyLog.map((x) => x.shard).sort()).toEqual([0, 1, 2, 3]);
      const gaps = gapsByBucket(sim.identifyLog, 1).get(0)!;
      expect(gaps).toHaveLength(3);
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(INTERVAL);
      expect(sim.identifyViolations).toBe(0);
      // The lock outlives the identify by the hold time and is never released early.
      const ttl = await redis.pttl(`${r.prefix}-mc1:identify:0`);
      expect(ttl).toBeLessThanOrEqual(lockHoldMs(INTERVAL));
    } finally {
      await Promise.all(clients.map((c) => c.destroy()));
      await sim.close();
    }
  }, 60_000);

  it('max_concurrency 2: the two buckets proceed in parallel, each paced by the interval', async () => {
    const sim = await startSimulator({ guilds: 8, shards: 4, maxConcurrency: 2, limits });
    const clients = await startClients(sim, 4, { throttled: true, prefix: `${r.prefix}-mc2` });
    try {
      await loginAll(clients, sim.token);
      const gaps = gapsByBucket(sim.identifyLog, 2);
      expect(gaps.get(0)).toHaveLength(1);
      expect(gaps.get(1)).toHaveLength(1);
      for (const g of [...gaps.values()].flat()) expect(g).toBeGreaterThanOrEqual(INTERVAL);
      expect(sim.identifyViolations).toBe(0);
      // Parallel: each bucket's first identify went out without waiting for the other bucket.
      const first = (b: number) => Math.min(...sim.identifyLog.filter((x) => x.shard % 2 === b).map((x) => x.at));
      expect(Math.abs(first(0) - first(1))).toBeLessThan(INTERVAL);
    } finally {
      await Promise.all(clients.map((c) => c.destroy()));
      await sim.close();
    }
  }, 60_000);

  it('an exhausted session_start_limit holds the identify (no identify beyond the budget)', async () => {
    const sim = await startSimulator({ guilds: 4, shards: 2, maxConcurrency: 2, sessionStartTotal: 1, limits });
    const clients = await startClients(sim, 2, { throttled: true, prefix: `${r.prefix}-budget` });
    try {
      const readyOne = Promise.race(clients.map((c) => new Promise((res) => c.once(Events.ClientReady, res))));
      for (const c of clients) void c.login(sim.token).catch(() => {});
      await readyOne;
      // The second shard sees the first one's grant, then (once Discord's count has it) remaining 0.
      const remaining = async () =>
        (await registry.getSingleMetric('stats_session_start_remaining')!.get()).values[0]?.value;
      await expect.poll(remaining, { timeout: 15_000, interval: 100 }).toBe(0);
      await new Promise((res) => setTimeout(res, 500)); // wall-clock on purpose: time for a second identify to show, where there must be none
      expect(sim.identifyLog).toHaveLength(1);
    } finally {
      await Promise.all(clients.map((c) => c.destroy()));
      await sim.close();
    }
  }, 30_000);

  it('2 cluster processes at the default 5 s interval: no identify violation at the simulator', async () => {
    const sim = await startSimulator({ guilds: 8, shards: 2, maxConcurrency: 1 });
    const db = await testDatabase();
    Object.assign(process.env, {
      DISCORD_TOKEN: sim.token,
      DISCORD_API_URL: sim.apiUrl,
      DATABASE_URL: db.url,
      REDIS_URL: r.url,
      REDIS_KEY_PREFIX: `${r.prefix}-procs`,
      TOTAL_SHARDS: '2',
      SHARDS_PER_CLUSTER: '1',
      LOG_LEVEL: 'warn',
      RENDER_THREADS: '1',
      IDENTIFY_INTERVAL_MS: '5000',
    });
    // No spawn delay at all: the throttler alone keeps the two processes' identifies apart.
    const manager = createManager({ config: loadConfig(), logger, spawnDelayMs: 0 });
    try {
      await manager.spawn();
      await sim.waitForShards(2, 90_000);
      expect(sim.identifyLog).toHaveLength(2);
      expect(sim.identifyViolations).toBe(0);
      expect(gapsByBucket(sim.identifyLog, 1).get(0)![0]).toBeGreaterThanOrEqual(5_000);
    } finally {
      supervisorOf(manager)!.stop();
      await Promise.all(
        [...manager.clusters.values()].map((c) => {
          const child = c.thread?.process as ChildProcess | undefined;
          if (!child || child.exitCode !== null) return;
          return new Promise((res) => {
            child.once('exit', res);
            child.kill('SIGTERM');
          });
        }),
      );
      await sim.close();
      await db.drop();
    }
  }, 150_000);
});
