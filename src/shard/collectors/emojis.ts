// Emoji uses per minute × guild × user × emoji × source, and the same by channel (channel_emojis). 'message': every emoji occurrence in a member's
// message content (the same emoji three times = 3 uses; bots and webhooks excluded, as for messages).
// 'reaction': MESSAGE_REACTION_ADD per emoji and reacting member (bots skipped). Removing a reaction does
// not decrement: the use happened. The bot caches no messages, so reactions arrive on partial messages
// (Partials.Message + Partials.Reaction + Partials.User in createClient).
import { Events, SnowflakeUtil, type Client, type MessageReaction, type PartialMessageReaction } from 'discord.js';
import { countEmojis, customEmojis, extractEmojis, unicodeEmojiKey } from '../../emoji.js';
import { isSnowflake, minuteOf } from '../../families.js';
import { gatewayEvents } from '../../metrics.js';
import type { Tracking } from '../../privacy.js';
import { isExcluded, type GuildSettingsStore } from '../../settings.js';
import type { CounterSink } from '../../counters.js';
import type { EmojiNameRecorder } from '../emoji-names.js';
import type { GuildMessages, MessagePlace, RawMessage } from '../guild-messages.js';
import { parentOf } from './messages.js';

/**
 * Custom reaction: its id; unicode: its name (the sequence), VS16-normalised like message content. A name
 * that is not exactly one emoji (a malformed or hostile payload) is no emoji use.
 */
export function reactionKey(reaction: MessageReaction | PartialMessageReaction): string | undefined {
  const { id, name } = reaction.emoji;
  if (id) return isSnowflake(id) ? id : undefined;
  if (!name) return undefined;
  const key = unicodeEmojiKey(name);
  const found = extractEmojis(name);
  return found.length === 1 && found[0] === key ? key : undefined;
}

// Excluded channels (a thread by its parent too) and opted-out members are not counted.
function skipped(
  settings: GuildSettingsStore | undefined,
  privacy: Tracking | undefined,
  guildId: string,
  channelId: string,
  parentId: string | null | undefined,
  userId: string,
): boolean {
  return (
    (settings !== undefined && isExcluded(settings.get(guildId), channelId, parentId)) ||
    (privacy !== undefined && !privacy.tracked(guildId, userId))
  );
}

/** One message's emoji uses, live (MESSAGE_CREATE) or read back from history (src/shard/backfill). */
export function countMessageEmojis(
  message: RawMessage,
  at: MessagePlace,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
  names?: EmojiNameRecorder,
): void {
  const { content, author } = message;
  if (author.bot || message.webhook_id || content === '') return;
  const { guildId, channel } = at;
  if (skipped(settings, privacy, guildId, message.channel_id, channel.isThread() ? channel.parentId : null, author.id))
    return;
  const counts = countEmojis(content);
  if (counts.size === 0) return;
  const minute = minuteOf(SnowflakeUtil.timestampFrom(message.id));
  const parent = parentOf(at);
  for (const [emoji, uses] of counts) {
    counters.add('emojis', guildId, minute, [guildId, author.id, emoji, 'message'], [uses]);
    counters.add(
      'channel_emojis',
      guildId,
      minute,
      [guildId, message.channel_id, parent, author.id, emoji, 'message'],
      [uses],
    );
  }
  // Custom emojis carry their names: kept so answers can name those not in the guild's list.
  if (names) for (const e of customEmojis(content)) names.note(e);
}

export function collectEmojis(
  client: Client,
  messages: GuildMessages,
  counters: CounterSink,
  settings?: GuildSettingsStore,
  privacy?: Tracking,
  names?: EmojiNameRecorder,
): void {
  messages.on('emojis', (message, at) => countMessageEmojis(message, at, counters, settings, privacy, names));

  client.on(Events.MessageReactionAdd, (reaction, user) => {
    const message = reaction.message;
    const guildId = message.guildId;
    if (!guildId) return;
    gatewayEvents.inc({ type: 'MESSAGE_REACTION_ADD', shard: message.guild?.shardId ?? -1 });
    if (user.bot) return;
    const channel = message.channel as { isThread?: () => boolean; parentId?: string | null } | null;
    if (
      skipped(settings, privacy, guildId, message.channelId, channel?.isThread?.() ? channel.parentId : null, user.id)
    )
      return;
    const key = reactionKey(reaction);
    if (!key) return;
    const { id, name, animated } = reaction.emoji;
    if (names && id && name) names.note({ id, name, animated: animated ?? false });
    // A reaction carries no timestamp of its own: it counts in the minute it arrives.
    const minute = minuteOf(Date.now());
    counters.add('emojis', guildId, minute, [guildId, user.id, key, 'reaction'], [1]);
    const parent = (channel?.isThread?.() ? channel.parentId : null) ?? '0';
    counters.add(
      'channel_emojis',
      guildId,
      minute,
      [guildId, message.channelId, parent, user.id, key, 'reaction'],
      [1],
    );
  });
}
