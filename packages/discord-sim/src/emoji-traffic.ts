// Emoji traffic with ground truth: messages whose content carries known emojis (the guild's custom ones,
// animated included, external custom ones, and unicode sequences that are easy to get wrong) and
// reactions, some of them removed again. The truth records which emojis the simulator chose, with keys
// written out here code point by code point: it never parses content, so a broken parser cannot agree
// with itself.
import { COMMON_UNICODE, TRICKY_UNICODE, isCustomEmoji, type ReactionEmoji, type SendReaction } from './emoji.js';
import { Rng } from './rng.js';
import type { ChatSink } from './driver.js';
import type { SimGuild } from './world.js';

/** Text that looks emoji-ish but is not one: shortcodes stay literal in content, ids alone are digits. */
const DECOYS = [':thumbsup:', ':smile:', '#1', '*bold*', '<3', ':-)', '123'];
const WORDS = 'gg nice lol same mood wow ok yes no hype cute love it this that'.split(' ');

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
export async function sendEmojiTraffic(sim: ChatSink, opts: EmojiTrafficOptions): Promise<EmojiTrafficSummary> {
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
  const emojiToken = (e: ReactionEmoji): Token =>
    isCustomEmoji(e)
      ? { text: `<${e.animated ? 'a' : ''}:${e.name}:${e.id}>`, key: e.id }
      : { text: e.text, key: e.key };

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
      sim.sendMessage({
        guildId: g.id,
        channelId: g.webhook.channelId,
        authorId: g.webhook.id,
        webhook: true,
        content: text,
        emojis: keys,
      });
    } else {
      const bots = sim.world.botMembers(g.id);
      const author = roll < 0.12 && bots.length ? rng.pick(bots) : rng.pick(sim.world.humanMembers(g.id));
      const channel = rng.pick(channelsOf(g));
      const m = sim.sendMessage({
        guildId: g.id,
        channelId: channel.id,
        authorId: author.user.id,
        content: text,
        emojis: keys,
      });
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
      target = {
        guildId: g.id,
        channelId: rng.pick(channelsOf(g)).id,
        id: sim.newSnowflake(Date.now() - rng.int(60_000, 30 * 86_400_000)),
      };
    }
    const g = sim.world.guild(target.guildId)!;
    const bots = sim.world.botMembers(g.id);
    const user = rng.chance(0.1) && bots.length ? rng.pick(bots) : rng.pick(sim.world.humanMembers(g.id));
    const r: SendReaction = {
      guildId: g.id,
      channelId: target.channelId,
      messageId: target.id,
      userId: user.user.id,
      emoji: pickEmoji(g),
    };
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
