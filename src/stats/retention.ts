// Activation and retention of new members (/retention, the Grafana "Retention" panel), per local week of
// joining and per invite code, from member_events (joins) and the messages and voice rollups (activity).
//
// Everything is counted in the guild's local calendar days: day 0 is the local date of the join.
//   first1 / first7     - a message or time in voice on days 0..1 / 0..7 (activation);
//   active7/30/90       - a message or time in voice on days k..k+6 (still active in the week from day k).
// A join counts towards a measure only once its last day is over (`of`: the eligible joins), so a cohort
// that is too young is not reported as lost. Every join in the period is a row (a member who joins twice
// is two rows); bots and opted-out members are left out. Activity is read per local day from the rollup on
// whose grid the zone's midnights lie (zoned.ts), so a join-day message before the join time of a member
// rejoining the same day counts: the measures are day-granular by definition.
import type { Queryable } from '../db/pool.js';
import { zoneOffsetMs } from './period.js';
import type { Range } from './queries.js';
import { grainFor, relation } from './zoned.js';

export interface RetentionRate {
  /** Joins that did it. */
  n: number;
  /** Joins whose window is over. */
  of: number;
}

export interface RetentionRow {
  joins: number;
  first1: RetentionRate;
  first7: RetentionRate;
  active7: RetentionRate;
  active30: RetentionRate;
  active90: RetentionRate;
}

export type JoinSource = { attribution: 'invite' | 'vanity' | 'unknown'; code: string | null };

export interface Retention {
  total: RetentionRow;
  /** Local weeks (Monday first, YYYY-MM-DD), oldest first. */
  byWeek: (RetentionRow & { week: string })[];
  /** Most joins first. */
  bySource: (RetentionRow & JoinSource)[];
}

export const RETENTION_MEASURES = ['first1', 'first7', 'active7', 'active30', 'active90'] as const;
type Measure = (typeof RETENTION_MEASURES)[number];
/** First and last day (after the join date) of each measure's window. */
export const RETENTION_WINDOWS: Record<Measure, [number, number]> = {
  first1: [0, 1],
  first7: [0, 7],
  active7: [7, 13],
  active30: [30, 36],
  active90: [90, 96],
};

/** The local calendar date (YYYY-MM-DD) of an instant. */
function localDate(at: number, timeZone: string): string {
  return new Date(at + zoneOffsetMs(at, timeZone)).toISOString().slice(0, 10);
}

/** Joins in [from, to) and their activation and retention; `now` decides which windows are over. */
export async function retention(db: Queryable, r: Range, now: Date = new Date()): Promise<Retention> {
  const zone = r.timeZone ?? 'UTC';
  const grain = grainFor('day', { from: r.from, to: now, timeZone: zone });
  const activity = (family: 'messages' | 'voice', metric: string) =>
    `SELECT user_id, bucket FROM ${relation(family, grain)}
      WHERE guild_id = $1::bigint AND bucket >= $2::timestamptz - INTERVAL '31 hours' AND ${metric} > 0 AND user_id IN (SELECT user_id FROM j)`;
  const measures = RETENTION_MEASURES.map((m) => {
    const [a, b] = RETENTION_WINDOWS[m];
    return `EXISTS (SELECT 1 FROM days d WHERE d.user_id = j.user_id AND d.day BETWEEN j.d0 + ${a} AND j.d0 + ${b}) AS ${m},
            j.d0 + ${b} < $5::date AS ${m}_of`;
  });
  const counts = RETENTION_MEASURES.map(
    (m) => `count(*) FILTER (WHERE ${m}_of AND ${m}) AS ${m}, count(*) FILTER (WHERE ${m}_of) AS ${m}_of`,
  );
  const { rows } = await db.query<Record<string, string | null> & { gw: number; gs: number }>(
    `WITH j AS (
       SELECT e.user_id, (e.at AT TIME ZONE $4)::date AS d0, e.attribution,
              CASE WHEN e.attribution = 'unknown' THEN NULL ELSE e.invite_code END AS code
         FROM member_events e
        WHERE e.guild_id = $1::bigint AND e.kind = 'join' AND NOT e.bot AND e.at >= $2 AND e.at < $3
          AND NOT EXISTS (SELECT 1 FROM privacy_opt_outs o WHERE o.guild_id = e.guild_id AND o.user_id = e.user_id)
     ), days AS (
       SELECT DISTINCT user_id, (bucket AT TIME ZONE $4)::date AS day
         FROM (${activity('messages', 'messages')} UNION ALL ${activity('voice', 'seconds')}) AS a
     ), f AS (
       SELECT to_char(j.d0 - (extract(isodow FROM j.d0)::int - 1), 'YYYY-MM-DD') AS week, j.attribution, j.code,
              ${measures.join(',\n              ')}
         FROM j
     )
     SELECT week, attribution, code, GROUPING(week)::int AS gw, GROUPING(attribution, code)::int AS gs, count(*) AS joins,
            ${counts.join(',\n            ')}
       FROM f
      GROUP BY GROUPING SETS ((week), (attribution, code), ())`,
    [r.guildId, r.from, r.to, zone, localDate(now.getTime(), zone)],
  );
  const row = (x: Record<string, string | null>): RetentionRow => {
    const out = { joins: Number(x.joins) } as RetentionRow;
    for (const m of RETENTION_MEASURES) out[m] = { n: Number(x[m]), of: Number(x[`${m}_of`]) };
    return out;
  };
  const empty = row({
    joins: '0',
    ...Object.fromEntries(
      RETENTION_MEASURES.flatMap((m) => [
        [m, '0'],
        [`${m}_of`, '0'],
      ]),
    ),
  });
  const total = rows.find((x) => Number(x.gw) === 1 && Number(x.gs) !== 0);
  return {
    total: total ? row(total) : empty,
    byWeek: rows
      .filter((x) => Number(x.gw) === 0)
      .map((x) => ({ week: x.week!, ...row(x) }))
      .sort((a, b) => a.week.localeCompare(b.week)),
    bySource: rows
      .filter((x) => Number(x.gs) === 0)
      .map((x) => ({ attribution: x.attribution as JoinSource['attribution'], code: x.code ?? null, ...row(x) }))
      .sort(
        (a, b) =>
          b.joins - a.joins ||
          a.attribution.localeCompare(b.attribution) ||
          String(a.code).localeCompare(String(b.code)),
      ),
  };
}
