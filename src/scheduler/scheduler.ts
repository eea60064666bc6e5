// Periodic per-guild work with exactly one runner per job and guild at a time, however many scheduler
// replicas run. The state is one PostgreSQL row per job and guild (sql/040_scheduler.sql):
//  - claiming: one statement selects due rows FOR UPDATE SKIP LOCKED and stamps a lease (lease_until, a
//    fresh lease_token) on them; a replica racing for the same row skips it while locked and, once the
//    claim commits, re-checks the lease on the new row version (READ COMMITTED) and leaves it;
//  - running: the lease is renewed every third of its length; a renewal that finds another token (the
//    lease expired and another replica claimed the row) aborts the run's signal;
//  - finishing: last_run_at and next_run_at are written only under the run's own token (a run that lost
//    its lease writes nothing), and next_run_at comes from the job's nextRun at the end of the run, so
//    however long the scheduler was down a job is due once, not once per missed period;
//  - dying: a replica killed mid-run leaves its lease to expire; the next claim after that runs it again.
// Jobs therefore run at least once per due time and must be idempotent (counters rename to a computed
// name, the digest records the period it posted).
import { randomUUID } from 'node:crypto';
import type { REST } from 'discord.js';
import type pg from 'pg';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { schedulerRunDuration, schedulerRuns } from '../metrics.js';
import type { RedisClient } from '../redis.js';
import type { RenderPool } from '../render/pool.js';
import type { ScheduledJob } from './job.js';

export interface SchedulerOptions {
  pool: pg.Pool;
  redis: RedisClient;
  rest: REST;
  logger: Logger;
  jobs: readonly ScheduledJob[];
  keys: Keys;
  partitions: number;
  render: RenderPool;
  /** How long a claim holds without renewal; a dead replica's runs wait this long before another takes them. */
  leaseMs?: number;
  /** Runs in flight at once on this replica. */
  concurrency?: number;
  /** Gap between claims. */
  tickMs?: number;
  /** Gap between passes over each job's configured guilds (adding and removing rows). */
  syncMs?: number;
  /** The clock (tests pass a virtual one). */
  clock?: () => Date;
  /** Delay before retrying a failed run (doubles per consecutive failure, capped at the job's own next run and an hour). */
  retryMs?: number;
}

interface Claim {
  job: string;
  guild_id: string;
  next_run_at: Date;
  last_run_at: Date | null;
  lease_token: string;
}

export class Scheduler {
  private readonly jobs: Map<string, ScheduledJob>;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly clock: () => Date;
  private readonly retryMs: number;
  private readonly inFlight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private lastSync = -Infinity;
  private stopped = false;
  /** Set by abandon(): no further writes, as if the process had died. */
  private dead = false;

  constructor(private readonly o: SchedulerOptions) {
    this.jobs = new Map(o.jobs.map((j) => [j.name, j]));
    this.leaseMs = o.leaseMs ?? 60_000;
    this.concurrency = o.concurrency ?? 4;
    this.clock = o.clock ?? (() => new Date());
    this.retryMs = o.retryMs ?? 60_000;
  }

  /** Adds rows for guilds that configured a job since the last pass and removes those that no longer have it. */
  async sync(): Promise<void> {
    const now = this.clock();
    for (const job of this.jobs.values()) {
      const wanted = new Set(await job.guilds(this.o.pool));
      const { rows } = await this.o.pool.query<{ guild_id: string }>(
        'SELECT guild_id::text FROM scheduled_runs WHERE job = $1',
        [job.name],
      );
      const have = new Set(rows.map((r) => r.guild_id));
      const gone = [...have].filter((g) => !wanted.has(g));
      if (gone.length > 0)
        await this.o.pool.query('DELETE FROM scheduled_runs WHERE job = $1 AND guild_id = ANY($2::bigint[])', [
          job.name,
          gone,
        ]);
      const added = [...wanted].filter((g) => !have.has(g));
      if (added.length === 0) continue;
      const times = await Promise.all(added.map((g) => job.nextRun(g, null, now, this.o.pool)));
      // Another replica may insert the same rows meanwhile: the first one stays.
      await this.o.pool.query(
        `INSERT INTO scheduled_runs (job, guild_id, next_run_at)
         SELECT $1, g, t FROM unnest($2::bigint[], $3::timestamptz[]) AS u(g, t)
         ON CONFLICT (job, guild_id) DO NOTHING`,
        [job.name, added, times],
      );
    }
    this.lastSync = Date.now();
  }

  /** Claims due runs up to the free concurrency and starts them; resolves with how many it started. */
  async tick(): Promise<number> {
    if (this.stopped || this.dead) return 0;
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const now = this.clock();
    const { rows } = await this.o.pool.query<Claim>(
      `WITH due AS (
         SELECT job, guild_id FROM scheduled_runs
         WHERE job = ANY($1::text[]) AND next_run_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
         ORDER BY next_run_at
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE scheduled_runs r
          SET lease_until = $2::timestamptz + make_interval(secs => $4::double precision / 1000), lease_token = $5::uuid
         FROM due WHERE r.job = due.job AND r.guild_id = due.guild_id
       RETURNING r.job, r.guild_id::text AS guild_id, r.next_run_at, r.last_run_at, r.lease_token::text AS lease_token`,
      [[...this.jobs.keys()], now, free, this.leaseMs, randomUUID()],
    );
    for (const claim of rows) this.launch(claim);
    return rows.length;
  }

  private launch(claim: Claim): void {
    const job = this.jobs.get(claim.job)!;
    const key = `${claim.job}/${claim.guild_id}`;
    const controller = new AbortController();
    const logger = this.o.logger.child({ job: claim.job, guild: claim.guild_id });
    const renew = setInterval(
      () => {
        this.renew(claim).then(
          (held) => {
            if (!held) {
              logger.warn('lease lost (another replica took the run): aborting');
              controller.abort(new Error('lease lost'));
            }
          },
          (err: unknown) => logger.warn({ err }, 'lease renewal failed'),
        );
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    const started = process.hrtime.bigint();
    const done = (async () => {
      let error: unknown;
      try {
        await job.run({
          guildId: claim.guild_id,
          pool: this.o.pool,
          redis: this.o.redis,
          rest: this.o.rest,
          logger,
          signal: controller.signal,
          scheduledFor: claim.next_run_at,
          now: this.clock,
          keys: this.o.keys,
          partitions: this.o.partitions,
          render: this.o.render,
        });
      } catch (err) {
        error = err;
      } finally {
        clearInterval(renew);
      }
      schedulerRunDuration.observe({ job: claim.job }, Number(process.hrtime.bigint() - started) / 1e9);
      if (this.dead) return;
      const outcome = error === undefined ? 'ok' : controller.signal.aborted ? 'aborted' : 'error';
      schedulerRuns.inc({ job: claim.job, outcome });
      if (outcome === 'error') logger.error({ err: error }, 'scheduled run failed');
      await this.finish(job, claim, error).catch((err: unknown) =>
        logger.error({ err }, 'could not record a scheduled run (it runs again when its lease expires)'),
      );
    })().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, { controller, done });
  }

  private async renew(claim: Claim): Promise<boolean> {
    if (this.dead) return true;
    const { rowCount } = await this.o.pool.query(
      `UPDATE scheduled_runs SET lease_until = $4::timestamptz + make_interval(secs => $5::double precision / 1000)
       WHERE job = $1 AND guild_id = $2 AND lease_token = $3`,
      [claim.job, claim.guild_id, claim.lease_token, this.clock(), this.leaseMs],
    );
    return rowCount === 1;
  }

  private async finish(job: ScheduledJob, claim: Claim, error: unknown): Promise<void> {
    const end = this.clock();
    const next = await job.nextRun(claim.guild_id, end, end, this.o.pool);
    if (error === undefined) {
      await this.o.pool.query(
        `UPDATE scheduled_runs SET last_run_at = $4, next_run_at = $5, lease_until = NULL, lease_token = NULL,
                last_error = NULL, failures = 0, runs = runs + 1
         WHERE job = $1 AND guild_id = $2 AND lease_token = $3`,
        [claim.job, claim.guild_id, claim.lease_token, end, next],
      );
      return;
    }
    if (this.stopped) {
      // Cut short by our own shutdown: hand the run back at once, due as it was, for another replica.
      await this.o.pool.query(
        'UPDATE scheduled_runs SET lease_until = NULL, lease_token = NULL WHERE job = $1 AND guild_id = $2 AND lease_token = $3',
        [claim.job, claim.guild_id, claim.lease_token],
      );
      return;
    }
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    await this.o.pool.query(
      `UPDATE scheduled_runs SET next_run_at = LEAST($5::timestamptz,
                $4::timestamptz + make_interval(secs => LEAST(3600, $6::double precision / 1000 * 2 ^ LEAST(failures, 10)))),
              lease_until = NULL, lease_token = NULL, last_error = $7, failures = failures + 1, runs = runs + 1
       WHERE job = $1 AND guild_id = $2 AND lease_token = $3`,
      [claim.job, claim.guild_id, claim.lease_token, end, next, this.retryMs, message],
    );
  }

  /** Runs the loop: a guild pass every syncMs, claims every tickMs. */
  start(): void {
    const tickMs = this.o.tickMs ?? 5_000;
    const syncMs = this.o.syncMs ?? 60_000;
    const loop = async () => {
      try {
        if (Date.now() - this.lastSync >= syncMs) await this.sync();
        await this.tick();
      } catch (err) {
        this.o.logger.error({ err }, 'scheduler pass failed');
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), tickMs);
    };
    void loop();
  }

  /** Runs in flight now. */
  running(): number {
    return this.inFlight.size;
  }

  /** Resolves when the runs in flight have finished and been recorded. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()].map((r) => r.done));
  }

  /** Stops claiming, aborts the runs in flight and waits for them to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const r of this.inFlight.values()) r.controller.abort(new Error('scheduler stopping'));
    await this.idle();
  }

  /** Tests: behave as a killed process from now on (no renewals, nothing recorded; leases left to expire). */
  abandon(): void {
    this.dead = true;
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
