// MESSAGE_CREATE → messages, words, attachments per minute × guild × channel × author. Webhooks and bots
// (unless the guild's settings include them) are excluded: their traffic would drown human activity. A
// bot's counted message carries the `bot` mark (FAMILIES.messages).
// The minute is the message's own snowflake time, so a late or replayed dispatch still lands in the
// minute it was sent. A thread's messages carry its parent channel too, so they count for the thread
// and roll up to the channel it lives in. The same message's details (characters, reply, stickers,
// embeds) go to the message_details family with the same dimensions, as MESSAGE_CREATE lists them: a link
// preview Discord adds later arrives as an edit, and is not counted. Edits and deletes are not listened to: they never recount.
import { MessageType, SnowflakeUtil } from 'discord.js';
import { minuteOf } from '../../families.js';
import { gatewayEvents } from '../../metrics.js';
import { countCharacters, countWords } from '../../text.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink } from '../../counters.js';
import type { GuildMessages, MessagePlace, RawMessage } from '../guild-messages.js';

export function collectMessages(
  messages: GuildMessages,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  messages.on('messages', (message, at) => {
    gatewayEvents.inc({ type: 'MESSAGE_CREATE', shard: at.channel.guild.shardId });
    countMessage(message, at, counters, settings, privacy);
  });
}

/** The thread's parent channel, '0' for a message outside a thread. */
export function parentOf(at: MessagePlace): string {
  return at.channel.isThread() ? (at.channel.parentId ?? '0') : '0';
}

/** How many distinct ids a list holds (discord.js's collections of attachments and stickers are by id). */
export function distinctIds(list: readonly { id?: unknown }[] | undefined): number {
  if (!list || list.length < 2) return list?.length ?? 0;
  return new Set(list.map((x) => x.id)).size;
}

/** One message's counts, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countMessage(
  message: RawMessage,
  at: MessagePlace,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
): void {
  const { guildId } = at;
  const author = message.author;
  // Webhooks never count; bots only where the guild asked for them.
  if (message.webhook_id || (author.bot && !settings?.get(guildId).includeBots)) return;
  const parent = parentOf(at);
  // Excluded channels (and their threads) and opted-out members are not counted.
  if (settings && isExcluded(settings.get(guildId), message.channel_id, parent)) return;
  if (privacy && !privacy.tracked(guildId, author.id)) return;
  const minute = minuteOf(SnowflakeUtil.timestampFrom(message.id));
  const dims = [guildId, message.channel_id, parent, author.id];
  counters.add(
    'messages',
    guildId,
    minute,
    dims,
    [1, countWords(message.content), distinctIds(message.attachments)],
    // Marked at ingest time, so an answer can leave bots out whatever the guild's setting is later.
    [author.bot ? '1' : '0'],
  );
  // Zeros are not written (CounterWriter.add): a plain short message costs one more HINCRBY.
  counters.add('message_details', guildId, minute, dims, [
    countCharacters(message.content),
    message.type === MessageType.Reply ? 1 : 0,
    distinctIds(message.sticker_items ?? (message as { stickers?: { id?: unknown }[] }).stickers),
    message.embeds?.length ?? 0,
  ]);
}
