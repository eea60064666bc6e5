// What a periodic job is to the scheduler (src/scheduler/scheduler.ts). A job runs per guild: the
// scheduler asks which guilds have it configured, keeps one row per job and guild in scheduled_runs, and
// runs a due one on exactly one replica at a time. Jobs are listed in ./jobs.ts.
import type { REST } from 'discord.js';
import type pg from 'pg';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis.js';
import type { RenderPool } from '../render/pool.js';

export interface JobContext {
  guildId: string;
  pool: pg.Pool;
  redis: RedisClient;
  /** A REST-only Discord client (@discordjs/rest, as re-exported by discord.js): it queues on rate limits. */
  rest: REST;
  logger: Logger;
  /** Aborted when the run's lease is lost or the process stops: stop at the next safe point. */
  signal: AbortSignal;
  /** When the run was due (next_run_at); a caught-up run after downtime sees the old time here. */
  scheduledFor: Date;
  /** The scheduler's clock (tests may pass their own). */
  now(): Date;
  /** Redis key names of this deployment, and its partition count (open voice sessions live per partition). */
  keys: Keys;
  partitions: number;
  /** Chart rendering on worker threads (src/render/pool.ts), as commands use it. */
  render: RenderPool;
}

export interface ScheduledJob {
  /** Stable name, the key of its rows in scheduled_runs (never rename one that has run). */
  name: string;
  /** Guilds that currently have this job configured. */
  guilds(pool: pg.Pool): Promise<string[]>;
  /** When to run next, given the last run (null: never ran). */
  nextRun(guildId: string, last: Date | null, now: Date, pool: pg.Pool): Promise<Date>;
  run(ctx: JobContext): Promise<void>;
}
