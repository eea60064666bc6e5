// Guild settings: stored in PostgreSQL, cached in every shard process, changes announced over Redis
// pub/sub so every process that holds the guild applies them at once. Reads on the gateway path are
// synchronous map lookups; a guild whose settings are not loaded yet gets the defaults.
import type { RedisClient } from './redis.js';
import type { Queryable } from './db/pool.js';
import type { Logger } from './logger.js';

export interface GuildSettings {
  includeBots: boolean;
  timeZone: string;
  /** Channels not counted (messages, emojis, apps, voice) from the moment they are excluded. */
  excludedChannels: readonly string[];
  /** Per-member stats visible to everyone (true) or only to Administrator / Manage Server / View Server Insights. */
  memberStatsManagersOnly: boolean;
}

export const DEFAULT_SETTINGS: Readonly<GuildSettings> = Object.freeze({
  includeBots: false,
  timeZone: 'UTC',
  excludedChannels: Object.freeze([]),
  memberStatsManagersOnly: false,
});

/** Whether a channel (or the thread's parent channel) is excluded from counting: a synchronous lookup. */
export function isExcluded(
  s: Readonly<GuildSettings>,
  channelId: string | null | undefined,
  parentId?: string | null,
): boolean {
  if (s.excludedChannels.length === 0) return false;
  return (
    (!!channelId && s.excludedChannels.includes(channelId)) || (!!parentId && s.excludedChannels.includes(parentId))
  );
}

interface Row {
  guild_id: string;
  include_bots: boolean;
  time_zone: string;
  excluded_channels: string[];
  member_stats_managers_only: boolean;
}

export function settingsChannel(prefix: string): string {
  return `${prefix}:settings`;
}

export class GuildSettingsStore {
  private readonly cache = new Map<string, GuildSettings>();
  private subscriber: RedisClient | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  get(guildId: string): Readonly<GuildSettings> {
    return this.cache.get(guildId) ?? DEFAULT_SETTINGS;
  }

  /** Loads the given guilds' settings (all at once: one query per process start, not one per guild). */
  async load(guildIds: string[]): Promise<void> {
    if (guildIds.length === 0) return;
    const { rows } = await this.db.query<Row>(
      `SELECT guild_id::text AS guild_id, include_bots, time_zone, excluded_channels::text[] AS excluded_channels, member_stats_managers_only
       FROM guild_settings WHERE guild_id = ANY ($1::bigint[])`,
      [guildIds],
    );
    for (const id of guildIds) this.cache.delete(id);
    for (const r of rows) {
      this.cache.set(r.guild_id, {
        includeBots: r.include_bots,
        timeZone: r.time_zone,
        excludedChannels: r.excluded_channels,
        memberStatsManagersOnly: r.member_stats_managers_only,
      });
    }
  }

  /** Listens for changes made by any process; a dedicated connection, as Redis pub/sub requires. */
  async subscribe(isOurs: (guildId: string) => boolean): Promise<void> {
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err) =>
      this.logger.warn({ err: err.message }, 'settings subscriber connection error'),
    );
    this.subscriber.on('message', (_channel, guildId: string) => {
      if (!isOurs(guildId)) return;
      this.load([guildId]).catch((err: unknown) =>
        this.logger.warn({ err, guild: guildId }, 'could not reload guild settings'),
      );
    });
    await this.subscriber.subscribe(settingsChannel(this.prefix));
  }

  /** Stores a change and tells every process; returns the guild's new settings. */
  async update(guildId: string, patch: Partial<GuildSettings>): Promise<GuildSettings> {
    const next = { ...this.get(guildId), ...patch };
    await this.db.query(
      `INSERT INTO guild_settings (guild_id, include_bots, time_zone, excluded_channels, member_stats_managers_only) VALUES ($1::bigint, $2, $3, $4::bigint[], $5)
       ON CONFLICT (guild_id) DO UPDATE SET include_bots = $2, time_zone = $3, excluded_channels = $4::bigint[], member_stats_managers_only = $5, updated_at = now()`,
      [guildId, next.includeBots, next.timeZone, [...next.excludedChannels], next.memberStatsManagersOnly],
    );
    this.cache.set(guildId, next);
    await this.redis.publish(settingsChannel(this.prefix), guildId);
    return next;
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}
