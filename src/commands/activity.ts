// /activity: when the server is active, as an hour-of-day × weekday heatmap in the guild's time zone.
import { ChannelType, InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { FamilyName } from '../families.js';
import { heatmap } from '../stats/families.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext, quoted } from './framework/context.js';
import { botScope } from './framework/bot-scope.js';
import { parseScope } from './framework/filters.js';
import { formatDuration, formatNumber } from '../format.js';
import { periodOption, resolvePeriod } from './framework/period.js';
import { replyWithChart, reportEmbed } from './framework/report.js';
import { fromDateOption, toDateOption } from './framework/options.js';

const METRICS = {
  messages: { family: 'messages', metric: 'messages', label: 'Messages', duration: false },
  words: { family: 'messages', metric: 'words', label: 'Words', duration: false },
  voice: { family: 'voice', metric: 'seconds', label: 'Voice time', duration: true },
  emojis: { family: 'emojis', metric: 'uses', label: 'Emoji uses', duration: false },
  commands: { family: 'apps', metric: 'uses', label: 'Command uses', duration: false },
} as const satisfies Record<string, { family: FamilyName; metric: string; label: string; duration: boolean }>;

type MetricName = keyof typeof METRICS;

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const hour = (h: number) => `${String(h).padStart(2, '0')}:00`;

async function activity(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '30d');
  const name = i.options.getString('metric') ?? 'messages';
  // Own keys only: "constructor" must not find Object.prototype's.
  if (!Object.hasOwn(METRICS, name))
    throw new CommandError(`Unknown metric ${quoted(name)}. Choose one of: ${Object.keys(METRICS).join(', ')}.`);
  const m = METRICS[name as MetricName];
  const scope = await parseScope(i, ctx);
  if (scope.filter.categoryId !== undefined && m.family === 'emojis')
    throw new CommandError('Emoji uses are not recorded per channel; ask without a category to see them.');
  // Bots' messages count as the guild's settings say now (framework/bot-scope.ts).
  const bots =
    m.family === 'messages'
      ? await botScope(ctx.pool, p.range, 'hour', scope.filter, {
          settingOn: ctx.settings.get(i.guildId).includeBots,
          asked: null,
        })
      : { filter: scope.filter };
  const cells = await heatmap(ctx.pool, m.family, m.metric, p.range, bots.filter);
  const total = cells.flat().reduce((a, b) => a + b, 0);
  if (total === 0) throw new CommandError(`Nothing recorded for ${m.label.toLowerCase()} ${p.during} yet.`);
  const fmt = (v: number) => (m.duration ? formatDuration(v) : formatNumber(v));
  const byDay = cells.map((row) => row.reduce((a, b) => a + b, 0));
  const byHour = Array.from({ length: 24 }, (_, h) => cells.reduce((a, row) => a + row[h]!, 0));
  const peakDay = byDay.indexOf(Math.max(...byDay));
  const peakHour = byHour.indexOf(Math.max(...byHour));
  let peak = { d: 0, h: 0, v: -1 };
  cells.forEach((row, d) => row.forEach((v, h) => v > peak.v && (peak = { d, h, v })));
  const zone = p.range.timeZone ?? 'UTC';
  const about = [
    `${p.label}, times in ${zone}`,
    ...scope.notes,
    ...('note' in bots && bots.note ? [bots.note] : []),
  ].join('. ');
  const embed = reportEmbed(`${i.guild.name}: ${m.label.toLowerCase()} by hour and weekday`, about).addFields(
    { name: m.label, value: fmt(total), inline: true },
    { name: 'Busiest day', value: `${WEEKDAYS[peakDay]} (${fmt(byDay[peakDay]!)})`, inline: true },
    {
      name: 'Busiest hour',
      value: `${hour(peakHour)}–${hour((peakHour + 1) % 24)} (${fmt(byHour[peakHour]!)})`,
      inline: true,
    },
    { name: 'Busiest slot', value: `${WEEKDAYS[peak.d]} ${hour(peak.h)} (${fmt(peak.v)})`, inline: true },
  );
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'heatmap',
      title: `${i.guild.name}: ${m.label.toLowerCase()} by hour and weekday`,
      subtitle: `${p.label}, ${zone}`,
      cells,
      valueFormat: m.duration ? 'duration' : 'number',
    },
    embed,
    'activity',
  );
}

export const activityCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('activity')
    .setDescription('When this server is active: hour of day by weekday')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(periodOption('30d'))
    .addStringOption((o) =>
      o
        .setName('metric')
        .setDescription('What to count (default messages)')
        .addChoices(...Object.entries(METRICS).map(([value, x]) => ({ name: x.label, value }))),
    )
    .addStringOption(fromDateOption)
    .addStringOption(toDateOption)
    .addRoleOption((o) => o.setName('role').setDescription('Only members who hold this role now'))
    .addChannelOption((o) =>
      o
        .setName('category')
        .setDescription('Only channels in this category (their threads included)')
        .addChannelTypes(ChannelType.GuildCategory),
    )
    .toJSON(),
  handlers: { '': activity },
};
