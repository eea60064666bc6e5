// /stats server: the whole guild, or one of its channels (threads included), over a window.
import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './framework/context.js';
import { parseScope } from './framework/filters.js';
import { channelNames } from './framework/names.js';
import { snowflakeOption } from './framework/options.js';
import { answerStats } from './framework/stats-report.js';

export async function statsServer(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const channelId = snowflakeOption(interaction, 'channel');
  const title = channelId
    ? `${interaction.guild.name} ${(await channelNames(ctx.pool, interaction.guild, [channelId])).get(channelId)!.name}`
    : interaction.guild.name;
  const scope = await parseScope(interaction, ctx);
  await answerStats(interaction, ctx, {
    kind: 'server',
    title,
    filter: { ...(channelId ? { channelId } : {}), ...scope.filter },
    bots: true,
    notes: scope.notes,
  });
}
