// Display names for members and channels. The bot keeps no member cache, so members are fetched by id
// over the gateway (REQUEST_GUILD_MEMBERS, 100 ids a request) and remembered briefly here: a leaderboard
// asked twice in a minute fetches once, and memory stays bounded.
import type { Guild } from 'discord.js';

export interface MemberInfo {
  name: string;
  bot: boolean;
  /** False when the user is no longer (or never was) in the guild. */
  present: boolean;
}

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 20_000;
const FETCH_CHUNK = 100;
const cache = new Map<string, { info: MemberInfo; expires: number }>();

function remember(key: string, info: MemberInfo, now: number): void {
  if (cache.size >= MAX_ENTRIES) {
    // Map iteration is insertion order: drop the oldest tenth.
    let drop = Math.ceil(MAX_ENTRIES / 10);
    for (const k of cache.keys()) {
      if (drop-- <= 0) break;
      cache.delete(k);
    }
  }
  cache.set(key, { info, expires: now + TTL_MS });
}

/** Names (and whether each is a bot) of the given users in the guild; unknown users get a placeholder. */
export async function memberInfo(guild: Guild, ids: readonly string[]): Promise<Map<string, MemberInfo>> {
  const now = Date.now();
  const out = new Map<string, MemberInfo>();
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const hit = cache.get(`${guild.id}:${id}`);
    if (hit && hit.expires > now) out.set(id, hit.info);
    else missing.push(id);
  }
  for (let i = 0; i < missing.length; i += FETCH_CHUNK) {
    const chunk = missing.slice(i, i + FETCH_CHUNK);
    const fetched = await guild.members.fetch({ user: chunk, time: 10_000 });
    for (const id of chunk) {
      const m = fetched.get(id);
      const info: MemberInfo = m ? { name: m.displayName, bot: m.user.bot, present: true } : { name: `former member ${id}`, bot: false, present: false };
      remember(`${guild.id}:${id}`, info, now);
      out.set(id, info);
    }
  }
  return out;
}

export async function memberName(guild: Guild, id: string): Promise<string> {
  return (await memberInfo(guild, [id])).get(id)!.name;
}

/** `#name` of a channel or thread the guild has (all channels are cached), else a placeholder. */
export function channelName(guild: Guild, id: string): string {
  const c = guild.channels.cache.get(id);
  return c ? `#${c.name}` : `#deleted-channel (${id})`;
}

/** Forget everything (tests). */
export function clearNameCache(): void {
  cache.clear();
}
