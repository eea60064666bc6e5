// Member growth and invite statistics, read from member_events (one row per join or leave; bots
// excluded everywhere: they join through OAuth2, not invites, and are not community growth).
//
// Invite stats classify every join in the range, once, in this order:
//   fake    - the account was younger than `youngAccountDays` when it joined, or the member joined through
//             their own invite (self-invite), or it is a rejoin (the member had joined this guild before;
//             only joins the bot recorded count, so a member who was there before the bot is not a rejoin);
//   left    - not fake, and the member left at some point after this join (up to now, not only in range);
//   regular - every other join.
// Joins are credited to the inviter of the invite they were attributed to; vanity-URL joins and joins that
// could not be attributed ('unknown': simultaneous joins, used-up invites, no Manage Server) are reported
// beside the inviters with the same breakdown.
import type { Queryable } from '../db/pool.js';
import type { Bucket } from './period.js';
import type { Range } from './queries.js';
import { bucketKey, grainFor, guildRange, slots } from './zoned.js';

export interface GrowthPoint {
  t: number;
  joins: number;
  leaves: number;
  net: number;
}

/**
 * Joins, leaves and net per bucket in the guild's zone, from the bucket holding `from` up to `to`, zeros
 * included; slots as instants (zoned.ts), so a DST day has 23 or 25 hours.
 */
export async function memberGrowth(db: Queryable, r: Range, bucket: Bucket): Promise<GrowthPoint[]> {
  // Events are single instants: the grain only sets the grid the slots are generated on.
  const grain = grainFor(bucket, r);
  const { rows } = await db.query<{ t: Date; joins: string; leaves: string }>(
    `WITH slots AS (${slots(grain)}),
     data AS (
       SELECT ${bucketKey('at')},
              count(*) FILTER (WHERE kind = 'join') AS joins,
              count(*) FILTER (WHERE kind = 'leave') AS leaves
         FROM member_events
        WHERE ${guildRange('at', grain)} AND NOT bot
        GROUP BY k, o
     )
     SELECT slots.t, coalesce(data.joins, 0) AS joins, coalesce(data.leaves, 0) AS leaves
       FROM slots LEFT JOIN data USING (k, o)
      WHERE slots.t < $3 ORDER BY 1`,
    [r.guildId, r.from, r.to, bucket, r.timeZone ?? 'UTC'],
  );
  return rows.map((row) => {
    const joins = Number(row.joins);
    const leaves = Number(row.leaves);
    return { t: new Date(row.t).getTime(), joins, leaves, net: joins - leaves };
  });
}

export interface InviteBreakdown {
  joins: number;
  regular: number;
  left: number;
  fake: number;
  /** Why joins were fake; one join may have several reasons, so these may add up to more than `fake`. */
  fakeReasons: { youngAccount: number; selfInvite: number; rejoin: number };
}

export interface InviterStats extends InviteBreakdown {
  /** Null for invites that have no inviter (e.g. the server widget's). */
  inviterId: string | null;
}

export interface InviteStats {
  /** Most regular joins first. */
  inviters: InviterStats[];
  vanity: InviteBreakdown;
  unknown: InviteBreakdown;
}

export interface InviteStatsOptions {
  /** An account younger than this at join makes the join fake. Default 7. */
  youngAccountDays?: number;
}

function empty(): InviteBreakdown {
  return { joins: 0, regular: 0, left: 0, fake: 0, fakeReasons: { youngAccount: 0, selfInvite: 0, rejoin: 0 } };
}

/** Joins in [from, to) by inviter (and vanity / unknown), classified regular / left / fake (see the header). */
export async function inviteStats(db: Queryable, r: Range, opts: InviteStatsOptions = {}): Promise<InviteStats> {
  const { rows } = await db.query<{
    attribution: string;
    inviter_id: string | null;
    joins: string;
    regular: string;
    left: string;
    fake: string;
    young: string;
    self_invite: string;
    rejoin: string;
  }>(
    `WITH j AS (
       SELECT e.attribution, e.inviter_id,
              e.at - e.account_created_at < make_interval(days => $4) AS young,
              coalesce(e.inviter_id = e.user_id, false) AS self_invite,
              EXISTS (SELECT 1 FROM member_events p
                       WHERE p.guild_id = e.guild_id AND p.user_id = e.user_id AND p.kind = 'join' AND p.at < e.at) AS rejoin,
              EXISTS (SELECT 1 FROM member_events l
                       WHERE l.guild_id = e.guild_id AND l.user_id = e.user_id AND l.kind = 'leave' AND l.at >= e.at) AS left_after
         FROM member_events e
        WHERE e.guild_id = $1::bigint AND e.kind = 'join' AND NOT e.bot AND e.at >= $2 AND e.at < $3
     ), c AS (
       SELECT *, (young OR self_invite OR rejoin) AS fake FROM j
     )
     SELECT attribution, inviter_id::text AS inviter_id, count(*) AS joins,
            count(*) FILTER (WHERE NOT fake AND NOT left_after) AS regular,
            count(*) FILTER (WHERE NOT fake AND left_after) AS left,
            count(*) FILTER (WHERE fake) AS fake,
            count(*) FILTER (WHERE young) AS young,
            count(*) FILTER (WHERE self_invite) AS self_invite,
            count(*) FILTER (WHERE rejoin) AS rejoin
       FROM c
      GROUP BY attribution, inviter_id`,
    [r.guildId, r.from, r.to, opts.youngAccountDays ?? 7],
  );
  const out: InviteStats = { inviters: [], vanity: empty(), unknown: empty() };
  for (const row of rows) {
    const b: InviteBreakdown = {
      joins: Number(row.joins),
      regular: Number(row.regular),
      left: Number(row.left),
      fake: Number(row.fake),
      fakeReasons: { youngAccount: Number(row.young), selfInvite: Number(row.self_invite), rejoin: Number(row.rejoin) },
    };
    if (row.attribution === 'invite') out.inviters.push({ inviterId: row.inviter_id, ...b });
    else if (row.attribution === 'vanity') out.vanity = b;
    else out.unknown = b;
  }
  out.inviters.sort(
    (a, b) => b.regular - a.regular || b.joins - a.joins || String(a.inviterId).localeCompare(String(b.inviterId)),
  );
  return out;
}
