// What the per-family commands (/top, /emojis, /voice, /activity, /growth, /invites, /apps) share: the
// period option and the range it means in the guild's zone, member display names fetched by id (the bot
// keeps no member cache), emoji labels, durations, ranked embed lines and the chart reply.
import {
  AttachmentBuilder,
  EmbedBuilder,
  type ChatInputCommandInteraction,
  type Guild,
  type SlashCommandStringOption,
} from 'discord.js';
import type { ChartSpec } from '../../render/spec.js';
import { PERIODS, type Bucket } from '../../stats/period.js';
import type { Range } from '../../stats/queries.js';
import { CommandError, type CommandContext, quoted } from './context.js';
import { memberInfo } from './names.js';
import { dateRangeOption } from './options.js';
import { displayEmoji } from '../../emoji.js';
import { DISCORD_EPOCH_MS } from '../../families.js';
import { emojiNames } from '../../stats/emoji-names.js';
import { formatNumber } from '../../format.js';

export { formatDuration, formatNumber } from '../../format.js';

export const EMBED_COLOR = 0x5865f2;

/** Lookbacks offered by these commands: src/stats/period.ts's (length and bucket), with their labels. */
export const REPORT_PERIODS = {
  '24h': { ...PERIODS['24h'], label: 'last 24 hours' },
  '7d': { ...PERIODS['7d'], label: 'last 7 days' },
  '30d': { ...PERIODS['30d'], label: 'last 30 days' },
  '90d': { ...PERIODS['90d'], label: 'last 90 days' },
  '1y': { ...PERIODS['1y'], label: 'last 12 months' },
  all: { ms: Number.POSITIVE_INFINITY, bucket: 'day', label: 'all time' },
} as const satisfies Record<string, { ms: number; bucket: Bucket; label: string }>;

export type ReportPeriod = keyof typeof REPORT_PERIODS;

/** The `period` option with the standard choices: `.addStringOption(periodOption('7d'))`. */
export function periodOption(defaultPeriod: ReportPeriod): (o: SlashCommandStringOption) => SlashCommandStringOption {
  return (o) =>
    o
      .setName('period')
      .setDescription(`How far back to look (default ${defaultPeriod})`)
      .addChoices(...Object.entries(REPORT_PERIODS).map(([value, p]) => ({ name: p.label, value })));
}

export interface ResolvedPeriod {
  /** 'dates' for a `from`/`to` calendar range (on commands that offer one, addDateRangeOptions). */
  name: ReportPeriod | 'dates';
  label: string;
  /** "in the last 30 days", "on 2026-03-29", "from 2026-03-01 to 2026-03-07", "since 2026-03-01". */
  during: string;
  bucket: Bucket;
  range: Range;
}

/**
 * The `period` option (or, where the command offers them, `from`/`to` dates) as a range in the guild's
 * time zone; a period ends now (the open minute included).
 */
export function resolvePeriod(
  i: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  defaultPeriod: ReportPeriod,
): ResolvedPeriod {
  const timeZone = ctx.settings.get(i.guildId).timeZone;
  const dates = dateRangeOption(i, timeZone);
  if (dates) {
    const during = dates.label.startsWith('since')
      ? dates.label
      : dates.label.includes(' to ')
        ? `from ${dates.label}`
        : `on ${dates.label}`;
    return {
      name: 'dates',
      label: dates.label,
      during,
      bucket: dates.bucket,
      range: { guildId: i.guildId, from: dates.from, to: dates.to, timeZone },
    };
  }
  const name = i.options.getString('period') ?? defaultPeriod;
  if (!Object.hasOwn(REPORT_PERIODS, name)) {
    throw new CommandError(`Unknown period ${quoted(name)}. Choose one of: ${Object.keys(REPORT_PERIODS).join(', ')}.`);
  }
  const p = REPORT_PERIODS[name as ReportPeriod];
  const to = new Date(Date.now() + 60_000);
  const from = new Date(Number.isFinite(p.ms) ? to.getTime() - p.ms : DISCORD_EPOCH_MS);
  const during = name === 'all' ? 'so far' : `in the ${p.label}`;
  return {
    name: name as ReportPeriod,
    label: p.label,
    during,
    bucket: p.bucket,
    range: { guildId: i.guildId, from, to, timeZone },
  };
}

/**
 * For a time chart: 'all' starts where the bot joined the guild (at most a day ago), not at Discord's
 * epoch, so the chart is not years of empty days. Only for data the bot records live (member events).
 */
export function chartRange(i: ChatInputCommandInteraction<'cached'>, p: ResolvedPeriod): Range {
  if (p.name !== 'all') return p.range;
  // A gateway guild carries joined_at; a REST-fetched one (interactions service) has the bot's own member.
  const joined = i.guild.joinedTimestamp ?? i.guild.members.me?.joinedTimestamp ?? DISCORD_EPOCH_MS;
  return {
    ...p.range,
    from: new Date(Math.max(DISCORD_EPOCH_MS, Math.min(joined, p.range.to.getTime() - 86_400_000))),
  };
}

/** Display names by id; `unresolved` are the ids whose names could not be looked up this time. */
export class MemberNames extends Map<string, string> {
  readonly unresolved = new Set<string>();
}

/** Said under an answer whose member names are partly missing. */
export const PARTIAL_NAMES_NOTE =
  'Some member names could not be fetched right now (Discord limits how fast a bot may ask) and show as ids.';

/**
 * Display names of present members by id (names.ts fetches them over the gateway within Discord's limits
 * and caches them briefly). Former members are missing from the map, ids not looked up now are in
 * `unresolved`; see memberLabel. Pass ids most important first: only the first 100 are fetched.
 */
export async function memberNames(guild: Guild, ids: readonly string[], ctx: CommandContext): Promise<MemberNames> {
  const out = new MemberNames();
  if (ids.length === 0) return out;
  try {
    const { info, unresolved } = await memberInfo(guild, ids);
    for (const [id, m] of info) if (m.present) out.set(id, m.name);
    for (const id of unresolved) out.unresolved.add(id);
  } catch (err) {
    // A slow or failed member request must not cost the answer: the ids are shown instead.
    ctx.logger.warn({ err, guild: guild.id }, 'could not fetch member names');
    for (const id of ids) out.unresolved.add(id);
  }
  return out;
}

export function memberLabel(names: MemberNames, id: string): string {
  return names.get(id) ?? (names.unresolved.has(id) ? `Member ${id}` : `Unknown member (${id})`);
}

/** The embed says so when some names are missing (PARTIAL_NAMES_NOTE). */
export function notePartialNames(embed: EmbedBuilder, names: MemberNames): EmbedBuilder {
  if (names.unresolved.size === 0) return embed;
  return embed.setFooter({ text: [embed.data.footer?.text, PARTIAL_NAMES_NOTE].filter(Boolean).join(' · ') });
}

const SNOWFLAKE = /^\d{17,20}$/;

export type EmojiLabeler = (key: string) => { chart: string; embed: string };

/**
 * How emoji keys (custom emoji ids or unicode sequences) are written, chart text and embed markdown. A
 * custom emoji the guild does not have (another server's, used with Nitro, or one deleted since) is named
 * as messages last showed it (emoji_names), or said to be not in this server: never "deleted".
 */
export async function emojiLabeler(guild: Guild, ctx: CommandContext, keys: readonly string[]): Promise<EmojiLabeler> {
  const foreign = [...new Set(keys)].filter((k) => SNOWFLAKE.test(k) && !guild.emojis.cache.get(k)?.name);
  let names = new Map<string, { name: string; animated: boolean }>();
  try {
    names = await emojiNames(ctx.pool, foreign);
  } catch (err) {
    // Names are for display: the answer goes out with ids rather than not at all.
    ctx.logger.warn({ err, guild: guild.id }, 'could not read emoji names');
  }
  return (key) => {
    if (!SNOWFLAKE.test(key)) {
      const shown = displayEmoji(key);
      return { chart: shown, embed: shown };
    }
    const e = guild.emojis.cache.get(key);
    if (e?.name) return { chart: `:${e.name}:`, embed: `<${e.animated ? 'a' : ''}:${e.name}:${key}>` };
    const known = names.get(key);
    if (known) return { chart: `:${known.name}:`, embed: `:${known.name}: (not in this server)` };
    // Seen before names were kept: from another server, or deleted from this one; either way not here.
    return { chart: `emoji ${key}`, embed: `Emoji not in this server (${key})` };
  };
}

/** "1 message", "2 messages", "1,204 joins": a count with its noun, singular for exactly one. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(n)} ${n === 1 ? singular : plural}`;
}

/** Embed lines "`1.` label — value", cut to Discord's 1024-character field limit. */
export function rankLines(rows: { label: string; value: string }[], empty = 'Nothing yet'): string {
  const lines: string[] = [];
  let length = 0;
  for (const [i, r] of rows.entries()) {
    const line = `\`${i + 1}.\` ${r.label} — ${r.value}`;
    if (length + line.length + 1 > 1000) break;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.length > 0 ? lines.join('\n') : empty;
}

/** Items joined by spaces up to the field limit, with "and N more" for the rest. */
export function listField(items: string[], empty: string): string {
  if (items.length === 0) return empty;
  const out: string[] = [];
  let length = 0;
  for (const [i, it] of items.entries()) {
    const rest = items.length - i;
    if (length + it.length + 1 > 980) return `${out.join(' ')} … and ${rest} more`;
    out.push(it);
    length += it.length + 1;
  }
  return out.join(' ');
}

export function reportEmbed(title: string, subtitle: string): EmbedBuilder {
  return new EmbedBuilder().setColor(EMBED_COLOR).setTitle(title).setDescription(subtitle);
}

/** Renders the chart and answers with the embed and the PNG it shows. */
export async function replyWithChart(
  i: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  spec: ChartSpec,
  embed: EmbedBuilder,
  fileName: string,
): Promise<void> {
  const png = await ctx.render.render(spec);
  const file = new AttachmentBuilder(png, { name: `${fileName}.png` });
  embed.setImage(`attachment://${fileName}.png`);
  await i.editReply({ embeds: [embed], files: [file] });
}
