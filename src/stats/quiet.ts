// Quiet members (/inactive): current members who were active (a message, or time in voice) in a look-back
// window and have been silent since, with the local date of their last activity. Days are the guild's
// local calendar days: "silent for N days" means nothing on the N whole days before today nor today so
// far, so the look-back window ends at the local midnight that starts day (today - N) and reaches
// `lookBackDays` days further back. Members who left (no guild_members row), bots and opted-out members
// are never listed.
import type { Queryable } from '../db/pool.js';
import { localDateMinus, startOfZonedDay, type CalendarDate } from './period.js';
import { grainFor, relation } from './zoned.js';

export interface QuietQuery {
  guildId: string;
  timeZone?: string;
  /** Whole local days of silence, 1-365 (checked by the command). */
  days: number;
  /** How far before the silence a member must have been active, in local days. */
  lookBackDays: number;
  limit: number;
  offset: number;
  /** Defaults to the current time; tests pin it. */
  now?: Date;
}

export interface QuietMember {
  userId: string;
  displayName: string;
  /** Local date (YYYY-MM-DD) of the last message or voice minute. */
  lastActive: string;
  /** Messages in the look-back window. */
  messages: number;
  voiceSeconds: number;
}

export interface QuietPage {
  /** The instants the windows are cut at (local midnights). */
  lookBackFrom: Date;
  silentSince: Date;
  total: number;
  members: QuietMember[];
}

const midnight = (d: CalendarDate, zone: string) => startOfZonedDay(d.year, d.month, d.day, zone);

export async function quietMembers(db: Queryable, q: QuietQuery): Promise<QuietPage> {
  const zone = q.timeZone ?? 'UTC';
  const now = (q.now ?? new Date()).getTime();
  const silentSince = midnight(localDateMinus(now, zone, q.days), zone);
  const lookBackFrom = midnight(localDateMinus(now, zone, q.days + q.lookBackDays), zone);
  // Local midnights lie on this grain's grid over the range, so each bucket sits inside one local day.
  const grain = grainFor('day', { from: lookBackFrom, to: new Date(now), timeZone: zone });
  const { rows } = await db.query<{
    user_id: string;
    display_name: string;
    last_active: string;
    messages: string;
    voice_seconds: string;
    total: string;
  }>(
    `WITH a AS (
       SELECT user_id, bucket, messages AS messages, 0::bigint AS seconds FROM ${relation('messages', grain)}
        WHERE guild_id = $1::bigint AND bucket >= $2 AND messages > 0
       UNION ALL
       SELECT user_id, bucket, 0, seconds FROM ${relation('voice', grain)}
        WHERE guild_id = $1::bigint AND bucket >= $2 AND seconds > 0
     ), per AS (
       SELECT user_id, max(bucket) AS last, sum(messages) AS messages, sum(seconds) AS seconds FROM a GROUP BY user_id
     )
     SELECT per.user_id::text AS user_id, m.display_name, to_char(per.last AT TIME ZONE $4, 'YYYY-MM-DD') AS last_active,
            per.messages, per.seconds AS voice_seconds, count(*) OVER () AS total
       FROM per
       JOIN guild_members m ON m.guild_id = $1::bigint AND m.user_id = per.user_id
      WHERE per.last < $3 AND NOT m.bot
        AND NOT EXISTS (SELECT 1 FROM privacy_opt_outs o WHERE o.guild_id = $1::bigint AND o.user_id = per.user_id)
      ORDER BY per.last DESC, per.messages DESC, per.user_id
      LIMIT $5 OFFSET $6`,
    [q.guildId, lookBackFrom, silentSince, zone, q.limit, q.offset],
  );
  let total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  // A page past the end still says how many there are.
  if (rows.length === 0 && q.offset > 0) total = (await quietMembers(db, { ...q, offset: 0, limit: 1 })).total;
  return {
    lookBackFrom,
    silentSince,
    total,
    members: rows.map((r) => ({
      userId: r.user_id,
      displayName: r.display_name,
      lastActive: r.last_active,
      messages: Number(r.messages),
      voiceSeconds: Number(r.voice_seconds),
    })),
  };
}
