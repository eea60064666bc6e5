// Emojis as members type them and react with, keyed the way the simulator's truth records them: custom
// emojis by id, unicode sequences by a key written out code point by code point (U+FE0F removed), never by
// parsing content, so a broken parser cannot agree with itself. Used by the emoji and chat traffic.
import {
  ReactionType,
  type GatewayMessageReactionAddDispatchData,
  type GatewayMessageReactionRemoveDispatchData,
} from 'discord-api-types/v10';
import { memberJson } from './payloads.js';
import type { SimEmoji, SimMember } from './world.js';

/** A unicode emoji as typed (`text`) and the key the bot stores it under (U+FE0F removed). */
export interface UnicodeEmoji {
  text: string;
  key: string;
  label: string;
}

/** Multi-codepoint sequences and presentation variants. */
export const TRICKY_UNICODE: readonly UnicodeEmoji[] = [
  {
    label: 'family (ZWJ)',
    text: '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
    key: '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
  },
  { label: 'thumbs up, medium skin tone', text: '\u{1F44D}\u{1F3FD}', key: '\u{1F44D}\u{1F3FD}' },
  { label: 'flag France (regional indicators)', text: '\u{1F1EB}\u{1F1F7}', key: '\u{1F1EB}\u{1F1F7}' },
  { label: 'keycap 1', text: '1\uFE0F\u20E3', key: '1\u20E3' },
  { label: 'red heart with VS16', text: '\u2764\uFE0F', key: '\u2764' },
  { label: 'red heart without VS16', text: '\u2764', key: '\u2764' },
  { label: 'rainbow flag (VS16 + ZWJ)', text: '\u{1F3F3}\uFE0F\u200D\u{1F308}', key: '\u{1F3F3}\u200D\u{1F308}' },
  {
    label: 'astronaut, dark skin tone (modifier + ZWJ)',
    text: '\u{1F9D1}\u{1F3FF}\u200D\u{1F680}',
    key: '\u{1F9D1}\u{1F3FF}\u200D\u{1F680}',
  },
];

/** What people type most (also used by the plain chat traffic in traffic.ts). */
export const COMMON_UNICODE: readonly UnicodeEmoji[] = [
  { label: 'tears of joy', text: '\u{1F602}', key: '\u{1F602}' },
  { label: 'thumbs up', text: '\u{1F44D}', key: '\u{1F44D}' },
  { label: 'fire', text: '\u{1F525}', key: '\u{1F525}' },
  { label: 'red heart with VS16', text: '\u2764\uFE0F', key: '\u2764' },
  { label: 'party popper', text: '\u{1F389}', key: '\u{1F389}' },
];

export type ReactionEmoji = SimEmoji | UnicodeEmoji;

export interface SendReaction {
  guildId: string;
  channelId: string;
  messageId: string;
  userId: string;
  emoji: ReactionEmoji;
  /** MESSAGE_REACTION_REMOVE instead of ADD (never decrements a count). */
  remove?: boolean;
}

export const isCustomEmoji = (e: ReactionEmoji): e is SimEmoji => 'id' in e;

/** Key the truth records for a reaction emoji: custom id, or the unicode key written out above. */
export function reactionTruthKey(e: ReactionEmoji): string {
  return isCustomEmoji(e) ? e.id : e.key;
}

/** MESSAGE_REACTION_ADD payload (with the member), as Discord sends it in a guild. */
export function reactionAddJson(r: SendReaction, member: SimMember): GatewayMessageReactionAddDispatchData {
  return { ...reactionRemoveJson(r), member: memberJson(member), burst_colors: [] };
}

/** MESSAGE_REACTION_REMOVE payload. */
export function reactionRemoveJson(r: SendReaction): GatewayMessageReactionRemoveDispatchData {
  const emoji = isCustomEmoji(r.emoji)
    ? { id: r.emoji.id, name: r.emoji.name, animated: r.emoji.animated }
    : { id: null, name: r.emoji.text };
  return {
    user_id: r.userId,
    channel_id: r.channelId,
    message_id: r.messageId,
    guild_id: r.guildId,
    emoji,
    burst: false,
    type: ReactionType.Normal,
  };
}
