// What every /stats subcommand and /me share: read the window, metric and filters,
// query every total as the sum of the series drawn with the same bucket (so the embed always equals the
// chart), count bots' messages or not (bot-scope.ts) and say which, render the chart and answer with an embed.
import { AttachmentBuilder, EmbedBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { FAMILIES, type FamilyName } from '../../families.js';
import { messageActivity, firstActivity } from '../../stats/activity.js';
import { familySeries, type Filter } from '../../stats/families.js';
import { mentionPartners } from '../../stats/mentions.js';
import { BUCKET_MS } from '../../stats/period.js';
import type { Range, SeriesPoint } from '../../stats/queries.js';
import { CommandError, type CommandContext } from './context.js';
import { botScope } from './bot-scope.js';
import { EMBED_COLOR } from './report.js';
import { formatDuration } from '../../format.js';
import { memberName } from './names.js';
import {
  METRICS,
  parseMetric,
  parseWindow,
  snowflakeOption,
  type MetricName,
  type MetricSpec,
  type StatsWindow,
} from './options.js';
import { assertMayViewMember } from './permissions.js';

export interface ReportTarget {
  kind: 'server' | 'member' | 'channel' | 'category';
  /** What the numbers are about: the server's, a member's or a channel's name. */
  title: string;
  filter: Filter;
  defaultMetric?: MetricName;
  /** Whether the `include_bots` option applies (and bots' messages are counted per the setting). */
  bots?: boolean;
  /** What the filter limits the answer to (role, category), for the footer. */
  notes?: string[];
}

export interface Field {
  name: string;
  family: FamilyName;
  column: string;
  duration?: boolean;
  /** Shown as this total per message ("Average length"), compared as such with the previous period. */
  perMessage?: boolean;
}

/** A chartable metric (options.ts METRICS) as an embed field. */
const field = (m: MetricSpec): Field => ({
  name: m.label,
  family: m.family,
  column: m.column,
  ...(m.format === 'duration' ? { duration: true } : {}),
});

/** The embed's fields: every chartable metric, and attachments (counted, not charted). */
const F = {
  messages: field(METRICS.messages),
  words: field(METRICS.words),
  attachments: { name: 'Attachments', family: 'messages', column: 'attachments' },
  length: { name: 'Average length', family: 'message_details', column: 'characters', perMessage: true },
  replies: { name: 'Replies', family: 'message_details', column: 'replies' },
  stickers: { name: 'Stickers', family: 'message_details', column: 'stickers' },
  embeds: { name: 'Embeds', family: 'message_details', column: 'embeds' },
  voice: field(METRICS.voice),
  emojis: field(METRICS.emojis),
  commands: field(METRICS.commands),
} as const satisfies Record<string, Field>;

/** Every field a server's report totals (the benchmarks ask the same queries). */
export const REPORT_FIELDS: readonly Field[] = Object.values(F);

function hasChannels(family: FamilyName): boolean {
  return (FAMILIES[family].dims as readonly string[]).includes('channel_id');
}

const sum = (points: SeriesPoint[]) => points.reduce((a, p) => a + p.v, 0);

/** "+12 %", "−5 %", "±0 %"; "new" when there was nothing before, "none either" when there is nothing in both. */
export function changeOf(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'none either' : 'new';
  const pct = Math.round(((now - before) / before) * 100);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct)} %`;
}

/** An average with one decimal ("12.5"), whole numbers without ("12"). */
function average(v: number): string {
  return Number.isInteger(Math.round(v * 10) / 10) ? String(Math.round(v)) : (Math.round(v * 10) / 10).toFixed(1);
}

/** A total per message (0 without messages). */
const perMessage = (total: number, messages: number) => (messages === 0 ? 0 : total / messages);

/** How a field's total reads in the embed: a duration, an average per message, or the number. */
function shown(x: Field, total: number, messages: number): string {
  if (x.duration) return formatDuration(total);
  if (x.perMessage) return messages === 0 ? '—' : `${average(perMessage(total, messages))} characters`;
  return String(total);
}

export async function answerStats(
  i: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  target: ReportTarget,
): Promise<void> {
  const metricName = parseMetric(i, target.defaultMetric);
  const metric = METRICS[metricName];
  const perChannel = target.filter.channelId !== undefined || target.filter.categoryId !== undefined;
  if (perChannel && !hasChannels(metric.family)) {
    throw new CommandError(
      `${metric.label} are not recorded per channel; ask without a channel or category to see them.`,
    );
  }
  const settings = ctx.settings.get(i.guildId);
  const timeZone = settings.timeZone;
  const window: StatsWindow = await parseWindow(i, timeZone, () =>
    firstActivity(ctx.pool, metric.family, i.guildId, target.filter),
  );
  const range: Range = { guildId: i.guildId, from: window.from, to: window.to, timeZone };

  const notes: string[] = [...(target.notes ?? [])];
  let f = target.filter;
  if (target.bots) {
    const bots = await botScope(ctx.pool, range, window.bucket, f, {
      settingOn: settings.includeBots,
      asked: i.options.getBoolean('include_bots'),
    });
    f = bots.filter;
    if (bots.note) notes.push(bots.note);
  }

  const fields: Field[] = [F.messages, F.words];
  if (target.kind !== 'member') fields.push(F.attachments);
  fields.push(F.length, F.replies, F.stickers, F.embeds, F.voice);
  if (!perChannel) fields.push(F.emojis); // emojis are not counted per channel
  fields.push(F.commands);
  // Characters are charted as totals; the embed shows them per message.
  const chartField = fields.find((x) => x.family === metric.family && x.column === metric.column)!;

  const [series, activity, partners] = await Promise.all([
    Promise.all(fields.map((x) => familySeries(ctx.pool, x.family, x.column, range, window.bucket, f))),
    target.kind === 'member' ? undefined : messageActivity(ctx.pool, range, window.bucket, f),
    target.kind === 'member' && f.userId !== undefined ? mentionPartners(ctx.pool, range, f.userId) : undefined,
  ]);
  const totals = new Map(fields.map((x, k) => [x, sum(series[k]!)]));
  const chart = series[fields.indexOf(chartField)]!;
  // The previous period of the same length, ending where this one's first bucket starts (all time has none).
  const start = chart[0]?.t ?? window.from.getTime();
  const span = window.to.getTime() - start;
  const previous =
    window.label === 'all time'
      ? undefined
      : await Promise.all(
          fields.map((x) =>
            familySeries(
              ctx.pool,
              x.family,
              x.column,
              { ...range, from: new Date(start - span), to: new Date(start) },
              window.bucket,
              f,
            ).then(sum),
          ),
        );
  if (totals.get(chartField) === 0) {
    throw new CommandError(
      `Nothing recorded yet: no ${metric.label.toLowerCase()} for ${target.title} (${window.label}).`,
    );
  }

  const messagesNow = totals.get(F.messages)!;
  const zoneNote = timeZone === 'UTC' ? 'UTC' : timeZone;
  const png = await ctx.render.render({
    kind: 'line',
    title: `${target.title}: ${metric.label.toLowerCase()}`,
    subtitle: `${window.label}, per ${window.bucket} (${zoneNote})`,
    timeZone,
    bucketMs: BUCKET_MS[window.bucket],
    valueFormat: metric.format,
    series: [{ name: metric.label, points: chart }],
  });
  const fileName = `stats-${target.kind}.png`;
  const embed = new EmbedBuilder()
    .setColor(EMBED_COLOR)
    .setTitle(`${target.title}: ${window.label}`)
    .addFields(fields.map((x) => ({ name: x.name, value: shown(x, totals.get(x)!, messagesNow), inline: true })))
    .setImage(`attachment://${fileName}`)
    .setFooter({ text: [`Times in ${zoneNote}`, ...notes].join(' · ') });
  if (partners) {
    // Mentions as Discord renders them in an embed: names, and nobody is pinged.
    const list = (rows: { key: string; value: number }[]) =>
      rows.length ? rows.map((r) => `<@${r.key}> — ${r.value}`).join('\n') : 'Nobody';
    embed.addFields(
      { name: 'Mentioned most by', value: list(partners.by), inline: true },
      { name: 'Mentions most', value: list(partners.of), inline: true },
    );
  }
  if (previous) {
    embed.addFields({
      name: window.label.startsWith('last ')
        ? `Change vs the previous ${window.label.slice(5)}`
        : 'Change vs the same length before',
      value: fields
        .map(
          (x, k) =>
            `${x.name}: ${x.perMessage ? changeOf(perMessage(totals.get(x)!, messagesNow), perMessage(previous[k]!, previous[fields.indexOf(F.messages)]!)) : changeOf(totals.get(x)!, previous[k]!)}`,
        )
        .join('\n'),
    });
  }
  // Averages: per day (over windows of a day or more) and per active member.
  const messages = totals.get(F.messages) ?? 0;
  const days = span / 86_400_000;
  if (days >= 1) embed.addFields({ name: 'Messages per day', value: average(messages / days), inline: true });
  if (activity && activity.members > 0)
    embed.addFields({ name: 'Messages per active member', value: average(messages / activity.members), inline: true });
  if (activity) {
    embed.addFields({ name: 'Active members', value: String(activity.members), inline: true });
    if ((target.kind === 'server' && f.channelId === undefined) || target.kind === 'category')
      embed.addFields({ name: 'Active channels', value: String(activity.channels), inline: true });
  }
  await i.editReply({ embeds: [embed], files: [new AttachmentBuilder(Buffer.from(png), { name: fileName })] });
}

/**
 * /stats member [member] and /me: one member's activity over time. Discord's policy decides who may see whose
 * (permissions.ts); the check comes before any query, and a refusal is ephemeral (CommandError).
 */
export async function memberStats(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const userId = snowflakeOption(interaction, 'member') ?? interaction.user.id;
  assertMayViewMember(interaction, userId, ctx.settings.get(interaction.guildId).memberStatsManagersOnly);
  const title =
    userId === interaction.user.id ? interaction.member.displayName : await memberName(interaction.guild, userId);
  await answerStats(interaction, ctx, { kind: 'member', title, filter: { userId } });
}
