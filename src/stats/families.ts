// Typed queries over any counter family (messages, voice, emojis, apps, activities): series, top-N,
// per-member and per-channel summaries, hour-of-day × weekday heatmaps. Column and table names come only
// from the FAMILIES spec (checked here), values only through parameters. Reads go to the hourly rollup
// (minute series to the raw table), so the same queries serve TimescaleDB and plain PostgreSQL.
import type { Queryable } from '../db/pool.js';
import { FAMILIES, type FamilyName, type FamilySpec } from '../families.js';
import type { Bucket } from './period.js';
import type { Range, SeriesPoint } from './queries.js';

export interface Filter {
  /** A channel; for messages, threads whose parent it is count too. */
  channelId?: string;
  userId?: string;
}

export interface Ranked {
  key: string;
  value: number;
}

function spec(family: FamilyName): FamilySpec {
  return FAMILIES[family];
}

function metricColumn(family: FamilyName, metric: string): string {
  if (!(spec(family).metrics as readonly string[]).includes(metric)) {
    throw new Error(`${family} has no metric "${metric}" (has ${spec(family).metrics.join(', ')})`);
  }
  return metric;
}

function dimColumn(family: FamilyName, dim: string): string {
  if (!(spec(family).dims as readonly string[]).includes(dim)) {
    throw new Error(`${family} has no dimension "${dim}" (has ${spec(family).dims.join(', ')})`);
  }
  return dim;
}

function rollup(family: FamilyName, bucket: Bucket | 'hour'): string {
  const raw = spec(family).table;
  return bucket === 'minute' ? raw : raw.replace(/_raw$/, '_hourly');
}

/**
 * WHERE clause and parameters shared by every query: guild, range aligned down to `align` in the guild's
 * zone (so totals equal the sum of a chart drawn with that bucket), and the optional filters.
 * Parameters: $1 guild, $2 from, $3 to, $4 align unit, $5 zone, then filters.
 */
function where(family: FamilyName, r: Range, align: Bucket, f: Filter = {}): { sql: string; params: unknown[] } {
  const params: unknown[] = [r.guildId, r.from, r.to, align, r.timeZone ?? 'UTC'];
  let sql = 'guild_id = $1::bigint AND bucket >= date_trunc($4, $2::timestamptz, $5) AND bucket < $3';
  if (f.channelId !== undefined) {
    params.push(f.channelId);
    const n = params.length;
    sql += (spec(family).dims as readonly string[]).includes('parent_id')
      ? ` AND (channel_id = $${n}::bigint OR parent_id = $${n}::bigint)`
      : ` AND ${dimColumn(family, 'channel_id')} = $${n}::bigint`;
  }
  if (f.userId !== undefined) {
    params.push(f.userId);
    sql += ` AND ${dimColumn(family, 'user_id')} = $${params.length}::bigint`;
  }
  return { sql, params };
}

/** Sum of one metric per bucket, every bucket present (zero where nothing happened). */
export async function familySeries(db: Queryable, family: FamilyName, metric: string, r: Range, bucket: Bucket, f?: Filter): Promise<SeriesPoint[]> {
  const col = metricColumn(family, metric);
  const w = where(family, r, bucket, f);
  // Slots are generated as local timestamps in the guild's zone and converted back, so a day starts at
  // local midnight and DST days have 23 or 25 hours.
  const { rows } = await db.query<{ t: Date; v: string }>(
    `WITH slots AS (
       SELECT g AT TIME ZONE $5 AS t
         FROM generate_series(date_trunc($4, $2::timestamptz AT TIME ZONE $5),
                              $3::timestamptz AT TIME ZONE $5, ('1 ' || $4)::interval) AS g
     ), data AS (
       SELECT date_trunc($4, bucket, $5) AS t, sum(${col}) AS v
         FROM ${rollup(family, bucket)} WHERE ${w.sql} GROUP BY 1
     )
     SELECT slots.t, coalesce(data.v, 0) AS v FROM slots LEFT JOIN data USING (t)
      WHERE slots.t < $3 ORDER BY 1`,
    w.params,
  );
  return rows.map((row) => ({ t: new Date(row.t).getTime(), v: Number(row.v) }));
}

/** Sum of one metric over the range, aligned like the hourly chart. */
export async function familyTotal(db: Queryable, family: FamilyName, metric: string, r: Range, f?: Filter): Promise<number> {
  const col = metricColumn(family, metric);
  const w = where(family, r, 'hour', f);
  const { rows } = await db.query<{ v: string }>(`SELECT coalesce(sum(${col}), 0) AS v FROM ${rollup(family, 'hour')} WHERE ${w.sql}`, w.params);
  return Number(rows[0]!.v);
}

/**
 * Leaderboard: the `limit` keys of `dim` with the largest (or, `order: 'asc'`, smallest non-zero) sums of
 * `metric`. Ties are broken by key so answers are stable.
 */
export async function topBy(
  db: Queryable,
  family: FamilyName,
  metric: string,
  dim: string,
  r: Range,
  opts: { limit?: number; order?: 'desc' | 'asc'; filter?: Filter; where?: { dim: string; value: string } } = {},
): Promise<Ranked[]> {
  const col = metricColumn(family, metric);
  const key = dimColumn(family, dim);
  const w = where(family, r, 'hour', opts.filter);
  if (opts.where) {
    w.params.push(opts.where.value);
    w.sql += ` AND ${dimColumn(family, opts.where.dim)}::text = $${w.params.length}`;
  }
  const limit = Math.max(1, Math.min(opts.limit ?? 10, 100));
  const order = opts.order === 'asc' ? 'ASC' : 'DESC';
  w.params.push(limit);
  const { rows } = await db.query<{ key: string; value: string }>(
    `SELECT ${key}::text AS key, sum(${col}) AS value
       FROM ${rollup(family, 'hour')} WHERE ${w.sql}
      GROUP BY 1 HAVING sum(${col}) > 0
      ORDER BY 2 ${order}, 1 LIMIT $${w.params.length}`,
    w.params,
  );
  return rows.map((row) => ({ key: row.key, value: Number(row.value) }));
}

export interface MemberSummary {
  messages: number;
  words: number;
  voiceSeconds: number;
  emojis: number;
  commands: number;
}

/** What one member did in the guild over the range. */
export async function memberSummary(db: Queryable, r: Range, userId: string): Promise<MemberSummary> {
  const f = { userId };
  const [messages, words, voiceSeconds, emojis, commands] = await Promise.all([
    familyTotal(db, 'messages', 'messages', r, f),
    familyTotal(db, 'messages', 'words', r, f),
    familyTotal(db, 'voice', 'seconds', r, f),
    familyTotal(db, 'emojis', 'uses', r, f),
    familyTotal(db, 'apps', 'uses', r, f),
  ]);
  return { messages, words, voiceSeconds, emojis, commands };
}

export interface ChannelSummary {
  messages: number;
  voiceSeconds: number;
  members: number;
}

/** One channel over the range; a text channel's threads count towards it. */
export async function channelSummary(db: Queryable, r: Range, channelId: string): Promise<ChannelSummary> {
  const f = { channelId };
  const w = where('messages', r, 'hour', f);
  const [messages, voiceSeconds, members] = await Promise.all([
    familyTotal(db, 'messages', 'messages', r, f),
    familyTotal(db, 'voice', 'seconds', r, f),
    db.query<{ n: string }>(`SELECT count(DISTINCT user_id) AS n FROM messages_hourly WHERE ${w.sql}`, w.params).then((q) => Number(q.rows[0]!.n)),
  ]);
  return { messages, voiceSeconds, members };
}

/**
 * Hour-of-day × weekday activity in the guild's zone: `cells[weekday][hour]`, weekday 0 = Monday.
 * Built from hourly buckets, so exact for zones with whole-hour offsets.
 */
export async function heatmap(db: Queryable, family: FamilyName, metric: string, r: Range, f?: Filter): Promise<number[][]> {
  const col = metricColumn(family, metric);
  const w = where(family, r, 'hour', f);
  const { rows } = await db.query<{ dow: number; hour: number; v: string }>(
    `SELECT (extract(isodow FROM bucket AT TIME ZONE $5) - 1)::int AS dow,
            extract(hour FROM bucket AT TIME ZONE $5)::int AS hour, sum(${col}) AS v
       FROM ${rollup(family, 'hour')} WHERE ${w.sql} GROUP BY 1, 2`,
    w.params,
  );
  const cells = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const row of rows) cells[Number(row.dow)]![Number(row.hour)] = Number(row.v);
  return cells;
}

/** Custom emojis of the guild that were not used at all over the range (to free emoji slots). */
export async function unusedEmojis(db: Queryable, r: Range, customEmojiIds: string[]): Promise<string[]> {
  if (customEmojiIds.length === 0) return [];
  const w = where('emojis', r, 'hour');
  w.params.push(customEmojiIds);
  const { rows } = await db.query<{ emoji: string }>(
    `SELECT id AS emoji FROM unnest($${w.params.length}::text[]) AS id
      WHERE NOT EXISTS (SELECT 1 FROM emojis_hourly WHERE ${w.sql} AND emoji = id)
      ORDER BY 1`,
    w.params,
  );
  return rows.map((row) => row.emoji);
}
