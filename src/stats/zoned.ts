// Cutting time in a guild's zone, exactly (docs/architecture.md, invariant 7), in one place:
//   - the grain: the coarsest UTC grid (quarter-hours, hours, days, or raw minutes) on which every
//     boundary of the zone's buckets lies over a range; a query reads the rollup of that grain;
//   - bucket keys: a local bucket is its local wall-clock start plus, below a day, the UTC offset, so the
//     two 02:00 hours of a DST-end night, or the one-minute hour before a transition at 00:01 local
//     (America/Goose_Bay until 2011, Antarctica/Casey until 2022), stay apart; a day is its local date;
//   - where a range starts: the first instant of the bucket holding `from`;
//   - the slots of a series, generated as instants: a DST day has 23 or 25 hourly slots, a 30-minute DST
//     shift (Australia/Lord_Howe) gives a 30-minute hour, and every slot starts at its first instant.
//
// PostgreSQL's tz database cuts the buckets (AT TIME ZONE); the grain is chosen from ICU's (Intl), which
// agrees with it for every zone and instant from 1990 to 2036 (checked when this was written: 418 zones,
// 6-hourly). Every query of src/stats takes the same leading parameters: $1 guild, $2 from, $3 to, $4 the
// bucket unit ('minute' | 'hour' | 'day'), $5 the zone.
import { FAMILIES, narrowRollupsOf, type FamilyName, type NarrowBy, type NarrowRollup } from '../families.js';
import { BUCKET_MS, zoneOffsetMinutes, type Bucket } from './period.js';

/** The resolution a query reads: raw minutes, or a rollup cut at UTC quarter-hours, hours or days. */
export type Grain = 'minute' | '15m' | 'hour' | 'day';

const SUFFIX: Record<Grain, string> = { minute: '_raw', '15m': '_15m', hour: '_hourly', day: '_daily' };
const STEP: Record<Grain, string> = {
  minute: "INTERVAL '1 minute'",
  '15m': "INTERVAL '15 minutes'",
  hour: "INTERVAL '1 hour'",
  day: "INTERVAL '1 day'",
};
const GRAIN_MINUTES: Record<Exclude<Grain, 'day' | 'minute'>, number> = { '15m': 15, hour: 60 };

/**
 * What a query reads for `family` at `grain`: the rollup's relation (same name on both engines); with
 * `guildWide`, the guild-wide rollup (bucket, guild_id and the sums: sql/015). The quarter-hour rollups
 * of a TimescaleDB database upgraded with history hold only what the raw tables still had
 * (rollup_coverage, sql/011): before that hour the hourly rollup is read, the best there is.
 */
export function relation(family: FamilyName, grain: Grain, guildWide = false): string {
  const named = (g: Grain) =>
    FAMILIES[family].table.replace(/_raw$/, `${guildWide && g !== 'minute' ? '_guild' : ''}${SUFFIX[g]}`);
  const name = named(grain);
  if (grain !== '15m') return name;
  // A guild-wide quarter-hour aggregate is built on the per-member one and covers what it covers.
  const since = `(SELECT since FROM rollup_coverage WHERE rollup = '${FAMILIES[family].table.replace(/_raw$/, SUFFIX['15m'])}')`;
  return `(SELECT * FROM ${named('hour')} WHERE bucket < ${since} UNION ALL SELECT * FROM ${name} WHERE bucket >= coalesce(${since}, '-infinity')) AS ${name}`;
}

/**
 * For a query that aggregates over the whole range (a total, a ranking, a distinct count) rather than per
 * bucket: the whole UTC days strictly inside the range from the daily rollup, then (quarter-hour grain)
 * the whole UTC hours left around them from the hourly rollup, the edges from `grain`'s. Each coarser tier
 * cuts time at its boundaries a (the first one after $2) and b (the last one before $3, if later), clamped
 * inside the next finer tier's [a, b), so the parts tile time and every row is read once: sums and
 * distinct sets over them equal those over `grain` alone, from some thirty daily rows per member and
 * channel instead of 720 hourly ones (and for a half-hour zone, a few dozen hourly rows at the edges
 * instead of ~100 quarter-hours per member). A tier whose [a, b) is empty (a range shorter than it) reads
 * nothing; a coarse row is read only whole inside (from, to).
 */
export function spanRelation(family: FamilyName, grain: Grain, narrow?: NarrowBy): string {
  const rel = (g: Grain) => (narrow ? narrowRelation(family, narrow, g) : relation(family, g));
  if (grain === 'day' || grain === 'minute') return rel(grain);
  // The tiers above `grain`, finest first.
  const tiers = (grain === '15m' ? (['hour', 'day'] as const) : (['day'] as const)).map((t) => ({
    t,
    unit: t === 'day' ? 'day' : 'hour',
    width: t === 'day' ? "INTERVAL '24 hours'" : "INTERVAL '1 hour'",
  }));
  let inner: { a: string; b: string } | undefined;
  const cuts = tiers.map(({ t, unit, width }) => {
    const natural = `(date_trunc('${unit}', $2::timestamptz, 'UTC') + ${width})`;
    const a = inner ? `least(${natural}, ${inner.b})` : natural;
    const b = `greatest(date_trunc('${unit}', $3::timestamptz, 'UTC'), ${a})`;
    inner = { a, b };
    return { t, a, b };
  });
  const parts: string[] = [];
  let below = { a: '', b: '' };
  cuts.forEach(({ a, b }, i) => {
    const finer = rel(i === 0 ? grain : cuts[i - 1]!.t);
    // The finer relation outside this tier's [a, b), inside the finer tier's own [a, b) (none for `grain`).
    const lo = i === 0 ? `bucket < ${a}` : `bucket >= ${below.a} AND bucket < ${a}`;
    const hi = i === 0 ? `bucket >= ${b}` : `bucket >= ${b} AND bucket < ${below.b}`;
    parts.push(`SELECT * FROM ${finer} WHERE ${lo}`, `SELECT * FROM ${finer} WHERE ${hi}`);
    below = { a, b };
  });
  const top = cuts[cuts.length - 1]!;
  parts.unshift(`SELECT * FROM ${rel(top.t)} WHERE bucket >= ${top.a} AND bucket < ${top.b}`);
  const name = FAMILIES[family].table.replace(/_raw$/, narrow ? `_by_${narrow}_span` : '_span');
  return `(${parts.join('\n           UNION ALL ')}) AS ${name}`;
}

/** The family's narrow daily rollup keeping only `by` (sql/065), or undefined if it has none. */
export function narrowRollup(family: FamilyName, by: NarrowBy): NarrowRollup | undefined {
  return narrowRollupsOf(FAMILIES[family]).find((n) => n.by === by);
}

/**
 * The rows of `family` at `grain` with only `by`'s dimensions (bucket, guild_id, dims, sums, cells): for
 * days the narrow daily rollup (one row per key, `cells` the per-member daily rows it sums); below a day
 * the per-member rollup of that grain, each row projected as one cell (a key may have several rows:
 * grouping them first would only cost a pass, every reader sums by key anyway). Whole-range answers read
 * it through spanRelation(family, grain, by): days from the narrow rollup, the edges from the finer ones.
 */
export function narrowRelation(family: FamilyName, by: NarrowBy, grain: Grain): string {
  const n = narrowRollup(family, by);
  if (!n) throw new Error(`${family} has no narrow rollup by ${by}`);
  if (grain === 'day') return n.name;
  // Raw rows are deltas (a key may have several a minute): counting them would not count members.
  if (grain === 'minute') throw new Error('narrow rows are cut from rollups, not from raw minutes');
  const cols = ['bucket', 'guild_id', ...n.dims, ...n.metrics].join(', ');
  return `(SELECT ${cols}, 1::bigint AS cells FROM ${relation(family, grain)}) AS ${n.name.replace(/_daily$/, '')}`;
}

interface ZoneYear {
  /** Every UTC offset (minutes) the zone has at some instant of the year. */
  offsets: ReadonlySet<number>;
  /** Instants (ms) where the offset changes, to the minute. */
  transitions: readonly number[];
}

const YEARS = new Map<string, ZoneYear>();
const DAY_MS = 86_400_000;

/**
 * A zone's offsets and transitions in one UTC year: sampled daily, each change narrowed to its minute by
 * bisection. Daily is enough: no offset since 1970 lasted less than 6 days (the shortest, 166 hours, in
 * America/Cambridge_Bay in 2000; zdump over every zone, tzdata 2025b). Cached per zone and year (a
 * millisecond or two the first time).
 */
function zoneYear(timeZone: string, year: number): ZoneYear {
  const key = `${timeZone}|${year}`;
  let facts = YEARS.get(key);
  if (!facts) {
    const offsets = new Set<number>();
    const transitions: number[] = [];
    let t = Date.UTC(year, 0, 1);
    let prev = zoneOffsetMinutes(t, timeZone);
    offsets.add(prev);
    for (const end = Date.UTC(year + 1, 0, 1); (t += DAY_MS) <= end;) {
      const o = zoneOffsetMinutes(t, timeZone);
      if (o === prev) continue;
      let lo = (t - DAY_MS) / 60_000;
      let hi = t / 60_000;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zoneOffsetMinutes(mid * 60_000, timeZone) === prev) lo = mid;
        else hi = mid;
      }
      transitions.push(hi * 60_000);
      offsets.add(o);
      prev = o;
    }
    facts = { offsets, transitions };
    if (YEARS.size > 10_000) YEARS.clear();
    YEARS.set(key, facts);
  }
  return facts;
}

/** The zone's offsets (minutes) and transitions over [from, to], by whole UTC years. */
export function zoneFactsBetween(
  timeZone: string,
  from: number,
  to: number,
): { offsets: Set<number>; transitions: number[] } {
  const offsets = new Set<number>();
  const transitions: number[] = [];
  const last = new Date(Math.max(from, to)).getUTCFullYear();
  for (let y = new Date(from).getUTCFullYear(); y <= last; y++) {
    const f = zoneYear(timeZone, y);
    for (const o of f.offsets) offsets.add(o);
    transitions.push(...f.transitions);
  }
  return { offsets, transitions };
}

/**
 * The coarsest grain on which every boundary of the zone's `unit` buckets over the range lies: UTC days
 * only where the offset is 0 throughout; hours where every offset is whole hours and every transition is
 * on an hour; quarter-hours likewise (every zone in use today); raw minutes otherwise.
 */
export function grainFor(unit: Bucket, r: { from: Date; to: Date; timeZone?: string }): Grain {
  if (unit === 'minute') return 'minute';
  // The range starts at the start of the bucket holding `from`: look a day further back.
  const { offsets, transitions } = zoneFactsBetween(
    r.timeZone ?? 'UTC',
    r.from.getTime() - BUCKET_MS.day - BUCKET_MS[unit],
    r.to.getTime(),
  );
  const on = (minutes: number) =>
    [...offsets].every((o) => o % minutes === 0) && transitions.every((t) => t % (minutes * 60_000) === 0);
  if (unit === 'day' && [...offsets].every((o) => o === 0)) return 'day';
  if (on(GRAIN_MINUTES.hour)) return 'hour';
  if (on(GRAIN_MINUTES['15m'])) return '15m';
  return 'minute';
}

/**
 * SQL: the key `k, o` of the zone's $4 bucket holding the instant `col`: its local start (a timestamp
 * without time zone) and, below a day, the UTC offset at `col`.
 */
export function bucketKey(col: string): string {
  return `date_trunc($4, (${col}) AT TIME ZONE $5) AS k,
          CASE WHEN $4 = 'day' THEN INTERVAL '0' ELSE ((${col}) AT TIME ZONE $5) - ((${col}) AT TIME ZONE 'UTC') END AS o`;
}

/** The key as a row value, for comparing two instants' buckets. */
function keyRow(col: string): string {
  return `(date_trunc($4, (${col}) AT TIME ZONE $5), CASE WHEN $4 = 'day' THEN INTERVAL '0' ELSE ((${col}) AT TIME ZONE $5) - ((${col}) AT TIME ZONE 'UTC') END)`;
}

/**
 * SQL: the first instant of the zone's $4 bucket holding $2. Buckets start on the grain's grid and last
 * at most an hour (below a day) or 30 hours (a day), so the earliest grid point with $2's key is it.
 */
export function rangeStart(grain: Grain): string {
  const step = STEP[grain];
  return `(SELECT coalesce(min(g), $2::timestamptz)
     FROM generate_series(date_bin(${step}, $2::timestamptz - CASE $4 WHEN 'minute' THEN INTERVAL '0' WHEN 'hour' THEN INTERVAL '1 hour' ELSE INTERVAL '30 hours' END,
                                   TIMESTAMPTZ '2000-01-01 00:00:00+00'), $2::timestamptz, ${step}) AS g
    WHERE ${keyRow('g')} = ${keyRow('$2::timestamptz')})`;
}

/**
 * SQL condition: `col` (an instant) is at or after the start of the range. The plain lower bound (no
 * bucket starts more than 30 hours before the instant it holds) lets TimescaleDB exclude chunks when it
 * plans; the exact start is a subquery it cannot see through.
 */
export function sinceRangeStart(col: string, grain: Grain): string {
  return `${col} >= $2::timestamptz - INTERVAL '31 hours' AND ${col} >= ${rangeStart(grain)}`;
}

/** SQL condition of every range query: guild $1's rows from the start of the range to before $3 (`col`, an instant). */
export function guildRange(col: string, grain: Grain): string {
  return `guild_id = $1::bigint AND ${sinceRangeStart(col, grain)} AND ${col} < $3`;
}

/**
 * SQL of a CTE body `(k, o, t)`: one row per zone bucket of unit $4 from the one holding $2 up to $3,
 * keyed like bucketKey keys data, starting at instant `t`, the earliest of the points generated in it.
 * Points hit every bucket and every bucket's first instant: below a day, the grain's grid (every bucket
 * starts on it); for days, each date's local midnight as PostgreSQL reads it (inside the day, or the first
 * instant after a skipped midnight) and as the previous day's offset reads it (where a change sets clocks
 * back across midnight, the date starts then: America/Havana an hour, Antarctica/Casey three hours before
 * PostgreSQL's reading), plus the instants where the range starts and ends.
 */
export function slots(grain: Grain): string {
  const start = rangeStart(grain);
  return `SELECT k, o, min(g) AS t
     FROM (SELECT g FROM generate_series(${start}, $3::timestamptz, ${STEP[grain]}) AS g WHERE $4 <> 'day'
           UNION ALL
           SELECT p.g
             FROM generate_series(date_trunc('day', ${start} AT TIME ZONE $5), $3::timestamptz AT TIME ZONE $5, INTERVAL '1 day') AS d,
                  LATERAL (SELECT d AT TIME ZONE $5 AS m) AS midnight,
                  LATERAL (VALUES (m), ((d - (((m - INTERVAL '1 day') AT TIME ZONE $5) - ((m - INTERVAL '1 day') AT TIME ZONE 'UTC'))) AT TIME ZONE 'UTC')) AS p(g)
            WHERE $4 = 'day' AND p.g >= ${start}
           UNION ALL SELECT ${start} WHERE $4 = 'day'
           UNION ALL SELECT $3::timestamptz - INTERVAL '1 microsecond' WHERE $4 = 'day') AS grid,
          LATERAL (SELECT ${bucketKey('g')}) AS key
    GROUP BY k, o`;
}
