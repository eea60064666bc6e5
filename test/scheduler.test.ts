// The scheduler (src/scheduler/scheduler.ts) against a real PostgreSQL: two replicas on one database run
// each due job and guild exactly once; a replica killed mid-run hands its run over once its lease expires,
// and the run is recorded once; a long downtime yields one catch-up run, not one per missed period.
// Expected counts are computed here from what the test configured.
import { REST } from 'discord.js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../src/db/pool.js';
import { Keys } from '../src/keys.js';
import { RenderPool } from '../src/render/pool.js';
import { createLogger } from '../src/logger.js';
import { createRedis, type Redis } from '../src/redis.js';
import type { JobContext, ScheduledJob } from '../src/scheduler/job.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { requestRun } from '../src/scheduled-runs.js';
import { testDatabase, testRedis } from './helpers/services.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const logger = createLogger('silent');
const rest = new REST(); // the probe jobs never call Discord
const keys = new Keys('t-scheduler');
const render = new RenderPool({ threads: 1, logger });

let db: Awaited<ReturnType<typeof testDatabase>>;
let redis: Redis;
const pools: pg.Pool[] = [];
const newPool = () => {
  const p = createPool(db.url, 4);
  pools.push(p);
  return p;
};

beforeAll(async () => {
  db = await testDatabase();
  redis = createRedis(testRedis().url);
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  redis.disconnect();
  await render.close();
  await db.drop();
});

/** A job that records its runs (and overlaps) in memory; configured for `guilds`, next run an `every` after the last. */
function probe(name: string, guilds: string[], every: number, body?: (ctx: JobContext) => Promise<void>) {
  const runs: { guild: string; scheduledFor: Date }[] = [];
  const active = new Set<string>();
  let overlaps = 0;
  const job: ScheduledJob = {
    name,
    guilds: async () => guilds,
    nextRun: async (_g, last, now) => new Date((last ?? now).getTime() + (last ? every : 0)),
    async run(ctx) {
      if (active.has(ctx.guildId)) overlaps++;
      active.add(ctx.guildId);
      try {
        // wall-clock on purpose: a run that takes a while, so that overlapping runs would show.
        await (body ? body(ctx) : new Promise((r) => setTimeout(r, 5)));
        runs.push({ guild: ctx.guildId, scheduledFor: ctx.scheduledFor });
      } finally {
        active.delete(ctx.guildId);
      }
    },
  };
  return { job, runs, overlaps: () => overlaps };
}

const row = async (pool: pg.Pool, job: string, guild: string) =>
  (
    await pool.query<{
      runs: string;
      last_run_at: Date | null;
      next_run_at: Date;
      lease_token: string | null;
      last_error: string | null;
      failures: number;
    }>(
      'SELECT runs, last_run_at, next_run_at, lease_token, last_error, failures FROM scheduled_runs WHERE job = $1 AND guild_id = $2',
      [job, guild],
    )
  ).rows[0];

describe('scheduler', () => {
  it('two replicas on one database run each due job and guild exactly once', async () => {
    const guilds = Array.from({ length: 40 }, (_, i) => String(900_000_000_000_000_000n + BigInt(i)));
    const a = probe('probe-pair', guilds, HOUR);
    // Both replicas run the same job code (one shared record of runs, as the database sees them).
    const replicas = [newPool(), newPool()].map(
      (pool) =>
        new Scheduler({
          render,
          keys,
          partitions: 16,
          pool,
          redis,
          rest,
          logger,
          jobs: [a.job],
          concurrency: 3,
          tickMs: 10,
          syncMs: 50,
          leaseMs: 5_000,
        }),
    );
    for (const s of replicas) s.start();
    await expect.poll(() => a.runs.length, { timeout: 30_000 }).toBe(guilds.length);
    // Keep both ticking a while longer: nothing is due again for an hour (wall-clock on purpose: a window of
    // thirty ticks in which no second run may happen).
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all(replicas.map((s) => s.stop()));
    expect(a.runs.length).toBe(guilds.length);
    expect(new Set(a.runs.map((r) => r.guild))).toEqual(new Set(guilds));
    expect(a.overlaps()).toBe(0);
    const { rows } = await pools[0]!.query<{ runs: string }>(
      "SELECT runs FROM scheduled_runs WHERE job = 'probe-pair'",
    );
    expect(rows.map((r) => Number(r.runs))).toEqual(guilds.map(() => 1));
  });

  it('a replica killed mid-run hands the run to another once its lease expires; the run is recorded once', async () => {
    const guild = '910000000000000001';
    let t = Date.parse('2026-03-01T12:00:00Z');
    const clock = () => new Date(t);
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    let started = 0;
    const first = probe('probe-crash', [guild], DAY, async () => {
      started++;
      await blocked; // the "process" dies while this run is in flight
    });
    const second = probe('probe-crash', [guild], DAY);
    const poolA = newPool();
    const poolB = newPool();
    const a = new Scheduler({
      render,
      keys,
      partitions: 16,
      pool: poolA,
      redis,
      rest,
      logger,
      jobs: [first.job],
      leaseMs: 60_000,
      clock,
    });
    const b = new Scheduler({
      render,
      keys,
      partitions: 16,
      pool: poolB,
      redis,
      rest,
      logger,
      jobs: [second.job],
      leaseMs: 60_000,
      clock,
    });
    await a.sync();
    expect(await a.tick()).toBe(1);
    await expect.poll(() => started).toBe(1);
    a.abandon(); // killed: no renewals, nothing recorded

    await b.sync();
    t += 30_000; // lease still held
    expect(await b.tick()).toBe(0);
    t += 31_000; // lease expired
    expect(await b.tick()).toBe(1);
    await b.idle();
    expect(await b.tick()).toBe(0);
    release(); // the dead replica's run returning late records nothing
    await a.idle();
    expect(second.runs.length).toBe(1);
    expect(first.runs.length).toBe(1); // it ran to its end in memory, but wrote nothing:
    const r = (await row(poolB, 'probe-crash', guild))!;
    expect(Number(r.runs)).toBe(1);
    expect(r.lease_token).toBeNull();
    expect(r.last_run_at!.getTime()).toBe(t);
    expect(r.next_run_at.getTime()).toBe(t + DAY);
  });

  it('a long downtime yields exactly one catch-up run, and the next run counts from it', async () => {
    const guild = '910000000000000002';
    let t = Date.parse('2026-03-01T00:00:00Z');
    const clock = () => new Date(t);
    const p = probe('probe-downtime', [guild], DAY);
    const pool = newPool();
    const s1 = new Scheduler({ render, keys, partitions: 16, pool, redis, rest, logger, jobs: [p.job], clock });
    await s1.sync();
    expect(await s1.tick()).toBe(1);
    await s1.idle();
    await s1.stop();
    expect(p.runs.length).toBe(1);

    t += 30 * DAY; // down for 30 days: 30 daily runs missed
    const s2 = new Scheduler({ render, keys, partitions: 16, pool, redis, rest, logger, jobs: [p.job], clock });
    await s2.sync();
    for (let i = 0; i < 5; i++) {
      await s2.tick();
      await s2.idle();
    }
    expect(p.runs.length).toBe(2);
    // The caught-up run knows when it was due.
    expect(p.runs[1]!.scheduledFor.getTime()).toBe(Date.parse('2026-03-02T00:00:00Z'));
    const r = (await row(pool, 'probe-downtime', guild))!;
    expect(Number(r.runs)).toBe(2);
    expect(r.next_run_at.getTime()).toBe(t + DAY);
    t += DAY;
    expect(await s2.tick()).toBe(1);
    await s2.idle();
    expect(p.runs.length).toBe(3);
  });

  it('a failed run records its error and is retried after the retry delay, not at once', async () => {
    const guild = '910000000000000003';
    let t = Date.parse('2026-03-01T00:00:00Z');
    const clock = () => new Date(t);
    let fail = true;
    const p = probe('probe-fail', [guild], DAY, async () => {
      if (fail) throw new Error('Missing Permissions');
    });
    const pool = newPool();
    const s = new Scheduler({
      render,
      keys,
      partitions: 16,
      pool,
      redis,
      rest,
      logger,
      jobs: [p.job],
      clock,
      retryMs: 60_000,
    });
    await s.sync();
    expect(await s.tick()).toBe(1);
    await s.idle();
    let r = (await row(pool, 'probe-fail', guild))!;
    expect(r.last_error).toBe('Missing Permissions');
    expect(r.failures).toBe(1);
    expect(r.next_run_at.getTime()).toBe(t + 60_000);
    expect(await s.tick()).toBe(0);
    t += 60_000;
    fail = false;
    expect(await s.tick()).toBe(1);
    await s.idle();
    r = (await row(pool, 'probe-fail', guild))!;
    expect(r.last_error).toBeNull();
    expect(r.failures).toBe(0);
    expect(p.runs.length).toBe(1);
  });

  it('requestRun makes a job due now; a guild that drops the job loses its row at the next pass', async () => {
    const guild = '910000000000000004';
    let t = Date.parse('2026-03-01T00:00:00Z');
    const clock = () => new Date(t);
    const configured = [guild];
    const p = probe('probe-request', configured, DAY);
    const pool = newPool();
    const s = new Scheduler({ render, keys, partitions: 16, pool, redis, rest, logger, jobs: [p.job], clock });
    await s.sync();
    await s.tick();
    await s.idle();
    t += HOUR;
    expect(await s.tick()).toBe(0);
    await requestRun(pool, 'probe-request', guild, clock());
    expect(await s.tick()).toBe(1);
    await s.idle();
    expect(p.runs.length).toBe(2);
    configured.length = 0;
    await s.sync();
    expect(await row(pool, 'probe-request', guild)).toBeUndefined();
  });
});
