// A backfill survives the death of the process running it: the cluster process is SIGKILLed in the middle
// of a backfill, the manager respawns it, and the job resumes from the cursors committed with the pages
// already loaded. The database must then equal the simulator's ground truth exactly: nothing lost, nothing
// loaded twice. Real cluster processes (discord-hybrid-sharding), Redis, PostgreSQL and the simulator.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEmojiTraffic } from 'discord-sim';
import { createLogger } from '../src/logger.js';
import { startStack, type Stack } from '../dev/stack.js';
import { testDatabase, testRedis } from './helpers/services.js';

const DAY = 86_400_000;
let stack: Stack;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  const redis = testRedis();
  stack = await startStack({
    databaseUrl: db.url,
    redisUrl: redis.url,
    keyPrefix: redis.prefix,
    logger: createLogger('warn', { test: 'backfill-restart' }),
    guilds: 2,
    totalShards: 1,
    shardsPerCluster: 1,
    env: { BACKFILL_ON_JOIN: 'true', BACKFILL_POLL_MS: '200', BACKFILL_LEASE_MS: '2000', BACKFILL_DAYS: '30' },
    // Enough history that a backfill takes several seconds at 5 pages per second per channel.
    async beforeStart(sim) {
      const past = sim.historyChat({ fromMs: Date.now() - 20 * DAY, toMs: Date.now() - 60_000, seed: 77 });
      await sendEmojiTraffic(past, { messages: 12_000, reactions: 0, seed: 78 });
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await dropDb?.();
}, 60_000);

const progress = async () =>
  (
    await stack.pool.query<{ pages: string; running: string }>(
      `SELECT (SELECT coalesce(sum(pages), 0) FROM backfill_channels)::text AS pages, (SELECT count(*) FROM backfill_jobs WHERE state = 'running')::text AS running`,
    )
  ).rows[0]!;
const unfinished = async () =>
  Number(
    (await stack.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM backfill_jobs WHERE state <> 'done'"))
      .rows[0]!.n,
  );

describe('backfill across a restart', () => {
  it('resumes after the process running it is killed, and ends exact with nothing loaded twice', async () => {
    // Killed once some pages are in and the job is still running.
    const midway = async () => {
      const p = await progress();
      return Number(p.pages) >= 10 && Number(p.running) > 0;
    };
    await expect.poll(midway, { timeout: 120_000, interval: 100 }).toBe(true);
    const cluster = stack.manager.clusters.get(0)!;
    const child = cluster.thread!.process as ChildProcess;
    const oldPid = child.pid;
    const pagesAtKill = Number((await progress()).pages);
    child.kill('SIGKILL');
    expect(await unfinished()).toBeGreaterThan(0);
    // Respawned, it takes the job back once the dead runner's lease expires, and finishes it.
    await expect
      .poll(() => (cluster.thread?.process as ChildProcess | undefined)?.pid, { timeout: 60_000 })
      .not.toBe(oldPid);
    await expect.poll(unfinished, { timeout: 180_000, interval: 250 }).toBe(0);
    expect(Number((await progress()).pages)).toBeGreaterThan(pagesAtKill);
    await stack.ingestUntilMatch(120_000);
    expect(await stack.diff()).toEqual([]);
    expect(await stack.diffEmojis()).toEqual([]);
    expect(stack.sim.restStats.rateLimited).toEqual({ user: 0, global: 0 });
  }, 400_000);
});
