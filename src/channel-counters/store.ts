// The channel_counters table (sql/041_channel_counters.sql): what /counters stores and the scheduler's
// counter job reads and updates. Parameterised SQL only.
import type { Queryable } from '../db/pool.js';

/** The scheduler job that applies counters (src/scheduler/jobs/counters.ts; its name in scheduled_runs). */
export const COUNTERS_JOB = 'counters';

/** Counters per server; each costs a rename slot per channel, and a server has few channels worth it. */
export const MAX_COUNTERS_PER_GUILD = 10;

export interface CounterRow {
  channelId: string;
  template: string;
  notifyChannelId: string | null;
  appliedName: string | null;
  renamedAt: Date[];
  heldUntil: Date | null;
  disabledReason: string | null;
}

interface Raw {
  channel_id: string;
  template: string;
  notify_channel_id: string | null;
  applied_name: string | null;
  renamed_at: Date[];
  held_until: Date | null;
  disabled_reason: string | null;
}

const COLUMNS =
  'channel_id::text, template, notify_channel_id::text, applied_name, renamed_at, held_until, disabled_reason';
const toRow = (r: Raw): CounterRow => ({
  channelId: r.channel_id,
  template: r.template,
  notifyChannelId: r.notify_channel_id,
  appliedName: r.applied_name,
  renamedAt: r.renamed_at,
  heldUntil: r.held_until,
  disabledReason: r.disabled_reason,
});

export async function listCounters(
  db: Queryable,
  guildId: string,
  o: { enabledOnly?: boolean } = {},
): Promise<CounterRow[]> {
  const { rows } = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM channel_counters WHERE guild_id = $1 ${o.enabledOnly ? 'AND disabled_reason IS NULL' : ''} ORDER BY created_at, channel_id`,
    [guildId],
  );
  return rows.map(toRow);
}

/**
 * Adds (or replaces, re-enabling it) the counter of a channel. Refused with 'full' when the server already
 * has the maximum of other counters (checked in the insert's own statement; two admins adding at the same
 * instant could both pass, which costs a rename slot, nothing more).
 */
export async function putCounter(
  db: Queryable,
  guildId: string,
  channelId: string,
  template: string,
  notifyChannelId: string | null,
): Promise<'added' | 'replaced' | 'full'> {
  const { rows } = await db.query<{ outcome: string }>(
    `WITH others AS (SELECT count(*) AS n FROM channel_counters WHERE guild_id = $1 AND channel_id <> $2),
          existing AS (SELECT 1 FROM channel_counters WHERE guild_id = $1 AND channel_id = $2),
          ins AS (
            INSERT INTO channel_counters (guild_id, channel_id, template, notify_channel_id)
            SELECT $1, $2, $3, $4 FROM others WHERE others.n < $5
            ON CONFLICT (guild_id, channel_id) DO UPDATE
              SET template = EXCLUDED.template, notify_channel_id = EXCLUDED.notify_channel_id,
                  disabled_reason = NULL, held_until = NULL
            RETURNING 1)
     SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM ins) THEN 'full' WHEN EXISTS (SELECT 1 FROM existing) THEN 'replaced' ELSE 'added' END AS outcome`,
    [guildId, channelId, template, notifyChannelId, MAX_COUNTERS_PER_GUILD],
  );
  return rows[0]!.outcome as 'added' | 'replaced' | 'full';
}

export async function removeCounter(db: Queryable, guildId: string, channelId: string): Promise<boolean> {
  const { rows } = await db.query('DELETE FROM channel_counters WHERE guild_id = $1 AND channel_id = $2 RETURNING 1', [
    guildId,
    channelId,
  ]);
  return rows.length > 0;
}

/** A rename went through: the name now shown and the renames still inside Discord's window. */
export async function recordRename(
  db: Queryable,
  guildId: string,
  channelId: string,
  name: string,
  renamedAt: Date[],
): Promise<void> {
  await db.query(
    'UPDATE channel_counters SET applied_name = $3, renamed_at = $4, held_until = NULL WHERE guild_id = $1 AND channel_id = $2',
    [guildId, channelId, name, renamedAt],
  );
}

/** A change waits for the rename limit until `until` (null: nothing waits). */
export async function holdCounter(
  db: Queryable,
  guildId: string,
  channelId: string,
  until: Date | null,
): Promise<void> {
  await db.query('UPDATE channel_counters SET held_until = $3 WHERE guild_id = $1 AND channel_id = $2', [
    guildId,
    channelId,
    until,
  ]);
}

export async function disableCounter(db: Queryable, guildId: string, channelId: string, reason: string): Promise<void> {
  await db.query(
    'UPDATE channel_counters SET disabled_reason = $3, held_until = NULL WHERE guild_id = $1 AND channel_id = $2',
    [guildId, channelId, reason],
  );
}

/** Guilds with at least one enabled counter. */
export async function guildsWithCounters(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ guild_id: string }>(
    'SELECT DISTINCT guild_id::text FROM channel_counters WHERE disabled_reason IS NULL',
  );
  return rows.map((r) => r.guild_id);
}

/** The earliest time a held-back change of the guild may be applied, or null. */
export async function earliestHeld(db: Queryable, guildId: string): Promise<Date | null> {
  const { rows } = await db.query<{ t: Date | null }>(
    'SELECT min(held_until) AS t FROM channel_counters WHERE guild_id = $1 AND disabled_reason IS NULL',
    [guildId],
  );
  return rows[0]?.t ?? null;
}
