// The only module that reads the statistics tables. Every query is parameterised; snowflakes travel as
// strings and are cast to bigint in SQL. Minute series read the raw table, hour and day series the
// coarsest rollup that is exact for the guild's zone (zoned.ts: continuous aggregates on TimescaleDB,
// tables kept by triggers on plain PostgreSQL: same names, same queries).
import type { Queryable } from '../db/pool.js';
import { familySeries } from './families.js';
import type { Bucket } from './period.js';
import { grainFor, guildRange } from './zoned.js';

export interface Range {
  guildId: string;
  from: Date;
  to: Date;
  /** IANA zone the range's buckets are cut in (default UTC). */
  timeZone?: string;
}

export interface MessageTotals {
  messages: number;
  words: number;
  attachments: number;
  members: number;
  channels: number;
}

/**
 * Totals over the range. With `alignTo`, the range starts at the start of the bucket holding `from`
 * (in the guild's zone), so the totals equal the sum of the chart drawn with that bucket.
 */
export async function messageTotals(db: Queryable, r: Range, alignTo: Bucket = 'minute'): Promise<MessageTotals> {
  const { rows } = await db.query<{
    messages: string;
    words: string;
    attachments: string;
    members: string;
    channels: string;
  }>(
    `SELECT coalesce(sum(messages), 0) AS messages, coalesce(sum(words), 0) AS words,
            coalesce(sum(attachments), 0) AS attachments,
            count(DISTINCT user_id) AS members, count(DISTINCT channel_id) AS channels
       FROM messages_raw
      WHERE ${guildRange('bucket', grainFor(alignTo, r))}`,
    [r.guildId, r.from, r.to, alignTo, r.timeZone ?? 'UTC'],
  );
  const row = rows[0]!;
  return {
    messages: Number(row.messages),
    words: Number(row.words),
    attachments: Number(row.attachments),
    members: Number(row.members),
    channels: Number(row.channels),
  };
}

export interface SeriesPoint {
  t: number;
  v: number;
}

/**
 * Messages per bucket from the bucket holding `from` up to `to`, every bucket present (zero where none);
 * the messages case of familySeries.
 */
export function messageSeries(db: Queryable, r: Range, bucket: Bucket): Promise<SeriesPoint[]> {
  return familySeries(db, 'messages', 'messages', r, bucket);
}

/** Whole-history totals keyed `guild|channel|user`, for reconciling against a known source of truth. */
export async function messageTotalsByChannelMember(
  db: Queryable,
  guildIds?: string[],
): Promise<Map<string, Omit<MessageTotals, 'members' | 'channels'>>> {
  const { rows } = await db.query<{
    guild_id: string;
    channel_id: string;
    user_id: string;
    messages: string;
    words: string;
    attachments: string;
  }>(
    `SELECT guild_id, channel_id, user_id, sum(messages) AS messages, sum(words) AS words, sum(attachments) AS attachments
       FROM messages_raw
      WHERE $1::bigint[] IS NULL OR guild_id = ANY ($1::bigint[])
      GROUP BY 1, 2, 3`,
    [guildIds ?? null],
  );
  return new Map(
    rows.map((r) => [
      `${r.guild_id}|${r.channel_id}|${r.user_id}`,
      { messages: Number(r.messages), words: Number(r.words), attachments: Number(r.attachments) },
    ]),
  );
}

/** Size of the raw message table: rows (deltas) and the messages they add up to. */
export async function rawMessageSummary(db: Queryable): Promise<{ rows: number; messages: number }> {
  const { rows } = await db.query<{ n: string; messages: string }>(
    'SELECT count(*) AS n, coalesce(sum(messages), 0) AS messages FROM messages_raw',
  );
  return { rows: Number(rows[0]!.n), messages: Number(rows[0]!.messages) };
}
