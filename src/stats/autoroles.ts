// Who qualifies for an activity role (src/autoroles): current members (not bots, not opted out) by their
// messages or voice seconds over the last `windowDays` local days of the guild's zone, today included.
// Reads the rollups through scope() (the coarsest one exact for the zone, whole days from the daily one).
import type { Queryable } from '../db/pool.js';
import { localDateMinus, startOfZonedDay } from './period.js';
import { scope } from './scope.js';

export interface QualifierQuery {
  guildId: string;
  timeZone?: string;
  family: 'messages' | 'voice';
  kind: 'threshold' | 'top';
  /** threshold: messages, or minutes in voice; top: how many members. */
  amount: number;
  windowDays: number;
  /** At most this many are returned (threshold rules: `total` still counts everyone who qualifies). */
  limit: number;
  now?: Date;
}

export interface Qualifiers {
  /** Most active first (ties by member id). */
  members: { userId: string; value: number }[];
  /** Everyone who qualifies, beyond `limit` too. */
  total: number;
  /** The window's first instant (a local midnight). */
  from: Date;
}

export async function activityQualifiers(db: Queryable, q: QualifierQuery): Promise<Qualifiers> {
  const zone = q.timeZone ?? 'UTC';
  const now = q.now ?? new Date();
  const d = localDateMinus(now.getTime(), zone, q.windowDays - 1);
  const from = startOfZonedDay(d.year, d.month, d.day, zone);
  const metric = q.family === 'messages' ? 'messages' : 'seconds';
  const w = scope(q.family, { guildId: q.guildId, from, to: now, timeZone: zone }, 'day', {}, { span: true });
  w.params.push(q.kind === 'threshold' ? (q.family === 'voice' ? q.amount * 60 : q.amount) : 1);
  const min = w.params.length;
  w.params.push(q.kind === 'top' ? Math.min(q.amount, q.limit) : q.limit);
  const { rows } = await db.query<{ id: string; v: string; total: string }>(
    `SELECT user_id::text AS id, sum(${metric}) AS v, count(*) OVER () AS total
       FROM ${w.source}
      WHERE ${w.sql}
        AND user_id IN (SELECT user_id FROM guild_members WHERE guild_id = $1::bigint AND NOT bot)
        AND user_id NOT IN (SELECT user_id FROM privacy_opt_outs WHERE guild_id = $1::bigint)
      GROUP BY user_id HAVING sum(${metric}) >= $${min}
      ORDER BY 2 DESC, user_id LIMIT $${w.params.length}`,
    w.params,
  );
  return {
    members: rows.map((r) => ({ userId: r.id, value: Number(r.v) })),
    total: rows.length > 0 ? Number(rows[0]!.total) : 0,
    from,
  };
}
