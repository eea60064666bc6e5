// What every stats query reads and where: the relation (the coarsest rollup exact for the guild's zone
// over the range, zoned.ts) and the WHERE clause for the guild, the range and the filters. Column names
// come only from the FAMILIES spec (checked here), values only through parameters.
import { FAMILIES, type FamilyName, type NarrowBy } from '../families.js';
import type { Bucket } from './period.js';
import type { Range } from './queries.js';
import { grainFor, guildRange, narrowRollup, relation, spanRelation, type Grain } from './zoned.js';

export interface Filter {
  /** A channel; for messages, threads whose parent it is count too. */
  channelId?: string;
  userId?: string;
  /** Leave out the guild's known bot authors (bot_authors), whatever its settings are now. */
  withoutBots?: boolean;
  /**
   * Members who hold this role now (member_roles; the guild's own id is @everyone: every current member),
   * Statbot's meaning: past activity of members who lost the role is left out, of those who gained it in.
   */
  roleId?: string;
  /** Channels under this category (guild_channels, deleted ones included); for messages, their threads too. */
  categoryId?: string;
}

export function dimColumn(family: FamilyName, dim: string): string {
  if (!(FAMILIES[family].dims as readonly string[]).includes(dim)) {
    throw new Error(`${family} has no dimension "${dim}" (has ${FAMILIES[family].dims.join(', ')})`);
  }
  return dim;
}

export interface Scope {
  /** The grid every bucket boundary of the zone lies on over the range (zoned.ts). */
  grain: Grain;
  /** The relation to read: the rollup of that grain. */
  source: string;
  sql: string;
  params: unknown[];
}

/** The filters' conditions (" AND ..."), their values appended to `params`; $1 must be the guild. */
export function filterSql(family: FamilyName, f: Filter, params: unknown[]): string {
  let sql = '';
  if (f.channelId !== undefined) {
    params.push(f.channelId);
    const n = params.length;
    sql += (FAMILIES[family].dims as readonly string[]).includes('parent_id')
      ? ` AND (channel_id = $${n}::bigint OR parent_id = $${n}::bigint)`
      : ` AND ${dimColumn(family, 'channel_id')} = $${n}::bigint`;
  }
  if (f.categoryId !== undefined) {
    params.push(f.categoryId);
    const under = `(SELECT channel_id FROM guild_channels WHERE guild_id = $1::bigint AND parent_id = $${params.length}::bigint)`;
    sql += (FAMILIES[family].dims as readonly string[]).includes('parent_id')
      ? ` AND (channel_id IN ${under} OR parent_id IN ${under})`
      : ` AND ${dimColumn(family, 'channel_id')} IN ${under}`;
  }
  if (f.roleId !== undefined) {
    params.push(f.roleId);
    const n = params.length;
    sql += ` AND ${dimColumn(family, 'user_id')} IN (SELECT user_id FROM member_roles WHERE guild_id = $1::bigint AND role_id = $${n}::bigint
      UNION ALL SELECT user_id FROM guild_members WHERE guild_id = $1::bigint AND $${n}::bigint = $1::bigint)`;
  }
  if (f.userId !== undefined) {
    params.push(f.userId);
    sql += ` AND ${dimColumn(family, 'user_id')} = $${params.length}::bigint`;
  }
  if (f.withoutBots)
    sql += ` AND ${dimColumn(family, 'user_id')} NOT IN (SELECT user_id FROM bot_authors WHERE guild_id = $1::bigint)`;
  return sql;
}

/**
 * FROM and WHERE shared by every query: guild, range starting at the start of the zone's `align` bucket
 * holding `from` (so totals equal the sum of a chart drawn with that bucket), and the optional filters.
 * With `span`, the query aggregates over the whole range, not per bucket: whole UTC days come from the
 * daily rollup (zoned.ts, spanRelation). Parameters: $1 guild, $2 from, $3 to, $4 align unit, $5 zone,
 * then filters.
 */
export function scope(family: FamilyName, r: Range, align: Bucket, f: Filter = {}, o: { span?: boolean } = {}): Scope {
  const params: unknown[] = [r.guildId, r.from, r.to, align, r.timeZone ?? 'UTC'];
  const grain = grainFor(align, r);
  const sql = `${guildRange('bucket', grain)}${filterSql(family, f, params)}`;
  return { grain, source: o.span ? spanRelation(family, grain) : relation(family, grain), sql, params };
}

/**
 * Per-bucket sums of `metric` over the whole guild (no channel or member filter), as a relation
 * `(bucket, v)` with the same parameters as scope(): the guild-wide rollup (one row per bucket), minus
 * the rows of the guild's known bots when they are left out. Exact: the bots' rows are exactly those the
 * member filter would drop. Undefined when the filter needs per-member rows.
 */
export function guildSums(
  family: FamilyName,
  metric: string,
  r: Range,
  align: Bucket,
  f: Filter = {},
): Scope | undefined {
  // Only leaving bots out can be done on guild-wide rows; every other filter needs per-member rows.
  const { withoutBots: _, ...narrowing } = f;
  if (Object.values(narrowing).some((v) => v !== undefined)) return undefined;
  const params: unknown[] = [r.guildId, r.from, r.to, align, r.timeZone ?? 'UTC'];
  const grain = grainFor(align, r);
  const range = guildRange('bucket', grain);
  // Per bot (LATERAL, kept apart by OFFSET 0), so the bot's id reaches every branch of the relation as an
  // index condition (guild, user, bucket) instead of the planner hashing all the guild's rows.
  const bots = f.withoutBots
    ? ` UNION ALL SELECT x.bucket, -x.v FROM bot_authors AS b CROSS JOIN LATERAL
          (SELECT bucket, ${metric} AS v FROM ${relation(family, grain)} WHERE ${range} AND ${dimColumn(family, 'user_id')} = b.user_id OFFSET 0) AS x
         WHERE b.guild_id = $1::bigint`
    : '';
  return {
    grain,
    source: `(SELECT bucket, ${metric} AS v FROM ${relation(family, grain, true)} WHERE ${range}${bots}) AS sums`,
    sql: 'true',
    params,
  };
}

/**
 * Like scope() with `span`, over the family's narrow rollup keeping only `by` (sql/065: per channel, or per
 * member, per day; the edges of the range from the finer per-member rollups grouped likewise, zoned.ts):
 * rows (bucket, guild_id, dims, sums, cells). Leaving bots out keeps their per-member rows out: by member,
 * as scope() does (user_id is there); by channel, the bots' per-member rows of the same span are added
 * negated, metrics and a cell each (per bot on the rollups' (guild, user, bucket) index, as guildSums
 * does), so sums over the rows, and whether a key's cells add up above 0 (a member other than the bots
 * was there), equal those over the per-member rows without the bots. Undefined when the family has no
 * narrow rollup, the zone needs raw minutes, or a filter needs the other dimension.
 */
export function narrowScope(
  family: FamilyName,
  r: Range,
  align: Bucket,
  by: NarrowBy,
  f: Filter = {},
): Scope | undefined {
  const { withoutBots, ...narrowing } = f;
  if (Object.values(narrowing).some((v) => v !== undefined)) return undefined;
  const n = narrowRollup(family, by);
  const grain = grainFor(align, r);
  if (!n || grain === 'minute') return undefined;
  const params: unknown[] = [r.guildId, r.from, r.to, align, r.timeZone ?? 'UTC'];
  const range = guildRange('bucket', grain);
  const span = spanRelation(family, grain, by);
  if (by === 'member' || !withoutBots) {
    return { grain, source: span, sql: `${range}${filterSql(family, { withoutBots }, params)}`, params };
  }
  const cols = ['bucket', 'guild_id', ...n.dims];
  const negated = [...n.metrics.map((m) => `-x.${m}`), '-1'].join(', ');
  return {
    grain,
    source: `(SELECT * FROM ${span} WHERE ${range}
              UNION ALL SELECT ${cols.map((c) => `x.${c}`).join(', ')}, ${negated} FROM bot_authors AS b CROSS JOIN LATERAL
                (SELECT * FROM ${spanRelation(family, grain)} WHERE ${range} AND ${dimColumn(family, 'user_id')} = b.user_id OFFSET 0) AS x
               WHERE b.guild_id = $1::bigint) AS ${n.name.replace(/_daily$/, '_span')}`,
    sql: 'true',
    params,
  };
}
