// Typed queries over any counter family (messages, voice, emojis, apps, activities): series, top-N,
// per-member and per-channel summaries, hour-of-day × weekday heatmaps. Column and table names come only
// from the FAMILIES spec (checked here), values only through parameters. Each query reads the coarsest
// rollup that is exact for the guild's zone over its range (zoned.ts; minute series the raw table), with
// the same names on TimescaleDB and plain PostgreSQL.
import type { Queryable } from '../db/pool.js';
import { FAMILIES, type FamilyName, type FamilySpec } from '../families.js';
import type { Bucket } from './period.js';
import type { Range, SeriesPoint } from './queries.js';
import { dimColumn, guildSums, narrowScope, scope, type Filter, type Scope } from './scope.js';
import { bucketKey, slots } from './zoned.js';

export type { Filter } from './scope.js';

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

/**
 * Where the per-bucket sums of `col` come from, and the column to sum: whole-server answers read the
 * guild-wide rollup (scope.ts, guildSums), filtered ones the per-member rows.
 */
function sums(family: FamilyName, col: string, r: Range, align: Bucket, f?: Filter): { w: Scope; v: string } {
  const g = guildSums(family, col, r, align, f);
  return g ? { w: g, v: 'v' } : { w: scope(family, r, align, f), v: col };
}

/** Sum of one metric per bucket, every bucket present (zero where nothing happened). */
export async function familySeries(
  db: Queryable,
  family: FamilyName,
  metric: string,
  r: Range,
  bucket: Bucket,
  f?: Filter,
): Promise<SeriesPoint[]> {
  const col = metricColumn(family, metric);
  const { w, v } = sums(family, col, r, bucket, f);
  const { rows } = await db.query<{ t: Date; v: string }>(
    `WITH slots AS (${slots(w.grain)}),
     data AS (SELECT ${bucketKey('bucket')}, sum(${v}) AS v FROM ${w.source} WHERE ${w.sql} GROUP BY k, o)
     SELECT slots.t, coalesce(data.v, 0) AS v FROM slots LEFT JOIN data USING (k, o)
      WHERE slots.t < $3 ORDER BY 1`,
    w.params,
  );
  return rows.map((row) => ({ t: new Date(row.t).getTime(), v: Number(row.v) }));
}

/** Sum of one metric over the range, aligned like the hourly chart. */
export async function familyTotal(
  db: Queryable,
  family: FamilyName,
  metric: string,
  r: Range,
  f?: Filter,
): Promise<number> {
  const col = metricColumn(family, metric);
  const g = guildSums(family, col, r, 'hour', f);
  const [w, v] = g ? [g, 'v'] : [scope(family, r, 'hour', f, { span: true }), col];
  const { rows } = await db.query<{ v: string }>(
    `SELECT coalesce(sum(${v}), 0) AS v FROM ${w.source} WHERE ${w.sql}`,
    w.params,
  );
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
  // A member or channel leaderboard over the whole guild reads the narrow rollup of that dimension.
  const by = dim === 'user_id' ? 'member' : dim === 'channel_id' ? 'channel' : undefined;
  const narrow = by && !opts.where ? narrowScope(family, r, 'hour', by, opts.filter) : undefined;
  const w = narrow ?? scope(family, r, 'hour', opts.filter, { span: true });
  if (opts.where) {
    w.params.push(opts.where.value);
    w.sql += ` AND ${dimColumn(family, opts.where.dim)}::text = $${w.params.length}`;
  }
  const limit = Math.max(1, Math.min(opts.limit ?? 10, 100));
  const order = opts.order === 'asc' ? 'ASC' : 'DESC';
  w.params.push(limit);
  const { rows } = await db.query<{ key: string; value: string }>(
    `SELECT ${key}::text AS key, sum(${col}) AS value
       FROM ${w.source} WHERE ${w.sql}
      GROUP BY ${key} HAVING sum(${col}) > 0
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
  const w = scope('messages', r, 'hour', f, { span: true });
  const [messages, voiceSeconds, members] = await Promise.all([
    familyTotal(db, 'messages', 'messages', r, f),
    familyTotal(db, 'voice', 'seconds', r, f),
    db
      .query<{ n: string }>(`SELECT count(DISTINCT user_id) AS n FROM ${w.source} WHERE ${w.sql}`, w.params)
      .then((q) => Number(q.rows[0]!.n)),
  ]);
  return { messages, voiceSeconds, members };
}

/**
 * Hour-of-day × weekday activity in the guild's zone: `cells[weekday][hour]`, weekday 0 = Monday. Read
 * from a rollup whose buckets never straddle a local hour, so every use lands in its own local hour.
 */
export async function heatmap(
  db: Queryable,
  family: FamilyName,
  metric: string,
  r: Range,
  f?: Filter,
): Promise<number[][]> {
  const col = metricColumn(family, metric);
  const { w, v } = sums(family, col, r, 'hour', f);
  const { rows } = await db.query<{ dow: number; hour: number; v: string }>(
    `SELECT (extract(isodow FROM bucket AT TIME ZONE $5) - 1)::int AS dow,
            extract(hour FROM bucket AT TIME ZONE $5)::int AS hour, sum(${v}) AS v
       FROM ${w.source} WHERE ${w.sql} GROUP BY 1, 2`,
    w.params,
  );
  const cells = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const row of rows) cells[Number(row.dow)]![Number(row.hour)] = Number(row.v);
  return cells;
}

/**
 * Custom emojis of the guild that were not used at all over the range (to free emoji slots); with a channel
 * or category filter, read from the per-channel family.
 */
export async function unusedEmojis(
  db: Queryable,
  r: Range,
  customEmojiIds: string[],
  f?: Filter,
  family: 'emojis' | 'channel_emojis' = 'emojis',
): Promise<string[]> {
  if (customEmojiIds.length === 0) return [];
  const w = scope(family, r, 'hour', f, { span: true });
  w.params.push(customEmojiIds);
  const { rows } = await db.query<{ emoji: string }>(
    `SELECT id AS emoji FROM unnest($${w.params.length}::text[]) AS id
      WHERE NOT EXISTS (SELECT 1 FROM ${w.source} WHERE ${w.sql} AND emoji = id)
      ORDER BY 1`,
    w.params,
  );
  return rows.map((row) => row.emoji);
}
