// Who and where was active, and since when: the distinct members and channels behind a message range
// (aligned like the chart drawn with the same bucket, read from the same exact rollup), and the first
// bucket a guild (or a channel, or a member) has anything in, for "all time" charts. firstActivity reads
// the hourly rollups, which reach furthest back on TimescaleDB (raw rows expire after 90 days).
import type { Queryable } from '../db/pool.js';
import type { FamilyName } from '../families.js';
import type { Bucket } from './period.js';
import { filterSql, narrowScope, scope, type Filter } from './scope.js';
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
  const byMember = narrowScope('messages', r, align, 'member', f);
  const byChannel = narrowScope('messages', r, align, 'channel', f);
  if (byMember && byChannel) {
    // Over the whole guild, from the narrow rollups (sql/065): a member is active if they have a row, a
    // channel if its rows' cells (members, less the bots' when they are left out) add up above 0 in some
    // bucket: the same sets as the per-member rows give (scope.ts, narrowScope).
    const [members, channels] = await Promise.all([
      db.query<{ n: string }>(
        // Grouped, not count(DISTINCT): a hash of the members instead of sorting a row per member and day.
        `SELECT count(*) AS n FROM (SELECT user_id FROM ${byMember.source} WHERE ${byMember.sql} GROUP BY user_id) AS active`,
        byMember.params,
      ),
      db.query<{ n: string }>(
        `SELECT count(DISTINCT channel_id) AS n
           FROM (SELECT channel_id FROM ${byChannel.source} WHERE ${byChannel.sql}
                  GROUP BY bucket, channel_id, parent_id HAVING sum(cells) > 0) AS active`,
        byChannel.params,
      ),
    ]);
    return { members: Number(members.rows[0]!.n), channels: Number(channels.rows[0]!.n) };
  }
  const w = scope('messages', r, align, f, { span: true });
  // Both distinct sets in one pass, each by hashing (grouping sets): count(DISTINCT) sorted every rollup row
  // of the range twice (members in many channels make grouping by (member, channel) pairs first no better).
  const { rows } = await db.query<{ members: string; channels: string }>(
    `SELECT count(*) FILTER (WHERE g = 1) AS members, count(*) FILTER (WHERE g = 2) AS channels
       FROM (SELECT GROUPING(user_id, channel_id) AS g FROM ${w.source} WHERE ${w.sql}
              GROUP BY GROUPING SETS ((user_id), (channel_id))) AS sets`,
    w.params,
  );
  return { members: Number(rows[0]!.members), channels: Number(rows[0]!.channels) };
}

/** How many of the guild's known bots have messages in the range (under the filter). */
export async function botAuthorCount(db: Queryable, r: Range, align: Bucket, f: Filter = {}): Promise<number> {
  const w = scope('messages', r, align, { ...f, withoutBots: false }, { span: true });
  // One probe per bot (LATERAL with LIMIT 1, on the rollups' (guild, user, bucket) index): as a plain
  // EXISTS the planner hashed every member's rows of the range (~76,000 for a busy month) to find two bots.
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM bot_authors b
       CROSS JOIN LATERAL (SELECT 1 FROM ${w.source} WHERE ${w.sql} AND user_id = b.user_id LIMIT 1) AS seen
      WHERE b.guild_id = $1::bigint`,
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
