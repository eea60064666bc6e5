// /stats server | member | channel: totals and a chart over a period or a date range.
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { Command } from './framework/command.js';
import { STATS_CHANNEL_TYPES, addIncludeBotsOption, addWindowAndMetricOptions } from './framework/options.js';
import { addCategoryOption, addRoleOption } from './framework/filters.js';
import { statsCategory } from './stats-category.js';
import { statsChannel } from './stats-channel.js';
import { statsMember } from './stats-member.js';
import { statsServer } from './stats-server.js';

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
  handlers: { server: statsServer, member: statsMember, channel: statsChannel, category: statsCategory },
};
