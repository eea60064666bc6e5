// Cutting time in a guild's zone, exactly (DESIGN.md invariant 7), in one place:
//   - which relation a query reads: the coarsest rollup that is exact for the zone over the range;
//   - the first instant of the zone's bucket holding an instant (where a range starts);
//   - the slots of a series, generated as instants, so a DST day has 23 or 25 hourly slots and a
//     30-minute DST shift (Australia/Lord_Howe) gives a 30-minute "hour", never a missing or merged one.
//
// Buckets are cut by PostgreSQL (date_trunc with the zone), so one tz database decides. date_trunc keeps
// the instant's own UTC offset for hours and minutes, so the two 02:00 hours of a DST-end night stay two
// keys; for days it recomputes the offset of local midnight. A key is therefore unique per local bucket,
// but not always its first instant (in Lord_Howe, the 30-minute hour after the shift is keyed 30 minutes
// before it starts): slots carry the first instant that maps to them as `t`.
//
// Every query of src/stats takes the same leading parameters: $1 guild, $2 from, $3 to, $4 the bucket
// unit ('minute' | 'hour' | 'day'), $5 the zone.
import { FAMILIES, type FamilyName } from '../families.js';
import { BUCKET_MS, zoneOffsetMinutes, type Bucket } from './period.js';

/** The resolution a query reads: raw minutes, or a rollup cut at UTC quarter-hours, hours or days. */
export type Grain = 'minute' | '15m' | 'hour' | 'day';

const SUFFIX: Record<Grain, string> = { minute: '_raw', '15m': '_15m', hour: '_hourly', day: '_daily' };

/** The relation holding `family` at `grain` (same name on both engines). */
export function relation(family: FamilyName, grain: Grain): string {
  return FAMILIES[family].table.replace(/_raw$/, SUFFIX[grain]);
}

const YEAR_OFFSETS = new Map<string, ReadonlySet<number>>();

/**
 * Every UTC offset (minutes) the zone has at some instant of the UTC year. Sampled hourly, which no offset
 * regime is shorter than; cached per zone and year (about 9 ms the first time).
 */
function offsetsInYear(timeZone: string, year: number): ReadonlySet<number> {
  const key = `${timeZone}|${year}`;
  let set = YEAR_OFFSETS.get(key);
  if (!set) {
    const found = new Set<number>();
    for (let t = Date.UTC(year, 0, 1), end = Date.UTC(year + 1, 0, 1); t < end; t += 3_600_000) found.add(zoneOffsetMinutes(t, timeZone));
    set = found;
    if (YEAR_OFFSETS.size > 10_000) YEAR_OFFSETS.clear();
    YEAR_OFFSETS.set(key, set);
  }
  return set;
}

/** The zone's offsets (minutes) over [from, to], by whole UTC years. */
export function zoneOffsetsBetween(timeZone: string, from: number, to: number): Set<number> {
  const out = new Set<number>();
  const last = new Date(Math.max(from, to)).getUTCFullYear();
  for (let y = new Date(from).getUTCFullYear(); y <= last; y++) for (const o of offsetsInYear(timeZone, y)) out.add(o);
  return out;
}

/**
 * The coarsest grain whose buckets never straddle a boundary of the zone's `unit` buckets over the range:
 * UTC days only where the offset is 0 throughout, hours where every offset is a whole hour, quarter-hours
 * where every offset is a multiple of 15 minutes (all offsets in use today), raw minutes otherwise
 * (historic local mean times).
 */
export function grainFor(unit: Bucket, r: { from: Date; to: Date; timeZone?: string }): Grain {
  if (unit === 'minute') return 'minute';
  // The range starts at the start of the bucket holding `from`: look a bucket further back.
  const offsets = zoneOffsetsBetween(r.timeZone ?? 'UTC', r.from.getTime() - BUCKET_MS[unit], r.to.getTime());
  const all = (p: (o: number) => boolean) => [...offsets].every(p);
  if (unit === 'day' && all((o) => o === 0)) return 'day';
  if (all((o) => o % 60 === 0)) return 'hour';
  if (all((o) => o % 15 === 0)) return '15m';
  return 'minute';
}

/**
 * SQL: the first instant of the zone's $4 bucket holding $2. date_trunc's key is that instant except
 * after a sub-hour offset change, where the first quarter-hour mapping to the key is (offsets change on
 * quarter-hours).
 */
export const RANGE_START = `(SELECT coalesce(min(g), date_trunc($4, $2::timestamptz, $5))
   FROM generate_series(date_trunc($4, $2::timestamptz, $5), $2::timestamptz, INTERVAL '15 minutes') AS g
  WHERE date_trunc($4, g, $5) = date_trunc($4, $2::timestamptz, $5))`;

/**
 * SQL of a CTE body `(k, t)`: one row per zone bucket of unit $4 from the one holding $2 up to $3, keyed
 * `k` like date_trunc($4, bucket, $5) keys data, starting at instant `t`. Generated from instants that
 * cover every bucket: for minutes and hours a grid of minutes or quarter-hours (every local hour starts on
 * a quarter-hour); for days each date's local midnight as PostgreSQL reads it (inside the day, or the
 * first instant after a skipped midnight) and the hour before it (the first of a midnight that happens
 * twice, America/Havana), and the instants where the range starts and ends. A slot's `t` is the earliest
 * of its points (and, for a day, of its key).
 */
export const SLOTS = `SELECT date_trunc($4, g, $5) AS k,
          CASE WHEN $4 = 'day' THEN least(date_trunc($4, g, $5), min(g)) ELSE min(g) END AS t
     FROM (SELECT generate_series(${RANGE_START}, $3::timestamptz, CASE $4 WHEN 'minute' THEN INTERVAL '1 minute' ELSE INTERVAL '15 minutes' END) AS g
            WHERE $4 <> 'day'
           UNION ALL
           SELECT m - h
             FROM generate_series(date_trunc('day', ${RANGE_START} AT TIME ZONE $5), $3::timestamptz AT TIME ZONE $5, INTERVAL '1 day') AS d,
                  LATERAL (SELECT d AT TIME ZONE $5 AS m) AS midnight,
                  (VALUES (INTERVAL '0 hours'), (INTERVAL '1 hour')) AS before(h)
            WHERE $4 = 'day' AND m - h >= ${RANGE_START}
           UNION ALL SELECT ${RANGE_START}
           UNION ALL SELECT $3::timestamptz - INTERVAL '1 microsecond') AS grid
    GROUP BY 1`;
