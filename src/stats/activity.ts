// Who and where was active, and since when: the distinct members and channels behind a message range
// (aligned like the chart drawn with the same bucket), the members behind it (to tell bots apart), and the
// first bucket a guild (or a channel, or a member) has anything in, for "all time" charts. Reads the
// hourly rollups (the raw table for minute alignment), so it works the same on TimescaleDB, where raw
// rows expire after 90 days, and on plain PostgreSQL.
import type { Queryable } from '../db/pool.js';
import { FAMILIES, type FamilyName } from '../families.js';
import type { Bucket } from './period.js';
import type { Filter } from './families.js';
import type { Range } from './queries.js';

function filterSql(family: FamilyName, f: Filter, params: unknown[]): string {
  const dims: readonly string[] = FAMILIES[family].dims;
  let sql = '';
  if (f.channelId !== undefined) {
    if (!dims.includes('channel_id')) throw new Error(`${family} has no channel dimension`);
    params.push(f.channelId);
    const n = params.length;
    sql += dims.includes('parent_id') ? ` AND (channel_id = $${n}::bigint OR parent_id = $${n}::bigint)` : ` AND channel_id = $${n}::bigint`;
  }
  if (f.userId !== undefined) {
    params.push(f.userId);
    sql += ` AND user_id = $${params.length}::bigint`;
  }
  return sql;
}

function messagesWhere(r: Range, align: Bucket, f: Filter): { source: string; sql: string; params: unknown[] } {
  const params: unknown[] = [r.guildId, r.from, r.to, align, r.timeZone ?? 'UTC'];
  const sql = 'guild_id = $1::bigint AND bucket >= date_trunc($4, $2::timestamptz, $5) AND bucket < $3' + filterSql('messages', f, params);
  return { source: align === 'minute' ? 'messages_raw' : 'messages_hourly', sql, params };
}

export interface MessageActivity {
  /** Distinct authors. */
  members: number;
  /** Distinct channels (a thread is a channel of its own). */
  channels: number;
}

/** Distinct authors and channels with messages in the range, aligned down to `align` like the chart. */
export async function messageActivity(db: Queryable, r: Range, align: Bucket, f: Filter = {}): Promise<MessageActivity> {
  const w = messagesWhere(r, align, f);
  const { rows } = await db.query<{ members: string; channels: string }>(
    `SELECT count(DISTINCT user_id) AS members, count(DISTINCT channel_id) AS channels FROM ${w.source} WHERE ${w.sql}`,
    w.params,
  );
  return { members: Number(rows[0]!.members), channels: Number(rows[0]!.channels) };
}

/** The `limit` authors with the most messages in the range, most first (ties by id). */
export async function messageAuthors(db: Queryable, r: Range, align: Bucket, f: Filter = {}, limit = 100): Promise<string[]> {
  const w = messagesWhere(r, align, f);
  w.params.push(limit);
  const { rows } = await db.query<{ id: string }>(
    `SELECT user_id::text AS id FROM ${w.source} WHERE ${w.sql} GROUP BY user_id ORDER BY sum(messages) DESC, user_id LIMIT $${w.params.length}`,
    w.params,
  );
  return rows.map((row) => row.id);
}

/** Start of the first hour with anything of `family` in the guild (under the filter), or null. */
export async function firstActivity(db: Queryable, family: FamilyName, guildId: string, f: Filter = {}): Promise<Date | null> {
  const params: unknown[] = [guildId];
  const table = FAMILIES[family].table.replace(/_raw$/, '_hourly');
  const { rows } = await db.query<{ t: Date | null }>(`SELECT min(bucket) AS t FROM ${table} WHERE guild_id = $1::bigint${filterSql(family, f, params)}`, params);
  const t = rows[0]?.t;
  return t ? new Date(t) : null;
}
