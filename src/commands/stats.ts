// /stats server | member | channel | category: totals and a chart over a period or a date range. Every
// subcommand answers with the one report of framework/stats-report.ts; /stats member is the report /me gives.
import { ChannelType, InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { Command } from './framework/command.js';
import type { CommandContext } from './framework/context.js';
import { addCategoryOption, addRoleOption, parseScope } from './framework/filters.js';
import { channelNames } from './framework/names.js';
import {
  STATS_CHANNEL_TYPES,
  addIncludeBotsOption,
  addWindowAndMetricOptions,
  snowflakeOption,
} from './framework/options.js';
import { answerStats, memberStats } from './framework/stats-report.js';

type Chat = ChatInputCommandInteraction<'cached'>;

/** /stats server: the whole guild, or one of its channels (threads included), over a window. */
async function statsServer(interaction: Chat, ctx: CommandContext): Promise<void> {
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

/**
 * /stats channel [channel]: one channel (default: where the command is used); a text channel's or a
 * forum's threads count towards it. Voice channels chart voice time unless another metric is asked for.
 */
async function statsChannel(interaction: Chat, ctx: CommandContext): Promise<void> {
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

/**
 * /stats category <category> [role]: every channel under a category, their threads included, over a
 * window. The category is checked against this server's channels as recorded in PostgreSQL (framework/filters.ts).
 */
async function statsCategory(interaction: Chat, ctx: CommandContext): Promise<void> {
  const scope = await parseScope(interaction, ctx);
  await answerStats(interaction, ctx, {
    kind: 'category',
    title: scope.categoryName ?? 'Category',
    filter: scope.filter,
    bots: true,
    notes: scope.notes,
  });
}

export const stats: Command = {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Server statistics')
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) =>
      addRoleOption(
        addIncludeBotsOption(
          addWindowAndMetricOptions(sub.setName('server').setDescription('This server over time')).addChannelOption(
            (o) =>
              o
                .setName('channel')
                .setDescription('Only this channel (its threads included)')
                .addChannelTypes(...STATS_CHANNEL_TYPES),
          ),
        ),
      ),
    )
    .addSubcommand((sub) =>
      addWindowAndMetricOptions(
        sub
          .setName('member')
          .setDescription("A member's activity (others' need Manage Server or View Server Insights)")
          .addUserOption((o) => o.setName('member').setDescription('Default: you')),
      ),
    )
    .addSubcommand((sub) =>
      addRoleOption(
        addIncludeBotsOption(
          addWindowAndMetricOptions(
            sub
              .setName('channel')
              .setDescription('A channel over time (its threads included)')
              .addChannelOption((o) =>
                o
                  .setName('channel')
                  .setDescription('Default: this channel')
                  .addChannelTypes(...STATS_CHANNEL_TYPES),
              ),
          ),
        ),
      ),
    )
    .addSubcommand((sub) =>
      addRoleOption(
        addIncludeBotsOption(
          addWindowAndMetricOptions(
            addCategoryOption(
              sub.setName('category').setDescription('Every channel in a category (threads included)'),
              true,
            ),
          ),
        ),
      ),
    )
    .toJSON(),
  handlers: { server: statsServer, member: memberStats, channel: statsChannel, category: statsCategory },
};
