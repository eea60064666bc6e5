// The scheduler's table of job runs (sql/040_scheduler.sql), as far as processes other than the scheduler
// touch it: a command that configures a job asks for its first run now instead of waiting for the
// scheduler's next pass over the configured guilds. The scheduler (src/scheduler) owns everything else.
import type { Queryable } from './db/pool.js';

/** Makes the job due for the guild at `at` (default now), creating its row if the scheduler has not yet. */
export async function requestRun(db: Queryable, job: string, guildId: string, at: Date = new Date()): Promise<void> {
  await db.query(
    `INSERT INTO scheduled_runs (job, guild_id, next_run_at) VALUES ($1, $2, $3)
     ON CONFLICT (job, guild_id) DO UPDATE SET next_run_at = LEAST(scheduled_runs.next_run_at, EXCLUDED.next_run_at)`,
    [job, guildId, at],
  );
}

/** Sets when the job next runs for the guild (a changed schedule: earlier or later than before). */
export async function scheduleRun(db: Queryable, job: string, guildId: string, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO scheduled_runs (job, guild_id, next_run_at) VALUES ($1, $2, $3)
     ON CONFLICT (job, guild_id) DO UPDATE SET next_run_at = EXCLUDED.next_run_at`,
    [job, guildId, at],
  );
}

/** Forgets the job's row for the guild (the job was switched off there); a run in flight finishes unrecorded. */
export async function forgetRun(db: Queryable, job: string, guildId: string): Promise<void> {
  await db.query('DELETE FROM scheduled_runs WHERE job = $1 AND guild_id = $2', [job, guildId]);
}
