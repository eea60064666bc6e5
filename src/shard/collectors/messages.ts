// MESSAGE_CREATE → messages, words, attachments per minute × guild × channel × author. Webhooks and bots
// (unless the guild's settings include them) are excluded: their traffic would drown human activity. A
// bot's counted message carries the `bot` mark (FAMILIES.messages).
// The minute is the message's own snowflake time, so a late or replayed dispatch still lands in the
// minute it was sent. A thread's messages carry its parent channel too, so they count for the thread
// and roll up to the channel it lives in. The same message's details (characters, reply, stickers,
// embeds) go to the message_details family with the same dimensions, as MESSAGE_CREATE lists them: a link
// preview Discord adds later arrives as an edit, and is not counted. Edits and deletes are not listened to: they never recount.
import { Events, MessageType, type Client, type Message } from 'discord.js';
import { minuteOf } from '../../families.js';
import { gatewayEvents } from '../../metrics.js';
import { countCharacters, countWords } from '../../text.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink } from '../../counters.js';

export function collectMessages(
  client: Client,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  client.on(Events.MessageCreate, (message) => {
    if (!message.inGuild()) return;
    gatewayEvents.inc({ type: 'MESSAGE_CREATE', shard: message.guild.shardId });
    countMessage(message, counters, settings, privacy);
  });
}

/** One message's counts, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countMessage(
  message: Message<true>,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  // Webhooks never count; bots only where the guild asked for them.
  if (message.webhookId || (message.author.bot && !settings?.get(message.guildId).includeBots)) return;
  const parent = message.channel.isThread() ? (message.channel.parentId ?? '0') : '0';
  // Excluded channels (and their threads) and opted-out members are not counted.
  if (settings && isExcluded(settings.get(message.guildId), message.channelId, parent)) return;
  if (privacy && !privacy.tracked(message.guildId, message.author.id)) return;
  const minute = minuteOf(message.createdTimestamp);
  const dims = [message.guildId, message.channelId, parent, message.author.id];
  counters.add(
    'messages',
    message.guildId,
    minute,
    dims,
    [1, countWords(message.content), message.attachments.size],
    // Marked at ingest time, so an answer can leave bots out whatever the guild's setting is later.
    [message.author.bot ? '1' : '0'],
  );
  // Zeros are not written (CounterWriter.add): a plain short message costs one more HINCRBY.
  counters.add('message_details', message.guildId, minute, dims, [
    countCharacters(message.content),
    message.type === MessageType.Reply ? 1 : 0,
    message.stickers.size,
    message.embeds.length,
  ]);
}
