// Slash command definitions, registered once per deployment at start (by cluster 0).
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { PERIODS } from '../../stats/period.js';

const periodChoices = Object.keys(PERIODS).map((p) => ({ name: p, value: p }));

export const statsCommand = new SlashCommandBuilder()
  .setName('stats')
  .setDescription('Server statistics')
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((sub) =>
    sub
      .setName('server')
      .setDescription('Messages in this server over time')
      .addStringOption((o) =>
        o.setName('period').setDescription('How far back to look (default 24h)').addChoices(...periodChoices),
      ),
  );

export const COMMANDS = [statsCommand.toJSON()];
