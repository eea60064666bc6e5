// Who and where was active, and since when: the distinct members and channels behind a message range
// (aligned like the chart drawn with the same bucket, read from the same exact rollup), and the first
// bucket a guild (or a channel, or a member) has anything in, for "all time" charts. firstActivity reads
// the hourly rollups, which reach furthest back on TimescaleDB (raw rows expire after 90 days).
import type { Queryable } from '../db/pool.js';
import type { FamilyName } from '../families.js';
import type { Bucket } from './period.js';
import { filterSql, scope, type Filter } from './scope.js';
import type { Range } from './queries.js';
import { relation } from './zoned.js';

export interface MessageActivity {
  /** Distinct authors. */
  members: number;
  /** Distinct channels (a thread is a channel of its own). */
  channels: number;
}

/** Distinct authors and channels with messages in the range, aligned down to `align` like the chart. */
export async function messageActivity(
  db: Queryable,
  r: Range,
  align: Bucket,
  f: Filter = {},
): Promise<MessageActivity> {
  const w = scope('messages', r, align, f, { span: true });
  const { rows } = await db.query<{ members: string; channels: string }>(
    `SELECT count(DISTINCT user_id) AS members, count(DISTINCT channel_id) AS channels FROM ${w.source} WHERE ${w.sql}`,
    w.params,
  );
  return { members: Number(rows[0]!.members), channels: Number(rows[0]!.channels) };
}

/** How many of the guild's known bots have messages in the range (under the filter). */
export async function botAuthorCount(db: Queryable, r: Range, align: Bucket, f: Filter = {}): Promise<number> {
  const w = scope('messages', r, align, { ...f, withoutBots: false }, { span: true });
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM bot_authors b
      WHERE b.guild_id = $1::bigint AND EXISTS (SELECT 1 FROM ${w.source} WHERE ${w.sql} AND user_id = b.user_id)`,
    w.params,
  );
  return Number(rows[0]!.n);
}

/** Start of the first hour with anything of `family` in the guild (under the filter), or null. */
export async function firstActivity(
  db: Queryable,
  family: FamilyName,
  guildId: string,
  f: Filter = {},
): Promise<Date | null> {
  const params: unknown[] = [guildId];
  const { rows } = await db.query<{ t: Date | null }>(
    `SELECT min(bucket) AS t FROM ${relation(family, 'hour')} WHERE guild_id = $1::bigint${filterSql(family, f, params)}`,
    params,
  );
  const t = rows[0]?.t;
  return t ? new Date(t) : null;
}
