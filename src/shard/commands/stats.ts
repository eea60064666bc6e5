// /stats: server (and, later, member and channel) statistics.
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { PERIODS } from '../../stats/period.js';
import type { Command } from './command.js';
import { statsServer } from './stats-server.js';

const periodChoices = Object.keys(PERIODS).map((p) => ({ name: p, value: p }));

export const stats: Command = {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Server statistics')
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) =>
      sub
        .setName('server')
        .setDescription('Messages in this server over time')
        .addStringOption((o) => o.setName('period').setDescription('How far back to look (default 24h)').addChoices(...periodChoices)),
    )
    .toJSON(),
  handlers: { server: statsServer },
};
