// Display names for members and channels. The bot keeps no member cache, so members are fetched by id
// over the gateway (REQUEST_GUILD_MEMBERS) and remembered briefly here: a leaderboard asked twice in a
// minute fetches once, and memory stays bounded.
//
// Discord's limits decide the shape: a shard may send 120 gateway messages a minute (heartbeats and
// presence included) and one member request names at most 100 users. So one call sends at most one
// request (the first 100 missing ids: callers pass ids most important first), each shard has a budget of
// requests that refills over time (shared by every command on it), and concurrent calls for the same
// ids wait for the request already out. What is not fetched comes back as `unresolved`: callers label
// the answer as partial rather than failing or flooding the gateway.
import { DiscordAPIError, RESTJSONErrorCodes, type EmbedBuilder, type Guild, type GuildMember } from 'discord.js';
import type { Queryable } from '../../db/pool.js';
import { memberNameRequests } from '../../metrics.js';
import { guildChannels } from '../../stats/structure.js';
import type { CommandContext } from './context.js';

export interface MemberInfo {
  name: string;
  bot: boolean;
  /** False when the user is no longer (or never was) in the guild. */
  present: boolean;
}

export interface MemberLookup {
  info: Map<string, MemberInfo>;
  /** Ids neither cached nor fetched this time (request limit, shard budget, a failed request). */
  unresolved: string[];
}

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 20_000;
/** Discord's limit of user ids in one REQUEST_GUILD_MEMBERS. */
export const MAX_IDS_PER_REQUEST = 100;
/** Member requests a shard may send in a burst, and how fast that budget comes back (20 a minute). */
const BUDGET = 10;
const REFILL_MS = 3_000;
const FETCH_TIMEOUT_MS = 10_000;
/** Members looked up one by one over REST (no gateway session) per call. */
const REST_IDS = 25;

const cache = new Map<string, { info: MemberInfo; expires: number }>();
const budgets = new Map<number, { tokens: number; at: number }>();
/** `guild:user` → the request that will answer it. */
const inflight = new Map<string, Promise<void>>();

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

/** Takes one request from the shard's budget; false when it is spent. */
function takeRequest(shardId: number, now: number): boolean {
  const b = budgets.get(shardId) ?? { tokens: BUDGET, at: now };
  const back = Math.floor((now - b.at) / REFILL_MS);
  if (back > 0) {
    b.tokens = Math.min(BUDGET, b.tokens + back);
    b.at = b.tokens === BUDGET ? now : b.at + back * REFILL_MS;
  }
  budgets.set(shardId, b);
  if (b.tokens <= 0) return false;
  b.tokens--;
  return true;
}

/**
 * Names (and whether each is a bot) of the given users in the guild, from the cache and at most one
 * gateway request; former members get a placeholder. Ids it could not look up are `unresolved`.
 */
export async function memberInfo(guild: Guild, ids: readonly string[]): Promise<MemberLookup> {
  const now = Date.now();
  const info = new Map<string, MemberInfo>();
  const unresolved: string[] = [];
  const missing: string[] = [];
  const waits = new Set<Promise<void>>();
  const key = (id: string) => `${guild.id}:${id}`;
  for (const id of new Set(ids)) {
    const hit = cache.get(key(id));
    if (hit && hit.expires > now) info.set(id, hit.info);
    else if (inflight.has(key(id))) waits.add(inflight.get(key(id))!);
    else missing.push(id);
  }
  // Without a gateway session (interactions service) members come over REST, whose limits discord.js keeps.
  const gateway = guild.client.ws.shards.size > 0;
  const perRequest = gateway ? MAX_IDS_PER_REQUEST : REST_IDS;
  const chunk = missing.slice(0, perRequest);
  unresolved.push(...missing.slice(perRequest));
  if (chunk.length > 0) {
    if (gateway && !takeRequest(guild.shardId, now)) {
      memberNameRequests.inc({ outcome: 'over_budget' });
      unresolved.push(...chunk);
    } else {
      const request = fetchMembers(guild, chunk).then(
        (fetched) => {
          memberNameRequests.inc({ outcome: 'fetched' });
          const at = Date.now();
          for (const id of chunk) {
            const m = fetched.get(id);
            remember(
              key(id),
              m
                ? { name: m.displayName, bot: m.user.bot, present: true }
                : { name: `former member ${id}`, bot: false, present: false },
              at,
            );
          }
        },
        () => {
          memberNameRequests.inc({ outcome: 'failed' });
        },
      );
      for (const id of chunk) inflight.set(key(id), request);
      waits.add(request);
      void request.finally(() => {
        for (const id of chunk) if (inflight.get(key(id)) === request) inflight.delete(key(id));
      });
    }
  }
  await Promise.all(waits);
  const at = Date.now();
  for (const id of new Set(ids)) {
    if (info.has(id) || unresolved.includes(id)) continue;
    const hit = cache.get(key(id));
    if (hit && hit.expires > at) info.set(id, hit.info);
    else unresolved.push(id);
  }
  return { info, unresolved };
}

/** Members still in the guild among `ids`: one gateway request, or over REST where there is no gateway. */
async function fetchMembers(guild: Guild, ids: string[]): Promise<Map<string, GuildMember>> {
  if (guild.client.ws.shards.size > 0) return guild.members.fetch({ user: ids, time: FETCH_TIMEOUT_MS });
  // One GET per member (callers pass at most REST_IDS); a member who left answers 404: a former member.
  const out = new Map<string, GuildMember>();
  await Promise.all(
    ids.map(async (id) => {
      try {
        out.set(id, await guild.members.fetch({ user: id, cache: false }));
      } catch (err) {
        if (!(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.UnknownMember)) throw err;
      }
    }),
  );
  return out;
}

/** A member's display name, or a placeholder when it cannot be looked up now. */
export async function memberName(guild: Guild, id: string): Promise<string> {
  const { info } = await memberInfo(guild, [id]).catch(() => ({ info: new Map<string, MemberInfo>() }));
  return info.get(id)?.name ?? `Member ${id}`;
}

export interface ChannelLabel {
  /** `#name` */
  name: string;
  /** Recorded as deleted: `name` is its last name and ends with "(deleted)". */
  deleted: boolean;
}

/**
 * `#name` of each channel: a deleted one (as the shards recorded it, sql/030) by its last name, marked
 * "(deleted)", even where a gateway or REST cache still holds it (the interactions service keeps the guild's
 * channels a few minutes); the others by their live name, else the recorded one; a channel never seen keeps
 * a placeholder. Only this guild's rows are read.
 */
export async function channelNames(
  db: Queryable,
  guild: Guild,
  ids: readonly string[],
): Promise<Map<string, ChannelLabel>> {
  const recorded = await guildChannels(db, guild.id, ids);
  const out = new Map<string, ChannelLabel>();
  for (const id of ids) {
    const r = recorded.get(id);
    const live = guild.channels.cache.get(id);
    if (r?.deleted) out.set(id, { name: `#${r.name} (deleted)`, deleted: true });
    else if (live) out.set(id, { name: `#${live.name}`, deleted: false });
    else out.set(id, { name: r ? `#${r.name}` : `#deleted-channel (${id})`, deleted: r === undefined });
  }
  return out;
}

/** Forget everything (tests). */
export function clearNameCache(): void {
  cache.clear();
  budgets.clear();
}

/** Display names by id; `unresolved` are the ids whose names could not be looked up this time. */
export class MemberNames extends Map<string, string> {
  readonly unresolved = new Set<string>();
}

/** Said under an answer whose member names are partly missing. */
export const PARTIAL_NAMES_NOTE =
  'Some member names could not be fetched right now (Discord limits how fast a bot may ask) and show as ids.';

/**
 * Display names of present members by id (memberInfo fetches them over the gateway within Discord's limits
 * and caches them briefly). Former members are missing from the map, ids not looked up now are in
 * `unresolved`; see memberLabel. Pass ids most important first: only the first 100 are fetched.
 */
export async function memberNames(guild: Guild, ids: readonly string[], ctx: CommandContext): Promise<MemberNames> {
  const out = new MemberNames();
  if (ids.length === 0) return out;
  try {
    const { info, unresolved } = await memberInfo(guild, ids);
    for (const [id, m] of info) if (m.present) out.set(id, m.name);
    for (const id of unresolved) out.unresolved.add(id);
  } catch (err) {
    // A slow or failed member request must not cost the answer: the ids are shown instead.
    ctx.logger.warn({ err, guild: guild.id }, 'could not fetch member names');
    for (const id of ids) out.unresolved.add(id);
  }
  return out;
}

export function memberLabel(names: MemberNames, id: string): string {
  return names.get(id) ?? (names.unresolved.has(id) ? `Member ${id}` : `Unknown member (${id})`);
}

/** The embed says so when some names are missing (PARTIAL_NAMES_NOTE). */
export function notePartialNames(embed: EmbedBuilder, names: MemberNames): EmbedBuilder {
  if (names.unresolved.size === 0) return embed;
  return embed.setFooter({ text: [embed.data.footer?.text, PARTIAL_NAMES_NOTE].filter(Boolean).join(' · ') });
}
