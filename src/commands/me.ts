// /me: your own statistics (= /stats member for yourself; always allowed).
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { Command } from './framework/command.js';
import { addWindowAndMetricOptions } from './framework/options.js';
import { memberStats } from './framework/stats-report.js';

export const me: Command = {
  data: addWindowAndMetricOptions(
    new SlashCommandBuilder()
      .setName('me')
      .setDescription('Your activity in this server')
      .setContexts(InteractionContextType.Guild),
  ).toJSON(),
  handlers: { '': (i, ctx) => memberStats(i, ctx) },
};
