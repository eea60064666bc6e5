// Backfill jobs as PostgreSQL holds them (sql/045): requesting one and reading its progress. Shared by the
// /backfill command (either process that answers commands) and the cluster process that runs the job
// (src/shard/backfill), which is the only writer of progress.
import type { Queryable } from './db/pool.js';

export type BackfillState = 'queued' | 'running' | 'done' | 'failed';

export interface BackfillStatus {
  state: BackfillState;
  reason: string;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  days: number | null;
  since: Date | null;
  error: string | null;
  channels: { total: number; done: number; skipped: number; pending: number };
  pages: number;
  messagesRead: number;
  messagesLoaded: number;
  /** Channels the bot could not read, with why (at most 10). */
  skipped: { channelId: string; note: string }[];
}

/**
 * /backfill start: queues a backfill of the guild unless one is queued or running. A finished job is queued
 * again: every channel resumes from its cursor, so nothing already loaded is read twice. Says whether this
 * call queued it, else the job's state.
 */
export async function requestBackfill(
  db: Queryable,
  guildId: string,
): Promise<{ queued: true } | { queued: false; state: BackfillState }> {
  const { rows } = await db.query<{ state: BackfillState }>(
    `INSERT INTO backfill_jobs AS j (guild_id, state, reason) VALUES ($1::bigint, 'queued', 'command')
     ON CONFLICT (guild_id) DO UPDATE SET state = 'queued', reason = 'command', requested_at = now(), days = NULL, since = NULL,
       started_at = NULL, finished_at = NULL, error = NULL
       WHERE j.state IN ('done', 'failed')
     RETURNING state`,
    [guildId],
  );
  if (rows.length > 0) return { queued: true };
  const now = await db.query<{ state: BackfillState }>('SELECT state FROM backfill_jobs WHERE guild_id = $1::bigint', [
    guildId,
  ]);
  return { queued: false, state: now.rows[0]?.state ?? 'queued' };
}

/** Queues a first backfill of each guild that never had one (a server the bot joined, or first sees). */
export async function requestFirstBackfills(db: Queryable, guildIds: string[]): Promise<void> {
  if (guildIds.length === 0) return;
  await db.query(
    `INSERT INTO backfill_jobs (guild_id, state, reason) SELECT id, 'queued', 'join' FROM unnest($1::bigint[]) AS id ON CONFLICT (guild_id) DO NOTHING`,
    [guildIds],
  );
}

export async function backfillStatus(db: Queryable, guildId: string): Promise<BackfillStatus | undefined> {
  const { rows } = await db.query<{
    state: BackfillState;
    reason: string;
    requested_at: Date;
    started_at: Date | null;
    finished_at: Date | null;
    days: number | null;
    since: Date | null;
    error: string | null;
  }>(
    'SELECT state, reason, requested_at, started_at, finished_at, days, since, error FROM backfill_jobs WHERE guild_id = $1::bigint',
    [guildId],
  );
  const job = rows[0];
  if (!job) return undefined;
  const agg = await db.query<{
    total: string;
    done: string;
    skipped: string;
    pages: string;
    read: string;
    loaded: string;
  }>(
    `SELECT count(*)::text AS total, count(*) FILTER (WHERE state = 'done')::text AS done, count(*) FILTER (WHERE state = 'skipped')::text AS skipped,
            coalesce(sum(pages), 0)::text AS pages, coalesce(sum(messages_read), 0)::text AS read, coalesce(sum(messages_loaded), 0)::text AS loaded
       FROM backfill_channels WHERE guild_id = $1::bigint`,
    [guildId],
  );
  const a = agg.rows[0]!;
  const skipped = await db.query<{ channel_id: string; note: string | null }>(
    `SELECT channel_id::text, note FROM backfill_channels WHERE guild_id = $1::bigint AND state = 'skipped' ORDER BY channel_id LIMIT 10`,
    [guildId],
  );
  const total = Number(a.total);
  const done = Number(a.done);
  const skippedN = Number(a.skipped);
  return {
    state: job.state,
    reason: job.reason,
    requestedAt: job.requested_at,
    startedAt: job.started_at,
    finishedAt: job.finished_at,
    days: job.days,
    since: job.since,
    error: job.error,
    channels: { total, done, skipped: skippedN, pending: total - done - skippedN },
    pages: Number(a.pages),
    messagesRead: Number(a.read),
    messagesLoaded: Number(a.loaded),
    skipped: skipped.rows.map((r) => ({ channelId: r.channel_id, note: r.note ?? 'not readable' })),
  };
}
