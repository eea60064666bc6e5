// /growth: members joining and leaving over time (bots excluded: they are not community growth). The
// totals are the sums of the series drawn, so the embed always equals the chart.
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { BUCKET_MS } from '../stats/period.js';
import { memberGrowth } from '../stats/members.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { formatNumber } from '../format.js';
import { chartRange, periodOption, resolvePeriod } from './framework/period.js';
import { replyWithChart, reportEmbed } from './framework/report.js';
import { fromDateOption, toDateOption } from './framework/options.js';

const signed = (n: number) => (n > 0 ? `+${formatNumber(n)}` : formatNumber(n));

async function growth(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '30d');
  const points = await memberGrowth(ctx.pool, chartRange(i, p), p.bucket);
  const joins = points.reduce((a, g) => a + g.joins, 0);
  const leaves = points.reduce((a, g) => a + g.leaves, 0);
  if (joins === 0 && leaves === 0)
    throw new CommandError(`No member joined or left ${p.during} (since the bot is here).`);
  // All time starts where the bot joined, which may be long before anything it recorded: start the chart at
  // the first day with a join or leave (keeping a week, so a new server still gets a line, not a dot).
  const first = points.findIndex((g) => g.joins > 0 || g.leaves > 0);
  const shown = p.name === 'all' ? points.slice(Math.max(0, Math.min(first, points.length - 7))) : points;
  const zone = p.range.timeZone ?? 'UTC';
  const embed = reportEmbed(
    `${i.guild.name}: member growth`,
    `${p.label}, per ${p.bucket}, times in ${zone}`,
  ).addFields(
    { name: 'Joins', value: formatNumber(joins), inline: true },
    { name: 'Leaves', value: formatNumber(leaves), inline: true },
    { name: 'Net', value: signed(joins - leaves), inline: true },
  );
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'line',
      title: `${i.guild.name}: member growth`,
      subtitle: `${p.label}, per ${p.bucket} (${zone})`,
      timeZone: zone,
      bucketMs: BUCKET_MS[p.bucket],
      series: [
        { name: 'Joins', points: shown.map((g) => ({ t: g.t, v: g.joins })), color: '#57f287' },
        { name: 'Leaves', points: shown.map((g) => ({ t: g.t, v: g.leaves })), color: '#ed4245' },
        { name: 'Net', points: shown.map((g) => ({ t: g.t, v: g.net })), color: '#5865f2' },
      ],
    },
    embed,
    'growth',
  );
}

export const growthCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('growth')
    .setDescription('Members joining and leaving over time')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(periodOption('30d'))
    .addStringOption(fromDateOption)
    .addStringOption(toDateOption)
    .toJSON(),
  handlers: { '': growth },
};
