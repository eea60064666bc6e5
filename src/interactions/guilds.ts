// The guild an interaction comes from, in the REST-only client's cache: what the command modules read of it
// (name, emojis, channels, the bot's own member for its join date) comes from REST, not from a gateway
// GUILD_CREATE. Kept a few minutes per guild (a guild asked often is fetched once per interval) and
// refreshed in the background, so only a guild's first command in a while waits for the lookups.
import { DiscordAPIError, RESTJSONErrorCodes, type Client, type Guild } from 'discord.js';
import type { Logger } from '../logger.js';
import type { GuildSettingsStore } from '../settings.js';

const FRESH_MS = 5 * 60_000;
/** Guilds remembered at once; the oldest is dropped beyond this (memory stays bounded). */
const MAX_GUILDS = 5_000;

/** The bot is not in the guild (removed, or never added): there is nothing to answer from. */
export class NotInGuildError extends Error {
  override name = 'NotInGuildError';
}

const NOT_IN_GUILD = new Set<number | string>([RESTJSONErrorCodes.UnknownGuild, RESTJSONErrorCodes.MissingAccess]);

export class GuildLoader {
  private readonly loaded = new Map<string, { at: number; load: Promise<Guild> }>();

  constructor(
    private readonly client: Client,
    private readonly settings: GuildSettingsStore,
    private readonly logger: Logger,
  ) {}

  /** Whether the guild's settings are ours to keep current (settings pub/sub). */
  has(guildId: string): boolean {
    return this.loaded.has(guildId);
  }

  /** The guild, fetched when first seen; a stale entry is refreshed in the background. */
  async get(guildId: string): Promise<Guild> {
    const hit = this.loaded.get(guildId);
    if (hit) {
      if (Date.now() - hit.at > FRESH_MS) {
        hit.at = Date.now();
        this.fetch(guildId).catch((err: unknown) =>
          this.logger.warn({ err, guild: guildId }, 'could not refresh a guild'),
        );
      }
      return hit.load;
    }
    const load = this.fetch(guildId);
    this.loaded.set(guildId, { at: Date.now(), load });
    if (this.loaded.size > MAX_GUILDS) {
      const oldest = this.loaded.keys().next().value!;
      this.loaded.delete(oldest);
      this.client.guilds.cache.delete(oldest);
    }
    load.catch(() => this.loaded.delete(guildId));
    return load;
  }

  private async fetch(guildId: string): Promise<Guild> {
    try {
      const guild = await this.client.guilds.fetch({ guild: guildId, force: true, withCounts: false });
      // Channels (for channel names) and the bot's own member (its join date), as GUILD_CREATE would carry.
      await Promise.all([
        guild.channels.fetch(),
        guild.members.fetchMe(),
        this.settings
          .load([guildId])
          .catch((err: unknown) =>
            this.logger.warn({ err, guild: guildId }, 'could not load guild settings; defaults apply'),
          ),
      ]);
      return guild;
    } catch (err) {
      if (err instanceof DiscordAPIError && NOT_IN_GUILD.has(err.code))
        throw new NotInGuildError(`the bot is not in guild ${guildId}`);
      throw err;
    }
  }
}
