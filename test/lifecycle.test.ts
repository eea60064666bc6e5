// Graceful shutdown of the real processes: a cluster process SIGTERMed right after traffic writes every
// event it received before exiting 0 (and is not respawned once the manager stops respawning); an ingest
// worker process SIGTERMed mid-load exits 0 and the database ends exact after the next ingest.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateMetrics } from '../src/cluster/manager.js';
import { supervisorOf } from '../src/cluster/supervisor.js';
import { entryPoint } from '../src/entry.js';
import { FAMILIES, decodeField } from '../src/families.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { shardForGuild } from 'discord-sim';
import { sleep, startStack, type Stack } from '../dev/stack.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

let stack: Stack;
let dbUrl: string;
let dropDb: () => Promise<void>;
const r = testRedis();
const GRACE_MS = 10_000;

beforeAll(async () => {
  const db = await testDatabase();
  dbUrl = db.url;
  dropDb = db.drop;
  stack = await startStack({
    databaseUrl: db.url,
    redisUrl: r.url,
    keyPrefix: r.prefix,
    logger: createLogger('warn', { test: 'lifecycle' }),
    guilds: 12,
    totalShards: 2,
    shardsPerCluster: 1,
    env: { SHUTDOWN_GRACE_MS: String(GRACE_MS) },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (stack) await cleanupPrefix(stack.redis, r.prefix).catch(() => {});
  await dropDb?.();
}, 60_000);

/** Dispatches of a type the cluster processes have received, from their metrics over IPC. */
async function received(type: string): Promise<number> {
  const { body } = await aggregateMetrics(stack.manager);
  let n = 0;
  for (const m of body.matchAll(
    new RegExp(`^stats_gateway_dispatches_total\\{[^}]*type="${type}"[^}]*\\} (\\d+)`, 'gm'),
  ))
    n += Number(m[1]);
  return n;
}
const messagesReceived = () => received('MESSAGE_CREATE');

/** Messages counted in Redis and not loaded yet (the messages metric of every live hash). */
async function liveMessages(): Promise<number> {
  const keys = new Keys(r.prefix);
  let n = 0;
  for (let p = 0; p < stack.config.redisPartitions; p++) {
    // Rows as shards write them (one field per row, the metrics as 'v0,v1,...', messages first) and, in the
    // previous layout, one field per metric.
    for (const v of Object.values(await stack.redis.hgetall(keys.liveRows('messages', p))))
      n += Number(v.split(',')[0]);
    for (const [f, v] of Object.entries(await stack.redis.hgetall(keys.live('messages', p))))
      if (decodeField(FAMILIES.messages, f)?.metric === 0) n += Number(v);
  }
  return n;
}

function childOf(clusterId: number): ChildProcess {
  const child = stack.manager.clusters.get(clusterId)?.thread?.process as ChildProcess | undefined;
  if (!child) throw new Error(`cluster ${clusterId} has no process`);
  return child;
}

describe('graceful shutdown', () => {
  it('a cluster process SIGTERMed right after traffic writes everything it received, exits 0 in the grace period, and is not respawned', async () => {
    await stack.sim.sendTraffic({ messages: 4_000, seed: 3 });
    // SIGTERM as soon as the cluster processes have received every message: their increments may still
    // be in flight, which is what the shutdown must wait for.
    await expect.poll(messagesReceived, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(4_000);
    // A /stats command running on cluster 0 when SIGTERM arrives still gets its answer.
    const shard0Guild = [...stack.sim.world.guilds.keys()].find((g) => shardForGuild(g, 2) === 0)!;
    const interactionsBefore = await received('INTERACTION_CREATE');
    const reply = stack.sim.invokeCommand({
      guildId: shard0Guild,
      channelId: stack.sim.world.textChannels(shard0Guild)[0]!.id,
      userId: stack.sim.world.humanMembers(shard0Guild)[0]!.user.id,
      name: 'stats',
      subcommand: 'server',
      options: [{ name: 'period', type: 3, value: '1h' }],
      timeoutMs: 20_000,
    });
    await expect
      .poll(() => received('INTERACTION_CREATE'), { timeout: 20_000, interval: 5 })
      .toBeGreaterThan(interactionsBefore);
    const child = childOf(0);
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const t0 = Date.now();
      child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
    });
    supervisorOf(stack.manager)!.stop();
    child.kill('SIGTERM');
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(GRACE_MS);
    // Its own answer (nothing is ingested yet), not an error from a half-closed process.
    // (Measured: the reply reaches the simulator ~40 ms after the SIGTERM; without waiting for running
    // commands the process would exit first and the reply would never come.)
    const answer = await reply;
    expect(answer.content).toMatch(/^Nothing recorded yet/);
    // Everything it received is in Redis, and through ingest, exactly in Postgres.
    await stack.ingestUntilMatch(60_000);
    expect(await stack.diff()).toEqual([]);
    // Not respawned: the cluster has no process, and no new identify for its shard reached the simulator.
    await sleep(1_500); // wall-clock on purpose: time for a respawn to show, where there must be none
    expect(stack.manager.clusters.get(0)?.thread ?? null).toBeNull();
    expect(stack.sim.identifyLog.filter((x) => x.shard === 0)).toHaveLength(1);
    expect(stack.sim.readyShards()).not.toContain(0);
  }, 150_000);

  it('an ingest worker process SIGTERMed mid-load exits 0; a restarted worker leaves the database exact', async () => {
    // Only guilds of shard 1: cluster 0 is gone. Spread over 30 days, so batches hold many rows.
    const guildIds = [...stack.sim.world.guilds.keys()].filter((g) => shardForGuild(g, 2) === 1);
    const before = await messagesReceived();
    const { sent } = await stack.sim.sendTraffic({ messages: 20_000, seed: 5, guildIds, historyMs: 30 * 86_400_000 });
    await expect.poll(messagesReceived, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(before + sent);
    // Every counted message is in Redis (or in Postgres, loaded by the test before): the worker starts with
    // all of it pending.
    const counted = [...stack.sim.truth.messageTotals().values()].reduce((a, t) => a + t.messages, 0);
    const loaded = Number(
      (await stack.pool.query<{ n: string }>('SELECT coalesce(sum(messages), 0)::text AS n FROM messages_raw')).rows[0]!
        .n,
    );
    await expect.poll(liveMessages, { timeout: 30_000, interval: 50 }).toBe(counted - loaded);

    const worker = (logLevel: string) => {
      const entry = entryPoint('../src/ingest/main.ts', import.meta.url);
      return spawn(process.execPath, [...entry.execArgv, entry.file], {
        env: {
          ...process.env,
          DATABASE_URL: dbUrl,
          REDIS_URL: r.url,
          REDIS_KEY_PREFIX: r.prefix,
          METRICS_PORT: '0',
          INGEST_INTERVAL_MS: '100',
          LOG_LEVEL: logLevel,
          SHUTDOWN_GRACE_MS: String(GRACE_MS),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    };
    const first = worker('debug');
    const exited = new Promise<number | null>((resolve) => first.once('exit', resolve));
    // SIGTERM on the first loaded batch: more are pending, the worker is mid-load.
    let batches = 0;
    for await (const line of readline.createInterface({ input: first.stdout! })) {
      if (line.includes('"batch loaded"') && ++batches === 1) first.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(await stack.diff()).not.toEqual([]); // it stopped before loading everything

    const second = worker('warn');
    try {
      await expect.poll(() => stack.diff(), { timeout: 60_000, interval: 250 }).toEqual([]);
    } finally {
      const done = new Promise((resolve) => second.once('exit', resolve));
      second.kill('SIGTERM');
      await done;
    }
    expect(second.exitCode).toBe(0);
    expect(await stack.diff()).toEqual([]);
  }, 150_000);
});
