// The guild_digests table (sql/042_guild_digests.sql): /digest writes it, the scheduler's digest job reads
// it and records the period it posted.
import type { Queryable } from '../db/pool.js';
import type { Every } from './period.js';

/** The scheduler job that posts digests (src/scheduler/jobs/digest.ts; its name in scheduled_runs). */
export const DIGEST_JOB = 'digest';

export interface DigestConfig {
  channelId: string;
  every: Every;
  lastPeriodStart: Date | null;
  disabledReason: string | null;
}

export async function getDigest(db: Queryable, guildId: string): Promise<DigestConfig | undefined> {
  const { rows } = await db.query<{
    channel_id: string;
    every: Every;
    last_period_start: Date | null;
    disabled_reason: string | null;
  }>('SELECT channel_id::text, every, last_period_start, disabled_reason FROM guild_digests WHERE guild_id = $1', [
    guildId,
  ]);
  const r = rows[0];
  return (
    r && {
      channelId: r.channel_id,
      every: r.every,
      lastPeriodStart: r.last_period_start,
      disabledReason: r.disabled_reason,
    }
  );
}

/** Sets (or changes) the digest; a change of cadence starts its own periods, so nothing counts as posted. */
export async function putDigest(db: Queryable, guildId: string, channelId: string, every: Every): Promise<void> {
  await db.query(
    `INSERT INTO guild_digests (guild_id, channel_id, every) VALUES ($1, $2, $3)
     ON CONFLICT (guild_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, every = EXCLUDED.every, disabled_reason = NULL,
       last_period_start = CASE WHEN guild_digests.every = EXCLUDED.every THEN guild_digests.last_period_start END`,
    [guildId, channelId, every],
  );
}

export async function removeDigest(db: Queryable, guildId: string): Promise<boolean> {
  return (await db.query('DELETE FROM guild_digests WHERE guild_id = $1 RETURNING 1', [guildId])).rows.length > 0;
}

/** Records a posted period (never moving backwards). */
export async function markPosted(db: Queryable, guildId: string, periodStart: Date): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE guild_digests SET last_period_start = $2
     WHERE guild_id = $1 AND (last_period_start IS NULL OR last_period_start < $2) RETURNING 1`,
    [guildId, periodStart],
  );
  return rows.length > 0;
}

export async function disableDigest(db: Queryable, guildId: string, reason: string): Promise<void> {
  await db.query('UPDATE guild_digests SET disabled_reason = $2 WHERE guild_id = $1', [guildId, reason]);
}

export async function guildsWithDigest(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ guild_id: string }>(
    'SELECT guild_id::text FROM guild_digests WHERE disabled_reason IS NULL',
  );
  return rows.map((r) => r.guild_id);
}
