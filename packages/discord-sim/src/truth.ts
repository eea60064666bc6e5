// Ground truth: exactly what the simulator sent, so tests can compare the bot's stats against it.
// The simulator's own counting rules, written independently of the bot's: where the two disagree, a test
// fails and one of them is wrong.

/** Characters of a message: its Unicode code points (what a string iterator yields). */
export function truthCharacters(content: string): number {
  return Array.from(content).length;
}

/** Words of a message: maximal runs of non-whitespace (Unicode white space separates). */
export function truthWords(content: string): number {
  return content.split(/\s+/u).filter((w) => w !== '').length;
}

export interface TruthMessage {
  id: string;
  guildId: string;
  channelId: string;
  /** Parent channel when channelId is a thread, else null. */
  parentChannelId: string | null;
  authorId: string;
  bot: boolean;
  webhook: boolean;
  words: number;
  attachments: number;
  timestamp: number;
  characters: number;
  /** Sent as a reply (with a message_reference), pinging or not. */
  reply: boolean;
  stickers: number;
  embeds: number;
}

/** Message details as the bot counts them beside its messages: characters, replies, stickers, embeds. */
export interface DetailTotals {
  characters: number;
  replies: number;
  stickers: number;
  embeds: number;
}

export interface Totals {
  messages: number;
  words: number;
  attachments: number;
}

export interface TotalsOptions {
  /** Count messages by bot users too (webhook messages are never counted). Default false. */
  includeBots?: boolean;
}

export class GroundTruth {
  readonly messages: TruthMessage[] = [];
  /** Channel renames the REST API accepted (PATCH /channels/{id}), in order, with the simulator's time. */
  readonly channelRenames: { guildId: string; channelId: string; name: string; at: number }[] = [];

  get sentCount(): number {
    return this.messages.length;
  }

  record(m: Omit<TruthMessage, 'words' | 'characters'> & { content: string }): TruthMessage {
    const { content, ...rest } = m;
    const rec: TruthMessage = { ...rest, words: truthWords(content), characters: truthCharacters(content) };
    this.messages.push(rec);
    return rec;
  }

  private counted(opts: TotalsOptions): TruthMessage[] {
    return this.messages.filter((m) => !m.webhook && (opts.includeBots || !m.bot));
  }

  private sum(key: (m: TruthMessage) => string, opts: TotalsOptions): Map<string, Totals> {
    const out = new Map<string, Totals>();
    for (const m of this.counted(opts)) {
      const k = key(m);
      let t = out.get(k);
      if (!t) out.set(k, (t = { messages: 0, words: 0, attachments: 0 }));
      t.messages++;
      t.words += m.words;
      t.attachments += m.attachments;
    }
    return out;
  }

  /** Totals keyed by `${guildId}|${channelId}|${userId}` (threads keep their own channel id). */
  messageTotals(opts: TotalsOptions = {}): Map<string, Totals> {
    return this.sum((m) => `${m.guildId}|${m.channelId}|${m.authorId}`, opts);
  }

  /** Totals keyed by guild id, channel id or user id. A user's totals span all guilds. */
  totalsBy(dim: 'guild' | 'channel' | 'user', opts: TotalsOptions = {}): Map<string, Totals> {
    const key =
      dim === 'guild'
        ? (m: TruthMessage) => m.guildId
        : dim === 'channel'
          ? (m: TruthMessage) => m.channelId
          : (m: TruthMessage) => m.authorId;
    return this.sum(key, opts);
  }

  /** Message details of the counted messages keyed by guild, channel or user id (or all three, `g|c|u`). */
  detailTotalsBy(dim: 'guild' | 'channel' | 'user' | 'all', opts: TotalsOptions = {}): Map<string, DetailTotals> {
    const out = new Map<string, DetailTotals>();
    for (const m of this.counted(opts)) {
      const k =
        dim === 'guild'
          ? m.guildId
          : dim === 'channel'
            ? m.channelId
            : dim === 'user'
              ? m.authorId
              : `${m.guildId}|${m.channelId}|${m.authorId}`;
      let t = out.get(k);
      if (!t) out.set(k, (t = { characters: 0, replies: 0, stickers: 0, embeds: 0 }));
      t.characters += m.characters;
      t.replies += m.reply ? 1 : 0;
      t.stickers += m.stickers;
      t.embeds += m.embeds;
    }
    return out;
  }

  /** Messages in one guild (all authors, webhooks included), for scenario assertions. */
  messagesIn(guildId: string): TruthMessage[] {
    return this.messages.filter((m) => m.guildId === guildId);
  }

  /**
   * Emoji uses as the bot counts them (members only, never bots or webhooks), keyed
   * `${guildId}|${userId}|${emoji}|${source}`. Recorded from what the simulator chose to put in a message or
   * react with, never by parsing content (see sim/emoji-traffic.ts).
   */
  readonly emojiUses = new Map<string, number>();
  /** Application command uses keyed `${guildId}|${channelId}|${userId}|${applicationId}|${command}`. */
  readonly appUses = new Map<string, number>();

  /** The same uses by channel, keyed `${guildId}|${channelId}|${userId}|${emoji}|${source}` (threads keep their own id). */
  readonly channelEmojiUses = new Map<string, number>();

  recordEmojiUse(
    guildId: string,
    userId: string,
    emoji: string,
    source: 'message' | 'reaction',
    uses = 1,
    channelId?: string,
  ): void {
    const k = `${guildId}|${userId}|${emoji}|${source}`;
    this.emojiUses.set(k, (this.emojiUses.get(k) ?? 0) + uses);
    if (channelId !== undefined) {
      const c = `${guildId}|${channelId}|${userId}|${emoji}|${source}`;
      this.channelEmojiUses.set(c, (this.channelEmojiUses.get(c) ?? 0) + uses);
    }
  }

  /**
   * Mentions keyed `${guildId}|${userId}|${targetId}|${kind}` (kind member, role or everyone with target
   * '0'), as the mention driver chose them (mention-traffic.ts), never parsed from content.
   */
  readonly mentions = new Map<string, number>();

  recordMention(guildId: string, userId: string, targetId: string, kind: 'member' | 'role' | 'everyone'): void {
    const k = `${guildId}|${userId}|${targetId}|${kind}`;
    this.mentions.set(k, (this.mentions.get(k) ?? 0) + 1);
  }

  recordAppUse(guildId: string, channelId: string, userId: string, applicationId: string, command: string): void {
    const k = `${guildId}|${channelId}|${userId}|${applicationId}|${command}`;
    this.appUses.set(k, (this.appUses.get(k) ?? 0) + 1);
  }
}
