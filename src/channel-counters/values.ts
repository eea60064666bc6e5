// The values of counter variables for one guild, computed only for the variables its templates use:
// statistics through src/stats in the server's zone ("today" starts at the zone's midnight), members in
// voice from the shards' open sessions in Redis (invariant 2), the member count from Discord.
import { Routes, type REST, type RESTGetAPIGuildResult } from 'discord.js';
import type { Queryable } from '../db/pool.js';
import { partitionOf, type Keys } from '../keys.js';
import type { RedisClient } from '../redis.js';
import { messageActivity } from '../stats/activity.js';
import { familyTotal } from '../stats/families.js';
import { memberGrowth } from '../stats/members.js';
import { startOfZonedDayAt } from '../stats/period.js';
import type { Variable } from './template.js';

export interface ValueSources {
  guildId: string;
  db: Queryable;
  redis: RedisClient;
  keys: Keys;
  partitions: number;
  rest: REST;
  timeZone: string;
  includeBots: boolean;
  now: Date;
}

/** Members with an open voice session in the guild: fields `guild|user` of the partition's session hash. */
export async function membersInVoice(
  redis: RedisClient,
  keys: Keys,
  partitions: number,
  guildId: string,
): Promise<number> {
  const key = keys.sessions('voice', partitionOf(guildId, partitions));
  let cursor = '0';
  let n = 0;
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'MATCH', `${guildId}|*`, 'COUNT', 1000);
    cursor = next;
    n += flat.length / 2;
  } while (cursor !== '0');
  return n;
}

export async function counterValues(
  vars: ReadonlySet<Variable>,
  s: ValueSources,
): Promise<Partial<Record<Variable, number>>> {
  const out: Partial<Record<Variable, number>> = {};
  const today = {
    guildId: s.guildId,
    from: startOfZonedDayAt(s.now.getTime(), s.timeZone),
    to: s.now,
    timeZone: s.timeZone,
  };
  const week = {
    guildId: s.guildId,
    from: new Date(s.now.getTime() - 7 * 86_400_000),
    to: s.now,
    timeZone: s.timeZone,
  };
  const filter = { withoutBots: !s.includeBots };
  const jobs: Promise<void>[] = [];
  const want = (v: Variable, f: () => Promise<number>) => {
    if (vars.has(v)) jobs.push(f().then((n) => void (out[v] = n)));
  };
  want('members', async () => {
    const g = (await s.rest.get(Routes.guild(s.guildId), {
      query: new URLSearchParams({ with_counts: 'true' }),
    })) as RESTGetAPIGuildResult;
    return g.approximate_member_count ?? 0;
  });
  want('members.joined.today', async () => (await memberGrowth(s.db, today, 'day')).reduce((a, p) => a + p.joins, 0));
  want('messages.today', () => familyTotal(s.db, 'messages', 'messages', today, filter));
  want('messages.week', () => familyTotal(s.db, 'messages', 'messages', week, filter));
  want('active.today', async () => (await messageActivity(s.db, today, 'minute', filter)).members);
  want('voice.now', () => membersInVoice(s.redis, s.keys, s.partitions, s.guildId));
  want('voice.hours.today', async () => Math.round((await familyTotal(s.db, 'voice', 'seconds', today)) / 360) / 10);
  await Promise.all(jobs);
  return out;
}
