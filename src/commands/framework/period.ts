// The `period` option of the per-family commands (/top, /emojis, /voice, /activity, /growth, /invites, /apps,
// /retention) and the range it means in the guild's time zone.
import type { ChatInputCommandInteraction, SlashCommandStringOption } from 'discord.js';
import { DISCORD_EPOCH_MS } from '../../families.js';
import { PERIODS, type Bucket } from '../../stats/period.js';
import type { Range } from '../../stats/queries.js';
import { CommandError, type CommandContext, quoted } from './context.js';
import { dateRangeOption } from './options.js';

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
