// Emoji traffic with ground truth: messages whose content carries known emojis (the guild's custom ones,
// animated included, external custom ones, and unicode sequences that are easy to get wrong) and
// reactions, some of them removed again. The truth records which emojis the simulator chose, with keys
// written out here code point by code point: it never parses content, so a broken parser cannot agree
// with itself.
import { memberJson, type Json } from './payloads.js';
import { Rng } from './rng.js';
import type { Simulator } from './index.js';
import type { SimEmoji, SimGuild, SimMember } from './world.js';

/** A unicode emoji as typed (`text`) and the key the bot stores it under (U+FE0F removed). */
export interface UnicodeEmoji {
  text: string;
  key: string;
  label: string;
}

/** Multi-codepoint sequences and presentation variants. */
export const TRICKY_UNICODE: readonly UnicodeEmoji[] = [
  { label: 'family (ZWJ)', text: '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', key: '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}' },
  { label: 'thumbs up, medium skin tone', text: '\u{1F44D}\u{1F3FD}', key: '\u{1F44D}\u{1F3FD}' },
  { label: 'flag France (regional indicators)', text: '\u{1F1EB}\u{1F1F7}', key: '\u{1F1EB}\u{1F1F7}' },
  { label: 'keycap 1', text: '1\uFE0F\u20E3', key: '1\u20E3' },
  { label: 'red heart with VS16', text: '\u2764\uFE0F', key: '\u2764' },
  { label: 'red heart without VS16', text: '\u2764', key: '\u2764' },
  { label: 'rainbow flag (VS16 + ZWJ)', text: '\u{1F3F3}\uFE0F\u200D\u{1F308}', key: '\u{1F3F3}\u200D\u{1F308}' },
  { label: 'astronaut, dark skin tone (modifier + ZWJ)', text: '\u{1F9D1}\u{1F3FF}\u200D\u{1F680}', key: '\u{1F9D1}\u{1F3FF}\u200D\u{1F680}' },
];

/** What people type most (also used by the plain chat traffic in traffic.ts). */
export const COMMON_UNICODE: readonly UnicodeEmoji[] = [
  { label: 'tears of joy', text: '\u{1F602}', key: '\u{1F602}' },
  { label: 'thumbs up', text: '\u{1F44D}', key: '\u{1F44D}' },
  { label: 'fire', text: '\u{1F525}', key: '\u{1F525}' },
  { label: 'red heart with VS16', text: '\u2764\uFE0F', key: '\u2764' },
  { label: 'party popper', text: '\u{1F389}', key: '\u{1F389}' },
];

/** Text that looks emoji-ish but is not one: shortcodes stay literal in content, ids alone are digits. */
const DECOYS = [':thumbsup:', ':smile:', '#1', '*bold*', '<3', ':-)', '123'];
const WORDS = 'gg nice lol same mood wow ok yes no hype cute love it this that'.split(' ');

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

const isCustom = (e: ReactionEmoji): e is SimEmoji => 'id' in e;

/** Key the truth records for a reaction emoji: custom id, or the unicode key written out above. */
export function reactionTruthKey(e: ReactionEmoji): string {
  return isCustom(e) ? e.id : e.key;
}

/** MESSAGE_REACTION_ADD / _REMOVE payload, as Discord sends it in a guild. */
export function reactionJson(r: SendReaction, member: SimMember): Json {
  const emoji = isCustom(r.emoji) ? { id: r.emoji.id, name: r.emoji.name, animated: r.emoji.animated } : { id: null, name: r.emoji.text };
  const j: Json = { user_id: r.userId, channel_id: r.channelId, message_id: r.messageId, guild_id: r.guildId, emoji, burst: false, type: 0 };
  if (!r.remove) {
    j.member = memberJson(member);
    j.burst_colors = [];
  }
  return j;
}

export interface EmojiTrafficOptions {
  messages: number;
  reactions: number;
  seed?: number;
  guildIds?: string[];
}

export interface EmojiTrafficSummary {
  messages: number;
  /** Emoji occurrences put into members' messages (bots' and webhooks' not included). */
  messageEmojis: number;
  reactions: number;
  removals: number;
  botReactions: number;
}

interface Token {
  text: string;
  /** Emoji key, or undefined for plain text. */
  key?: string;
}

/** Sends emoji-rich messages and reactions through `sim`; the truth is recorded as they are sent. */
export async function sendEmojiTraffic(sim: Simulator, opts: EmojiTrafficOptions): Promise<EmojiTrafficSummary> {
  const rng = new Rng(opts.seed ?? 0xe330);
  const guilds = (opts.guildIds ?? [...sim.world.guilds.keys()]).map((id) => sim.world.guild(id)!);
  const allCustom = guilds.flatMap((g) => g.emojis);
  const summary: EmojiTrafficSummary = { messages: 0, messageEmojis: 0, reactions: 0, removals: 0, botReactions: 0 };
  const sent: { guildId: string; channelId: string; id: string }[] = [];
  const channelsOf = (g: SimGuild) => [...sim.world.textChannels(g.id), ...sim.world.threads(g.id)];

  const pickEmoji = (g: SimGuild): ReactionEmoji => {
    const r = rng.next();
    if (r < 0.3 && g.emojis.length) return rng.pick(g.emojis);
    if (r < 0.38 && allCustom.length) return rng.pick(allCustom); // external (Nitro) emoji: still keyed by id
    if (r < 0.8) return rng.pick(TRICKY_UNICODE);
    return rng.pick(COMMON_UNICODE);
  };
  const emojiToken = (e: ReactionEmoji): Token => (isCustom(e) ? { text: `<${e.animated ? 'a' : ''}:${e.name}:${e.id}>`, key: e.id } : { text: e.text, key: e.key });

  const content = (g: SimGuild): { text: string; keys: string[] } => {
    const tokens: Token[] = [];
    const n = rng.int(1, 8);
    for (let i = 0; i < n; i++) {
      const r = rng.next();
      if (r < 0.35) tokens.push({ text: rng.pick(WORDS) });
      else if (r < 0.42) tokens.push({ text: rng.pick(DECOYS) });
      else if (r < 0.45) tokens.push({ text: `<@${rng.pick(sim.world.humanMembers(g.id)).user.id}>` });
      else {
        const t = emojiToken(pickEmoji(g));
        const times = rng.chance(0.25) ? 3 : 1; // the same emoji three times is three uses
        for (let k = 0; k < times; k++) tokens.push(t);
      }
    }
    // Tokens are glued without a space now and then: "gg👍🏽👍🏽" must still split into two uses.
    let text = '';
    for (const [i, t] of tokens.entries()) text += (i === 0 ? '' : rng.chance(0.3) ? '' : ' ') + t.text;
    return { text, keys: tokens.flatMap((t) => (t.key ? [t.key] : [])) };
  };

  const sendMessageOne = () => {
    const g = rng.pick(guilds);
    const roll = rng.next();
    const { text, keys } = content(g);
    if (roll < 0.04) {
      sim.sendMessage({ guildId: g.id, channelId: g.webhook.channelId, authorId: g.webhook.id, webhook: true, content: text, emojis: keys });
    } else {
      const bots = sim.world.botMembers(g.id);
      const author = roll < 0.12 && bots.length ? rng.pick(bots) : rng.pick(sim.world.humanMembers(g.id));
      const channel = rng.pick(channelsOf(g));
      const m = sim.sendMessage({ guildId: g.id, channelId: channel.id, authorId: author.user.id, content: text, emojis: keys });
      sent.push({ guildId: g.id, channelId: channel.id, id: m.id });
      if (!author.user.bot) summary.messageEmojis += keys.length;
    }
    summary.messages++;
  };

  const reactOne = () => {
    // Mostly messages sent above; sometimes an old message the bot never saw (a partial on its side).
    let target = sent.length && rng.chance(0.8) ? rng.pick(sent) : undefined;
    if (!target) {
      const g = rng.pick(guilds);
      target = { guildId: g.id, channelId: rng.pick(channelsOf(g)).id, id: sim.newSnowflake(Date.now() - rng.int(60_000, 30 * 86_400_000)) };
    }
    const g = sim.world.guild(target.guildId)!;
    const bots = sim.world.botMembers(g.id);
    const user = rng.chance(0.1) && bots.length ? rng.pick(bots) : rng.pick(sim.world.humanMembers(g.id));
    const r: SendReaction = { guildId: g.id, channelId: target.channelId, messageId: target.id, userId: user.user.id, emoji: pickEmoji(g) };
    sim.react(r);
    summary.reactions++;
    if (user.user.bot) summary.botReactions++;
    if (rng.chance(0.15)) {
      sim.react({ ...r, remove: true });
      summary.removals++;
    }
  };

  let i = 0;
  while (summary.messages < opts.messages || summary.reactions < opts.reactions) {
    if (summary.messages < opts.messages) sendMessageOne();
    if (summary.reactions < opts.reactions && (summary.messages >= opts.messages || rng.chance(0.5))) reactOne();
    if (++i % 200 === 0) await new Promise((r) => setImmediate(r)); // let sockets and heartbeats flow
  }
  return summary;
}
