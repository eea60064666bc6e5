// The bot on a real Redis Cluster (3 masters, 3 replicas, started from redis-server on random loopback
// ports by dev/redis-cluster.ts): cluster processes and ingest workers all on ioredis's Cluster client.
// Expected values come from the simulator's ground truth; Redis's own replication offsets decide what a
// failover may lose.
import { spawn, type ChildProcess } from 'node:child_process';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type LocalRedisCluster } from '../dev/redis-cluster.js';
import { sleep, startStack, type Stack } from '../dev/stack.js';
import { waitForExit } from '../dev/embedded.js';
import { aggregateMetrics } from '../src/cluster/manager.js';
import { entryPoint } from '../src/entry.js';
import { FAMILY_NAMES } from '../src/families.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { MEMBER_EVENTS } from '../src/member-events.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { testDatabase, testRedis } from './helpers/services.js';

const PARTITIONS = 4;
const PREFIX = 'rc';
const keys = new Keys(PREFIX);
const logger = createLogger('warn', { test: 'redis-cluster' });

let cluster: LocalRedisCluster;
let stack: Stack;
let db: Awaited<ReturnType<typeof testDatabase>>;

beforeAll(async () => {
  [cluster, db] = await Promise.all([startRedisCluster(), testDatabase()]);
  stack = await startStack({
    databaseUrl: db.url,
    redisUrl: testRedis().url, // unused: REDIS_CLUSTER_NODES wins
    redisClusterNodes: cluster.seeds,
    keyPrefix: PREFIX,
    logger,
    guilds: 12,
    totalShards: 2,
    shardsPerCluster: 1,
    env: { REDIS_PARTITIONS: String(PARTITIONS) },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
  await db?.drop();
}, 60_000);

const slotOf = (p: number) => calculateSlot(keys.live('messages', p));

async function received(): Promise<number> {
  const { body } = await aggregateMetrics(stack.manager);
  let n = 0;
  for (const m of body.matchAll(/^stats_gateway_dispatches_total\{[^}]*type="MESSAGE_CREATE"[^}]*\} (\d+)/gm))
    n += Number(m[1]);
  return n;
}

/** Message counts per guild|channel|user in PostgreSQL. */
async function dbCounts(): Promise<Map<string, number>> {
  const rows = await messageTotalsByChannelMember(stack.pool, [...stack.sim.world.guilds.keys()]);
  return new Map([...rows].map(([k, v]) => [k, v.messages]));
}
const truthCounts = () => new Map([...stack.sim.truth.messageTotals()].map(([k, v]) => [k, v.messages]));

/** Replication offsets of every master and its replica, from INFO replication on each node. */
async function replicationQuiet(): Promise<boolean> {
  const offsets = await Promise.all(
    (await cluster.topology())
      .filter((n) => n.role === 'master' && !n.failed)
      .map(async (n) => {
        const r = new Redis({ host: '127.0.0.1', port: n.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
        r.on('error', () => {});
        try {
          const info = await r.info('replication');
          const master = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
          const replicas = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => Number(m[1]));
          return replicas.length > 0 && replicas.every((o) => o === master) ? master : -1;
        } finally {
          r.disconnect();
        }
      }),
  );
  return offsets.every((o) => o >= 0);
}

describe('on a Redis Cluster (3 masters, 3 replicas)', () => {
  it('spreads the partitions over the masters and counts every message exactly', async () => {
    const masters = new Set(
      await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await cluster.masterOf(slotOf(p))).id)),
    );
    expect(masters.size).toBeGreaterThanOrEqual(2);
    await stack.sim.sendTraffic({ messages: 2_000, ratePerSec: 4_000, seed: 3 });
    await stack.ingestUntilMatch(60_000);
    expect(await stack.diff()).toEqual([]);
  }, 120_000);

  it('stays exact while every partition slot migrates to another master as shards write and ingest runs', async () => {
    const traffic = stack.sim.sendTraffic({ messages: 3_000, ratePerSec: 1_500, seed: 4 });
    let ingesting = true;
    const ingest = (async () => {
      while (ingesting) {
        await stack.ingestor.runOnce().catch(() => {});
        await sleep(50); // wall-clock on purpose: an ingest pass every 50 ms while the slots migrate (load)
      }
    })();
    const topology = await cluster.topology();
    let moved = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const from = await cluster.masterOf(slotOf(p));
      const to = topology.find((n) => n.role === 'master' && n.id !== from.id)!;
      moved += await cluster.migrateSlot(slotOf(p), to.port, 20);
    }
    await traffic;
    ingesting = false;
    await ingest;
    expect(moved).toBeGreaterThan(0); // live hashes and streams really moved mid-traffic
    await stack.ingestUntilMatch(60_000);
    expect(await stack.diff()).toEqual([]);
  }, 120_000);

  it('a master killed mid-load: its replica takes over, nothing is counted twice, nothing replicated is lost', async () => {
    // Phase A: written by the shards and replicated (replica offsets equal the masters') before the kill.
    const before = await received();
    const { sent } = await stack.sim.sendTraffic({
      messages: 3_000,
      ratePerSec: 3_000,
      seed: 5,
      historyMs: 20 * 86_400_000,
    });
    await expect.poll(received, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(before + sent);
    await expect.poll(replicationQuiet, { timeout: 30_000, interval: 100 }).toBe(true);
    const replicated = truthCounts();
    await stack.ingestor.stop(); // hands its leases and roster place to the worker below
    const loadedBefore = [...(await dbCounts()).values()].reduce((a, b) => a + b, 0);

    const worker = new Ingestor({
      redis: stack.redis,
      pool: stack.pool,
      keys,
      partitions: PARTITIONS,
      waitReplicas: 1,
      leaseMs: 2_000,
      logger,
    });
    worker.start(50);
    try {
      // Mid-load: the first batches of phase A are in PostgreSQL, others still in Redis.
      await expect
        .poll(async () => [...(await dbCounts()).values()].reduce((a, b) => a + b, 0), {
          timeout: 30_000,
          interval: 10,
        })
        .toBeGreaterThan(loadedBefore);
      const victim = await cluster.masterOf(slotOf(0));
      // Phase B runs through the failover: what the dead master acknowledged but had not replicated may go.
      const [, promoted] = await Promise.all([
        stack.sim.sendTraffic({ messages: 1_000, ratePerSec: 500, seed: 6 }),
        cluster.killMaster(victim.port),
      ]);
      expect(promoted.port).not.toBe(victim.port);
      // Until the dead node is back (as the new master's replica) WAIT refuses that partition's rotations.
      await cluster.restart(victim.port);
      expect((await cluster.topology()).find((n) => n.port === victim.port)?.role).toBe('replica');
      const truth = truthCounts();
      // Everything replicated lands; nothing lands twice (at most the truth), per guild|channel|user.
      const problems = async () => {
        const counted = await dbCounts();
        const out: string[] = [];
        for (const [k, t] of truth) {
          const d = counted.get(k) ?? 0;
          if (d < (replicated.get(k) ?? 0) || d > t)
            out.push(`${k}: replicated ${replicated.get(k) ?? 0} ≤ db ${d} ≤ truth ${t} violated`);
        }
        for (const k of counted.keys()) if (!truth.has(k)) out.push(`${k}: not in truth`);
        return out;
      };
      await expect.poll(problems, { timeout: 60_000, interval: 250 }).toEqual([]);
      // Once the worker has drained Redis, still nothing above the truth.
      await expect
        .poll(async () => (await worker.runOnce().catch(() => ({ rows: -1 }))).rows, { timeout: 30_000, interval: 100 })
        .toBe(0);
      expect(await problems()).toEqual([]);
    } finally {
      await worker.stop();
    }
  }, 180_000);

  describe('several ingest worker processes', () => {
    const procs: ChildProcess[] = [];
    const workerEnv = () => ({
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_CLUSTER_NODES: cluster.seeds.join(','),
      REDIS_KEY_PREFIX: PREFIX,
      REDIS_PARTITIONS: String(PARTITIONS),
      REDIS_WAIT_REPLICAS: '1',
      METRICS_PORT: '0',
      INGEST_INTERVAL_MS: '100',
      INGEST_LEASE_MS: '1000',
      LOG_LEVEL: 'warn',
    });
    const startWorker = (): ChildProcess => {
      const entry = entryPoint('../src/ingest/main.ts', import.meta.url);
      const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
        env: workerEnv(),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      procs.push(child);
      return child;
    };
    const leaseKeys = [...FAMILY_NAMES, MEMBER_EVENTS].flatMap((f) =>
      Array.from({ length: PARTITIONS }, (_, p) => `${keys.lease(p)}:${f}`),
    );
    /** Leases held per worker process id (worker ids are host:pid:random). */
    const owners = async (): Promise<Map<number, number>> => {
      const held = await Promise.all(leaseKeys.map((k) => stack.redis.get(k)));
      const out = new Map<number, number>();
      for (const h of held) if (h) out.set(Number(h.split(':')[1]), (out.get(Number(h.split(':')[1])) ?? 0) + 1);
      return out;
    };
    const fair = (workers: ChildProcess[]) => async () => {
      const o = await owners();
      const share = Math.ceil(leaseKeys.length / workers.length);
      const ok =
        workers.every((w) => (o.get(w.pid!) ?? 0) > 0 && (o.get(w.pid!) ?? 0) <= share) &&
        [...o.values()].reduce((a, b) => a + b, 0) === leaseKeys.length;
      // The holdings themselves when unfair, so a failure says who holds what.
      return ok ? 'fair' : JSON.stringify({ share, workers: workers.map((w) => w.pid), held: Object.fromEntries(o) });
    };

    afterAll(async () => {
      await Promise.all(procs.map((p) => (p.kill('SIGKILL'), waitForExit(p, 5_000))));
    });

    it('two, then three workers share the partitions fairly; one SIGKILLed, the others take its share and the database stays exact', async () => {
      // Deltas from here: the failover above may have lost a few unreplicated increments for good.
      const [truth0, db0] = [truthCounts(), await dbCounts()];
      const delta = async () => {
        const [truth, counted] = [truthCounts(), await dbCounts()];
        const out: string[] = [];
        for (const k of new Set([...truth.keys(), ...counted.keys()])) {
          const t = (truth.get(k) ?? 0) - (truth0.get(k) ?? 0);
          const d = (counted.get(k) ?? 0) - (db0.get(k) ?? 0);
          if (t !== d) out.push(`${k}: truth +${t}, db +${d}`);
        }
        return out;
      };
      const a = startWorker();
      const b = startWorker();
      await expect.poll(fair([a, b]), { timeout: 60_000, interval: 200 }).toBe('fair');
      const c = startWorker();
      await expect.poll(fair([a, b, c]), { timeout: 60_000, interval: 200 }).toBe('fair');

      const traffic = stack.sim.sendTraffic({
        messages: 3_000,
        ratePerSec: 1_500,
        seed: 8,
        historyMs: 10 * 86_400_000,
      });
      // Kill b mid-load: once a part of the traffic has been sent.
      const sent = () => [...stack.sim.truth.messageTotals().values()].reduce((n, v) => n + v.messages, 0);
      await expect.poll(sent, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(500);
      b.kill('SIGKILL');
      await traffic;
      await expect.poll(fair([a, c]), { timeout: 60_000, interval: 200 }).toBe('fair');
      await expect.poll(delta, { timeout: 60_000, interval: 250 }).toEqual([]);
    }, 180_000);
  });
});
