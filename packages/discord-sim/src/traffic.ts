// Realistic chat traffic: who talks where and what they say. Busy guilds and channels get most of the
// messages (skewed weights), a few messages come from bots and webhooks, some carry attachments or emojis.
import { COMMON_UNICODE } from './emoji.js';
import { Rng } from './rng.js';
import { ChannelKind, type SimChannel, type SimGuild, type SimMember, type World } from './world.js';

const WORDS = (
  'the a to and of is it you that in i for this on with be are was have just not so but what like lol do ' +
  'can we my your all if about get one they yeah no yes ok anyone know think good new game time play today ' +
  'server bot update release build bug fix tonight stream music song vibes meme link check out thanks thx ' +
  'gg wp nice cool awesome wow omg honestly maybe probably tomorrow weekend raid match patch map team queue'
).split(' ');
const URLS = ['https://example.com/cat.gif', 'https://youtu.be/dQw4w9WgXcQ', 'https://github.com/discordjs/discord.js'];

export interface TrafficOptions {
  messages: number;
  /** Messages per second; unset = as fast as the sockets drain. */
  ratePerSec?: number;
  guildIds?: string[];
  seed?: number;
  onProgress?: (sent: number) => void;
  /** Spread the messages' creation times over the last historyMs instead of now (see HistoryClock). */
  historyMs?: number;
}

/**
 * Creation times for backdated traffic: spread over [start - historyMs, start) with a daily rhythm
 * (busy evenings, quiet nights in UTC) so that charts of a demo's history look like a real server's.
 */
export class HistoryClock {
  private readonly rng: Rng;

  constructor(
    private readonly historyMs: number,
    private readonly start: number,
    seed: number,
  ) {
    this.rng = new Rng(seed ^ 0x7157);
  }

  next(): number {
    for (;;) {
      const t = this.start - this.historyMs * this.rng.next();
      const hour = (t / 3_600_000) % 24;
      // Activity peaks around 20:00 and bottoms out around 08:00.
      const weight = 0.55 + 0.45 * Math.cos(((hour - 20) / 24) * 2 * Math.PI);
      if (this.rng.next() < weight) return Math.floor(t);
    }
  }
}

export interface TrafficSummary {
  sent: number;
  humans: number;
  bots: number;
  webhooks: number;
  withAttachments: number;
  durationMs: number;
}

export interface PlannedMessage {
  guildId: string;
  channelId: string;
  authorId: string;
  content: string;
  attachments: number;
  webhook: boolean;
  kind: 'human' | 'bot' | 'webhook';
  /** Keys of the emojis put into a member's content (ground truth for the emoji counts). */
  emojis: string[];
  /** Stickers and rich embeds the message carries (bots' messages embed, members' send stickers). */
  stickers: number;
  embeds: number;
  /** Reply to the channel's previous message (the sender resolves it), pinging its author or not. */
  reply?: { ping: boolean };
}

interface GuildPlan {
  guild: SimGuild;
  channels: SimChannel[];
  channelWeights: number[];
  humans: SimMember[];
  humanWeights: number[];
  bots: SimMember[];
}

/** Cumulative Zipf-like weights: rank r gets 1/(r+1)^s. */
function zipf(n: number, s: number): number[] {
  const out: number[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) out.push((acc += 1 / Math.pow(i + 1, s)));
  return out;
}

function weighted<T>(rng: Rng, items: T[], cumulative: number[]): T {
  const x = rng.next() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return items[lo]!;
}

export class TrafficPlanner {
  private readonly rng: Rng;
  /** Draws for stickers, embeds and replies apart from the chat's, so a seed's chat stays what it was. */
  private readonly details: Rng;
  private readonly plans: GuildPlan[];
  private readonly guildWeights: number[];

  constructor(world: World, seed: number, guildIds?: string[]) {
    this.rng = new Rng(seed);
    this.details = new Rng(seed ^ 0x57e1);
    const ids = guildIds ?? [...world.guilds.keys()];
    this.plans = ids.map((id) => {
      const guild = world.guild(id);
      if (!guild) throw new Error(`unknown guild ${id}`);
      const channels = [...world.textChannels(id), ...world.threads(id)];
      const humans = world.humanMembers(id);
      return {
        guild,
        channels,
        channelWeights: zipf(channels.length, 1),
        humans,
        humanWeights: zipf(humans.length, 1.1),
        bots: world.botMembers(id),
      };
    });
    this.guildWeights = zipf(this.plans.length, 0.8);
  }

  next(): PlannedMessage {
    const rng = this.rng;
    const plan = weighted(rng, this.plans, this.guildWeights);
    const guildId = plan.guild.id;
    const roll = rng.next();
    if (roll < 0.02) {
      const wh = plan.guild.webhook;
      return {
        guildId,
        channelId: wh.channelId,
        authorId: wh.id,
        content: `[${rng.pick(['main', 'dev'])}] ${rng.int(1, 9)} new commit${rng.chance(0.5) ? 's' : ''}`,
        attachments: 0,
        webhook: true,
        kind: 'webhook',
        emojis: [],
        stickers: 0,
        embeds: 0,
      };
    }
    const channel = weighted(rng, plan.channels, plan.channelWeights);
    if (roll < 0.07 && plan.bots.length) {
      const bot = rng.pick(plan.bots);
      return {
        guildId,
        channelId: channel.id,
        authorId: bot.user.id,
        content: this.sentence(plan, 3, 12, []),
        attachments: 0,
        webhook: false,
        kind: 'bot',
        emojis: [],
        ...this.detailsOf('bot'),
      };
    }
    const author = weighted(rng, plan.humans, plan.humanWeights);
    const attachments = rng.chance(0.08) ? rng.int(1, 3) : 0;
    const emojis: string[] = [];
    const content =
      attachments && rng.chance(0.4)
        ? ''
        : this.sentence(plan, 1, channel.type === ChannelKind.PublicThread ? 40 : 25, emojis);
    return {
      guildId,
      channelId: channel.id,
      authorId: author.user.id,
      content,
      attachments,
      webhook: false,
      kind: 'human',
      emojis,
      ...this.detailsOf('human'),
    };
  }

  /** Bots embed often; members now and then send a sticker, get a link preview or reply (pinging or not). */
  private detailsOf(kind: 'human' | 'bot'): Pick<PlannedMessage, 'stickers' | 'embeds' | 'reply'> {
    const d = this.details;
    const stickers = kind === 'human' && d.chance(0.04) ? d.int(1, 3) : 0;
    const embeds = d.chance(kind === 'bot' ? 0.5 : 0.03) ? d.int(1, 2) : 0;
    const reply = kind === 'human' && d.chance(0.12) ? { ping: d.chance(0.6) } : undefined;
    return reply ? { stickers, embeds, reply } : { stickers, embeds };
  }

  /** Random chat; the keys of the emojis it contains are pushed to `emojis`. */
  private sentence(plan: GuildPlan, min: number, max: number, emojis: string[]): string {
    const rng = this.rng;
    const n = rng.int(min, max);
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = rng.next();
      if (r < 0.03 && plan.guild.emojis.length) {
        const e = rng.pick(plan.guild.emojis);
        words.push(`<${e.animated ? 'a' : ''}:${e.name}:${e.id}>`);
        emojis.push(e.id);
      } else if (r < 0.05) {
        const e = rng.pick(COMMON_UNICODE);
        words.push(e.text);
        emojis.push(e.key);
      } else if (r < 0.06) words.push(rng.pick(URLS));
      else if (r < 0.07) words.push(`<@${rng.pick(plan.humans).user.id}>`);
      else words.push(rng.pick(WORDS));
    }
    let s = words.join(' ');
    if (rng.chance(0.05)) s = s.replace(' ', '\n');
    if (rng.chance(0.1)) s = `  ${s}\t`;
    return s;
  }
}
