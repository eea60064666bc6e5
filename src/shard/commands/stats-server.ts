// /stats server: totals and a messages-over-time chart for the guild.
import { AttachmentBuilder, EmbedBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { BUCKET_MS, PERIODS, isPeriod } from '../../stats/period.js';
import { messageSeries, messageTotals } from '../../stats/queries.js';
import { CommandError, type CommandContext } from './context.js';

const EMBED_COLOR = 0x5865f2;

export async function statsServer(interaction: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const period = interaction.options.getString('period') ?? '24h';
  if (!isPeriod(period)) {
    throw new CommandError(`Unknown period "${period}". Choose one of: ${Object.keys(PERIODS).join(', ')}.`);
  }
  const { ms, bucket } = PERIODS[period];
  const to = new Date(Date.now() + 60_000); // include the current, still open minute
  const timeZone = ctx.settings.get(interaction.guildId).timeZone;
  const range = { guildId: interaction.guildId, from: new Date(to.getTime() - ms), to, timeZone };
  const [totals, series] = await Promise.all([messageTotals(ctx.pool, range, bucket), messageSeries(ctx.pool, range, bucket)]);
  if (totals.messages === 0) {
    throw new CommandError(`Nothing recorded in this server in the last ${period} yet.`);
  }
  const name = interaction.guild.name;
  const png = await ctx.render.render({
    kind: 'line',
    title: `${name}: messages`,
    subtitle: `last ${period}, per ${bucket}`,
    timeZone,
    bucketMs: BUCKET_MS[bucket],
    series: [{ name: 'Messages', points: series }],
  });
  const file = new AttachmentBuilder(png, { name: 'stats-server.png' });
  const embed = new EmbedBuilder()
    .setColor(EMBED_COLOR)
    .setTitle(`${name}: last ${period}`)
    .addFields(
      { name: 'Messages', value: totals.messages.toString(), inline: true },
      { name: 'Words', value: totals.words.toString(), inline: true },
      { name: 'Attachments', value: totals.attachments.toString(), inline: true },
      { name: 'Active members', value: totals.members.toString(), inline: true },
      { name: 'Active channels', value: totals.channels.toString(), inline: true },
    )
    .setImage('attachment://stats-server.png');
  await interaction.editReply({ embeds: [embed], files: [file] });
}
