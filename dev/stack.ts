// The whole system wired against the local Discord simulator: simulator, cluster manager with its
// cluster processes, an ingest worker, in HTTP mode the interactions service as its own process (set as
// the simulator's Interactions Endpoint URL) and, when asked, the dashboard. The demo, the end-to-end tests
// and the benchmarks share it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { ClusterManager } from 'discord-hybrid-sharding';
import { entryPoint } from '../src/entry.js';
import { createManager } from '../src/cluster/manager.js';
import { stopClusterProcesses } from '../src/cluster/supervisor.js';
import { loadConfig, type Config } from '../src/config.js';
import { createPool, type Pool, type Queryable } from '../src/db/pool.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys } from '../src/keys.js';
import type { Logger } from '../src/logger.js';
import { connectRedis, type RedisClient } from '../src/redis.js';
import { createSchedulerRest } from '../src/scheduler/rest.js';
import { JOBS } from '../src/scheduler/jobs.js';
import { RenderPool } from '../src/render/pool.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { startSimulator, type Simulator, type VoiceDriver } from 'discord-sim';
import type { PresenceDriver } from 'discord-sim';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startDashboard, type Dashboard } from './web.js';

export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Seed nodes of a Redis Cluster: every process of the stack uses it instead of redisUrl. */
  redisClusterNodes?: string[];
  logger: Logger;
  guilds?: number;
  totalShards?: number;
  shardsPerCluster?: number;
  keyPrefix?: string;
  /** Log level of the cluster processes (default: this process's LOG_LEVEL, else warn). */
  clusterLogLevel?: string;
  seed?: number;
  /** The simulator's gateway heartbeat interval (Discord's: 41.25 s). */
  heartbeatIntervalMs?: number;
  /** Extra environment for the cluster processes (e.g. VOICE_CREDIT_INTERVAL_MS, PRESENCE_INTENT). */
  env?: Record<string, string>;
  /** Who answers commands (default gateway): in http mode the interactions service runs as its own process. */
  interactions?: 'gateway' | 'http';
  /** Start the dashboard (src/web) too, on this port (0: a free one). */
  web?: { port?: number };
  /** Run the scheduler's loop (its jobs over REST); without it tests drive stack.scheduler themselves. */
  scheduler?: { start?: boolean; tickMs?: number };
  /** Runs on the simulator before any cluster process connects (e.g. history from before the bot joined). */
  beforeStart?: (sim: Simulator) => Promise<void> | void;
}

export interface Stack {
  sim: Simulator;
  manager: ClusterManager;
  config: Config;
  redis: RedisClient;
  pool: Pool;
  ingestor: Ingestor;
  /** The scheduler (src/scheduler) in this process, with the production job list. */
  scheduler: Scheduler;
  /** The interactions service's URL in http mode (also the simulator's Interactions Endpoint URL). */
  interactionsUrl: string | undefined;
  /** Port of the interactions service's /metrics in http mode. */
  interactionsMetricsPort: number | undefined;
  /** The dashboard, when asked for (StackOptions.web). */
  web: Dashboard | undefined;
  /** Runs ingest until Postgres holds exactly the simulator's ground truth; throws with a diff on timeout. */
  ingestUntilMatch(timeoutMs?: number): Promise<{ rounds: number; rows: number }>;
  /** Differences between Postgres and the ground truth, keyed `guild|channel|user` (empty when equal). */
  diff(): Promise<string[]>;
  /** Emoji uses: Postgres vs ground truth, keyed `guild|user|emoji|source` (see diffEmojis). */
  diffEmojis(): Promise<string[]>;
  /** Command uses: Postgres vs ground truth, keyed `guild|channel|user|application|command` (see diffApps). */
  diffApps(): Promise<string[]>;
  /** Member joins/leaves: Postgres vs what the bot should have recorded (see diffMembers). */
  diffMembers(): Promise<string[]>;
  /** Voice seconds per guild|channel|user beyond `toleranceSec` from the voice driver's truth (see diffVoice). */
  diffVoice(voice: VoiceDriver, toleranceSec: number): Promise<string[]>;
  /** Activity seconds per guild|user|activity beyond `toleranceSec` from the presence driver's truth. */
  diffActivities(presence: PresenceDriver, toleranceSec: number): Promise<string[]>;
  /** Resolves once the bot has written an event for every member join and leave the simulator sent. */
  memberEventsSettled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const totalShards = o.totalShards ?? 4;
  const sim = await startSimulator({
    guilds: o.guilds ?? 20,
    shards: totalShards,
    seed: o.seed ?? 1,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
  });
  await o.beforeStart?.(sim);
  const mode = o.interactions ?? 'gateway';
  const interactionsPort = mode === 'http' ? await freePort() : 0;
  const interactionsMetricsPort = mode === 'http' ? await freePort() : undefined;
  // Cluster processes read their configuration from the environment they inherit.
  Object.assign(process.env, {
    DISCORD_TOKEN: sim.token,
    DISCORD_API_URL: sim.apiUrl,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    REDIS_CLUSTER_NODES: o.redisClusterNodes?.join(',') ?? '',
    REDIS_KEY_PREFIX: o.keyPrefix ?? 'stats',
    TOTAL_SHARDS: String(totalShards),
    SHARDS_PER_CLUSTER: String(o.shardsPerCluster ?? 2),
    LOG_LEVEL: o.clusterLogLevel ?? process.env.LOG_LEVEL ?? 'warn',
    RENDER_THREADS: '1',
    INTERACTIONS: mode,
    DISCORD_PUBLIC_KEY: sim.publicKey,
    INTERACTIONS_PORT: String(interactionsPort),
    // Traffic here is dispatched live with past-dated ids (historyMs), which real history never is: a
    // backfill on join would read those again. Turned on where a scenario lays down history instead.
    BACKFILL_ON_JOIN: 'false',
    ...o.env,
  });
  const config = loadConfig();
  const manager = createManager({ config, logger: o.logger, spawnDelayMs: 200 });
  const redis = connectRedis(o.redisClusterNodes ? { clusterNodes: o.redisClusterNodes } : { url: o.redisUrl });
  const pool = createPool(o.databaseUrl);
  const ingestor = new Ingestor({
    redis,
    pool,
    keys: new Keys(config.redisKeyPrefix),
    partitions: config.redisPartitions,
    logger: o.logger.child({ role: 'ingest' }),
  });

  const schedulerRender = new RenderPool({ threads: 1, logger: o.logger });
  const scheduler = new Scheduler({
    pool,
    redis,
    rest: createSchedulerRest({
      api: config.discordApiUrl,
      token: sim.token,
      globalRequestsPerSecond: config.schedulerRestPerSecond,
    }),
    keys: new Keys(config.redisKeyPrefix),
    partitions: config.redisPartitions,
    render: schedulerRender,
    logger: o.logger.child({ role: 'scheduler' }),
    jobs: JOBS,
    tickMs: o.scheduler?.tickMs ?? 1_000,
    syncMs: 5_000,
  });

  // Cluster processes outlive the manager in process mode: stop them (gracefully, then by force).
  const stopClusters = () => stopClusterProcesses(manager, 10_000, o.logger);
  let service: ChildProcess | undefined;
  const stopService = () => (service ? stopChild(service, 10_000) : Promise.resolve());

  try {
    if (mode === 'http') {
      const entry = entryPoint('../src/interactions/main.ts', import.meta.url);
      // Its own process, as in production, with its /metrics on a port of its own (scraped by the Prometheus test).
      service = spawn(process.execPath, [...entry.execArgv, entry.file], {
        env: { ...process.env, METRICS_PORT: String(interactionsMetricsPort) },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const url = `http://127.0.0.1:${interactionsPort}/interactions`;
      await waitForReady(`http://127.0.0.1:${interactionsPort}/readyz`, service, 60_000);
      // As in the developer portal: the simulator checks the URL before it delivers there.
      await sim.setInteractionsEndpoint(url);
    }
    await manager.spawn();
    await sim.waitForShards(totalShards, 90_000);
    // Cluster 0 registers the commands once its shards are ready.
    const deadline = Date.now() + 30_000;
    while (sim.registeredCommands.global.length === 0 && Date.now() < deadline) await sleep(50);
  } catch (err) {
    await stopClusters();
    await stopService();
    await sim.close();
    throw err;
  }
  if (o.scheduler?.start) scheduler.start();
  const web = o.web
    ? await startDashboard({ sim, pool, redis, keyPrefix: config.redisKeyPrefix, logger: o.logger, port: o.web.port })
    : undefined;

  const diff = async (): Promise<string[]> => {
    const truth = sim.truth.messageTotals();
    const db = await messageTotalsByChannelMember(pool, [...sim.world.guilds.keys()]);
    const out: string[] = [];
    for (const [k, t] of truth) {
      const d = db.get(k);
      if (!d || d.messages !== t.messages || d.words !== t.words || d.attachments !== t.attachments) {
        out.push(`${k}: truth ${JSON.stringify(t)} db ${JSON.stringify(d ?? null)}`);
      }
    }
    for (const [k, d] of db) if (!truth.has(k)) out.push(`${k}: not in truth, db ${JSON.stringify(d)}`);
    return out;
  };

  return {
    sim,
    manager,
    config,
    redis,
    pool,
    ingestor,
    scheduler,
    interactionsUrl: sim.interactionsEndpointUrl ?? undefined,
    interactionsMetricsPort,
    web,
    diff,
    diffEmojis: () => diffEmojis(pool, sim),
    diffApps: () => diffApps(pool, sim),
    diffMembers: () => diffMembers(pool, sim),
    diffActivities: (presence, toleranceSec) =>
      diffActivities(pool, presence, [...sim.world.guilds.keys()], toleranceSec),
    memberEventsSettled: (timeoutMs) =>
      memberEventsSettled(
        { redis, pool, keys: new Keys(config.redisKeyPrefix), partitions: config.redisPartitions, sim },
        timeoutMs,
      ),
    diffVoice: (voice, toleranceSec) => diffVoice(pool, voice, [...sim.world.guilds.keys()], toleranceSec),
    async ingestUntilMatch(timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      let rounds = 0;
      let rows = 0;
      for (;;) {
        rows += (await ingestor.runOnce()).rows;
        rounds++;
        const d = await diff();
        if (d.length === 0) return { rounds, rows };
        if (Date.now() > end)
          throw new Error(`database differs from ground truth in ${d.length} keys:\n${d.slice(0, 10).join('\n')}`);
        await sleep(250);
      }
    },
    async stop() {
      await web?.stop();
      await stopClusters();
      await stopService();
      await ingestor.stop();
      await scheduler.stop();
      await schedulerRender.close();
      await sim.close();
      await Promise.allSettled([redis.quit(), pool.end()]);
    },
  };
}

/** A port free on 127.0.0.1 right now (the child process binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null)
      throw new Error(`the interactions service exited with ${child.exitCode} before it was ready`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the interactions service was not ready within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Keys whose counts differ between `truth` and `db`, each with both values (empty when equal). */
function diffCounts(truth: Map<string, number>, db: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, t] of truth) if (db.get(k) !== t) out.push(`${k}: truth ${t} db ${db.get(k) ?? null}`);
  for (const [k, d] of db) if (!truth.has(k)) out.push(`${k}: not in truth, db ${d}`);
  return out;
}

async function sumUses(pool: Queryable, sql: string, guildIds: string[]): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ k: string; uses: string }>(sql, [guildIds]);
  return new Map(rows.map((r) => [r.k, Number(r.uses)]));
}

/** Emoji uses summed over all minutes, Postgres vs the simulator's truth, keyed `guild|user|emoji|source`. */
export async function diffEmojis(pool: Queryable, sim: Simulator): Promise<string[]> {
  const db = await sumUses(
    pool,
    `SELECT concat_ws('|', guild_id, user_id, emoji, source) AS k, sum(uses)::bigint AS uses
       FROM emojis_raw WHERE guild_id = ANY($1::bigint[]) GROUP BY guild_id, user_id, emoji, source`,
    [...sim.world.guilds.keys()],
  );
  return diffCounts(sim.truth.emojiUses, db);
}

/** Command uses summed over all minutes, Postgres vs the truth, keyed `guild|channel|user|application|command`. */
export async function diffApps(pool: Queryable, sim: Simulator): Promise<string[]> {
  const db = await sumUses(
    pool,
    `SELECT concat_ws('|', guild_id, channel_id, user_id, application_id, command) AS k, sum(uses)::bigint AS uses
       FROM app_commands_raw WHERE guild_id = ANY($1::bigint[]) GROUP BY guild_id, channel_id, user_id, application_id, command`,
    [...sim.world.guilds.keys()],
  );
  return diffCounts(sim.truth.appUses, db);
}

/** Member events, Postgres vs the simulator's expectation, keyed `guild|user|kind|attribution|inviter` (counts). */
export async function diffMembers(pool: Queryable, sim: Simulator): Promise<string[]> {
  const db = await sumUses(
    pool,
    `SELECT concat_ws('|', guild_id, user_id, kind, coalesce(attribution, '-'), coalesce(inviter_id::text, '-')) AS k, count(*) AS uses
       FROM member_events WHERE guild_id = ANY($1::bigint[]) GROUP BY guild_id, user_id, kind, attribution, inviter_id`,
    [...sim.world.guilds.keys()],
  );
  const truth = new Map<string, number>();
  const add = (k: string) => truth.set(k, (truth.get(k) ?? 0) + 1);
  for (const j of sim.members.joins)
    add(`${j.guildId}|${j.userId}|join|${j.expected.attribution}|${j.expected.inviterId ?? '-'}`);
  for (const l of sim.members.leaves) add(`${l.guildId}|${l.userId}|leave|-|-`);
  return diffCounts(truth, db);
}

/** Seconds per key, Postgres vs a driver's truth: keys off by more than `toleranceSec`, or missing on a side. */
async function diffSeconds(
  pool: Queryable,
  truth: Map<string, { seconds: number }>,
  sql: string,
  guildIds: string[],
  toleranceSec: number,
): Promise<string[]> {
  const db = await sumUses(pool, sql, guildIds);
  const out: string[] = [];
  for (const [k, t] of truth) {
    const d = db.get(k) ?? 0;
    if (Math.abs(d - t.seconds) > toleranceSec) out.push(`${k}: truth ${t.seconds.toFixed(2)} s, db ${d} s`);
  }
  for (const [k, d] of db) if (!truth.has(k)) out.push(`${k}: not in truth, db ${d} s`);
  return out;
}

/** Voice seconds per guild|channel|user vs the voice driver's truth (tolerance: event latency to the bot). */
export function diffVoice(
  pool: Queryable,
  voice: VoiceDriver,
  guildIds: string[],
  toleranceSec: number,
): Promise<string[]> {
  return diffSeconds(
    pool,
    voice.truth(),
    `SELECT concat_ws('|', guild_id, channel_id, user_id) AS k, sum(seconds)::bigint AS uses
       FROM voice_raw WHERE guild_id = ANY($1::bigint[]) GROUP BY guild_id, channel_id, user_id`,
    guildIds,
    toleranceSec,
  );
}

/** Presence activity seconds per guild|user|activity vs the presence driver's truth. */
export function diffActivities(
  pool: Queryable,
  presence: PresenceDriver,
  guildIds: string[],
  toleranceSec: number,
): Promise<string[]> {
  return diffSeconds(
    pool,
    presence.truth(),
    `SELECT concat_ws('|', guild_id, user_id, activity) AS k, sum(seconds)::bigint AS uses
       FROM activities_raw WHERE guild_id = ANY($1::bigint[]) GROUP BY guild_id, user_id, activity`,
    guildIds,
    toleranceSec,
  );
}

/**
 * Resolves once the bot has written an event for every member join and leave the simulator sent: those
 * still in the partition streams plus those an ingest already loaded.
 */
export async function memberEventsSettled(
  o: { redis: RedisClient; pool: Queryable; keys: Keys; partitions: number; sim: Simulator },
  timeoutMs = 10_000,
): Promise<void> {
  const expected = o.sim.members.joins.length + o.sim.members.leaves.length;
  const guilds = [...o.sim.world.guilds.keys()];
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(20)) {
    const lengths = await Promise.all(
      Array.from({ length: o.partitions }, (_, p) => o.redis.xlen(o.keys.memberEvents(p))),
    );
    const { rows } = await o.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM member_events WHERE guild_id = ANY($1::bigint[])',
      [guilds],
    );
    if (lengths.reduce((a, b) => a + b, 0) + Number(rows[0]!.n) >= expected) return;
  }
  throw new Error('the bot did not record every member join and leave in time');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
