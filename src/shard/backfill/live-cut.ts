// Where live counting begins, per channel: the id of the first message the gateway delivered there
// (HSETNX, so the first one ever wins across restarts and processes), and per guild a snowflake of when a
// shard first saw it, for channels that had no live message yet. A backfill reads only messages older than
// the cut, so history and live traffic never count the same message (docs/architecture.md, "Backfill").
// Off the gateway path: the HSETNX is not awaited (invariant 4), and each channel is written once per
// process (a Set of channel ids, bounded by the channels of this process's guilds).
import { Events, SnowflakeUtil, type Client, type Guild } from 'discord.js';
import { Keys, partitionOf } from '../../keys.js';
import type { Logger } from '../../logger.js';
import type { RedisClient } from '../../redis.js';
import type { GuildMessages } from '../guild-messages.js';

export const GUILD_CUT_FIELD = '*';

export function recordLiveCuts(
  client: Client,
  messages: GuildMessages,
  redis: RedisClient,
  keys: Keys,
  partitions: number,
  logger: Logger,
): void {
  const seen = new Set<string>();
  const note = (guildId: string, field: string, id: string) => {
    const k = `${guildId}|${field}`;
    if (seen.has(k)) return;
    seen.add(k);
    redis.hsetnx(keys.backfillCut(guildId, partitionOf(guildId, partitions)), field, id).catch((err: unknown) => {
      // Tried again with the channel's next message; until then a backfill cuts at the guild's mark.
      seen.delete(k);
      logger.warn({ err }, 'could not record where live counting starts');
    });
  };
  const guildSeen = (guild: Guild) => note(guild.id, GUILD_CUT_FIELD, SnowflakeUtil.generate().toString());
  messages.on('backfill', (message, at) => note(at.guildId, message.channel_id, message.id));
  client.once(Events.ClientReady, () => {
    for (const guild of client.guilds.cache.values()) guildSeen(guild);
  });
  client.on(Events.GuildCreate, guildSeen);
}
