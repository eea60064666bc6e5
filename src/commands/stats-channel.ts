// /stats channel [channel]: one channel (default: where the command is used); a text channel's or a
// forum's threads count towards it. Voice channels chart voice time unless another metric is asked for.
import { ChannelType, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './framework/context.js';
import { parseScope } from './framework/filters.js';
import { channelNames } from './framework/names.js';
import { snowflakeOption } from './framework/options.js';
import { answerStats } from './framework/stats-report.js';

export async function statsChannel(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const channelId = snowflakeOption(interaction, 'channel') ?? interaction.channelId;
  const channel = interaction.guild.channels.cache.get(channelId);
  const voice = channel?.type === ChannelType.GuildVoice || channel?.type === ChannelType.GuildStageVoice;
  const scope = await parseScope(interaction, ctx);
  const title = (await channelNames(ctx.pool, interaction.guild, [channelId])).get(channelId)!.name;
  await answerStats(interaction, ctx, {
    kind: 'channel',
    title,
    filter: { channelId, ...scope.filter },
    notes: scope.notes,
    defaultMetric: voice ? 'voice' : 'messages',
    bots: true,
  });
}
