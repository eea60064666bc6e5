// What /stats server, /stats member, /stats channel and /me share: read the window, metric and filters,
// query every total as the sum of the series drawn with the same bucket (so the embed always equals the
// chart), leave bots out where asked, render the chart and answer with an embed.
import { AttachmentBuilder, EmbedBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { FAMILIES, type FamilyName } from '../../families.js';
import { messageActivity, messageAuthors, firstActivity } from '../../stats/activity.js';
import { familySeries, type Filter } from '../../stats/families.js';
import { BUCKET_MS } from '../../stats/period.js';
import type { Range, SeriesPoint } from '../../stats/queries.js';
import { CommandError, type CommandContext } from './context.js';
import { MAX_IDS_PER_REQUEST, memberInfo } from './names.js';
import { METRICS, parseMetric, parseWindow, type MetricName, type StatsWindow } from './options.js';

const EMBED_COLOR = 0x5865f2;

export interface ReportTarget {
  kind: 'server' | 'member' | 'channel';
  /** What the numbers are about: the server's, a member's or a channel's name. */
  title: string;
  filter: Filter;
  defaultMetric?: MetricName;
  /** Whether the `include_bots` option applies. */
  bots?: boolean;
}

/** "3h 12m 5s", "45s": how voice time reads in embeds. */
export function formatDuration(seconds: number): string {
  let s = Math.round(seconds);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', s || (!d && !h && !m) ? `${s}s` : ''];
  return parts.filter(Boolean).join(' ');
}

interface Field {
  name: string;
  family: FamilyName;
  column: string;
  duration?: boolean;
}

const F = {
  messages: { name: 'Messages', family: 'messages', column: 'messages' },
  words: { name: 'Words', family: 'messages', column: 'words' },
  attachments: { name: 'Attachments', family: 'messages', column: 'attachments' },
  voice: { name: 'Voice time', family: 'voice', column: 'seconds', duration: true },
  emojis: { name: 'Emojis', family: 'emojis', column: 'uses' },
  commands: { name: 'Commands', family: 'apps', column: 'uses' },
} as const satisfies Record<string, Field>;

function hasChannels(family: FamilyName): boolean {
  return (FAMILIES[family].dims as readonly string[]).includes('channel_id');
}

const sum = (points: SeriesPoint[]) => points.reduce((a, p) => a + p.v, 0);

export async function answerStats(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext, target: ReportTarget): Promise<void> {
  const metricName = parseMetric(i, target.defaultMetric);
  const metric = METRICS[metricName];
  const f = target.filter;
  if (f.channelId !== undefined && !hasChannels(metric.family)) {
    throw new CommandError(`${metric.label} are not recorded per channel; ask without a channel to see them.`);
  }
  const settings = ctx.settings.get(i.guildId);
  const timeZone = settings.timeZone;
  const window: StatsWindow = await parseWindow(i, timeZone, () => firstActivity(ctx.pool, metric.family, i.guildId, f));
  const range: Range = { guildId: i.guildId, from: window.from, to: window.to, timeZone };

  // Bots' messages are in the tables only where the guild's settings include them.
  const notes: string[] = [];
  let botIds: string[] = [];
  let botCheck: { checked: number; unresolved: number } | undefined;
  const askedBots = target.bots ? i.options.getBoolean('include_bots') : null;
  if (askedBots === true && !settings.includeBots) {
    notes.push("Bots' messages are not recorded in this server (its settings leave bots out), so these are members' numbers.");
  } else if (askedBots === false && settings.includeBots) {
    // Telling bots apart needs their member records: only the most active authors are looked up (one
    // gateway request at most, names.ts), and the note says how far the check went.
    const authors = await messageAuthors(ctx.pool, range, window.bucket, f, MAX_IDS_PER_REQUEST);
    const { info, unresolved } = await memberInfo(i.guild, authors);
    botIds = authors.filter((id) => info.get(id)?.bot);
    botCheck = { checked: authors.length - unresolved.length, unresolved: unresolved.length };
  } else if (settings.includeBots && target.bots) {
    notes.push("Bots' messages included (this server's settings record them).");
  }

  const fields: Field[] = [F.messages, F.words];
  if (target.kind !== 'member') fields.push(F.attachments);
  fields.push(F.voice);
  if (f.channelId === undefined) fields.push(F.emojis); // emojis are not counted per channel
  fields.push(F.commands);
  const chartField = fields.find((x) => x.family === metric.family && x.column === metric.column)!;

  const seriesOf = async (x: Field): Promise<SeriesPoint[]> => {
    const all = await familySeries(ctx.pool, x.family, x.column, range, window.bucket, f);
    if (x.family !== 'messages' || botIds.length === 0) return all;
    const bots = await Promise.all(botIds.map((userId) => familySeries(ctx.pool, x.family, x.column, range, window.bucket, { ...f, userId })));
    return all.map((p, k) => ({ t: p.t, v: p.v - bots.reduce((a, b) => a + (b[k]?.v ?? 0), 0) }));
  };
  const [series, activity] = await Promise.all([
    Promise.all(fields.map(seriesOf)),
    target.kind === 'member' ? undefined : messageActivity(ctx.pool, range, window.bucket, f),
  ]);
  const totals = new Map(fields.map((x, k) => [x, sum(series[k]!)]));
  const chart = series[fields.indexOf(chartField)]!;
  if (totals.get(chartField) === 0) {
    throw new CommandError(`Nothing recorded yet: no ${metric.label.toLowerCase()} for ${target.title} (${window.label}).`);
  }

  if (botCheck) {
    const authors = activity?.members ?? botCheck.checked + botCheck.unresolved;
    const complete = botCheck.unresolved === 0 && botCheck.checked >= authors;
    notes.push(
      complete
        ? `Bots left out (${botIds.length} with messages here).`
        : `Bots left out: ${botIds.length} found among the ${botCheck.checked} most active of ${authors} authors` +
            (botCheck.unresolved > 0 ? ` (${botCheck.unresolved} could not be checked right now)` : '') +
            '; others may still count.',
    );
  }

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
    .addFields(fields.map((x) => ({ name: x.name, value: x.duration ? formatDuration(totals.get(x)!) : String(totals.get(x)), inline: true })))
    .setImage(`attachment://${fileName}`)
    .setFooter({ text: [`Times in ${zoneNote}`, ...notes].join(' · ') });
  if (activity) {
    embed.addFields({ name: 'Active members', value: String(Math.max(0, activity.members - botIds.length)), inline: true });
    if (target.kind === 'server' && f.channelId === undefined) embed.addFields({ name: 'Active channels', value: String(activity.channels), inline: true });
  }
  await i.editReply({ embeds: [embed], files: [new AttachmentBuilder(Buffer.from(png), { name: fileName })] });
}
