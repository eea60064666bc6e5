// /apps: application command usage: the most used commands (bar chart) and the applications they belong to.
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction, type Client } from 'discord.js';
import { familyTotal, topBy } from '../stats/families.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { formatNumber } from '../format.js';
import { periodOption, resolvePeriod } from './framework/period.js';
import { rankLines, replyWithChart, reportEmbed } from './framework/report.js';

/**
 * Names of applications by id. A bot application's id is its bot user's id, so the user lookup names it;
 * an application without a bot user (or one that cannot be fetched) is shown by id.
 */
async function applicationNames(client: Client, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    ids.map(async (id) => {
      if (id === client.application?.id || id === client.user?.id)
        return void out.set(id, client.user?.username ?? 'this bot');
      const user = await client.users.fetch(id, { cache: false }).catch(() => undefined);
      out.set(id, user?.bot ? user.username : `Application (${id})`);
    }),
  );
  return out;
}

async function apps(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '7d');
  const [total, commands, applications] = await Promise.all([
    familyTotal(ctx.pool, 'apps', 'uses', p.range),
    topBy(ctx.pool, 'apps', 'uses', 'command', p.range, { limit: 15 }),
    topBy(ctx.pool, 'apps', 'uses', 'application_id', p.range, { limit: 10 }),
  ]);
  if (total === 0) throw new CommandError(`No application commands recorded in the ${p.label} yet.`);
  const names = await applicationNames(
    i.client,
    applications.map((a) => a.key),
  );
  const embed = reportEmbed(`${i.guild.name}: application commands`, p.label).addFields(
    { name: 'Command uses', value: formatNumber(total), inline: true },
    { name: 'Applications', value: formatNumber(applications.length), inline: true },
    {
      name: 'Top commands',
      value: rankLines(commands.map((c) => ({ label: `\`/${c.key}\``, value: formatNumber(c.value) }))),
    },
    {
      name: 'Top applications',
      value: rankLines(applications.map((a) => ({ label: names.get(a.key) ?? a.key, value: formatNumber(a.value) }))),
    },
  );
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'bar',
      title: `${i.guild.name}: most used commands`,
      subtitle: p.label,
      rows: commands.map((c) => ({ label: `/${c.key}`, value: c.value })),
    },
    embed,
    'apps',
  );
}

export const appsCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('apps')
    .setDescription('Application and command usage in this server')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(periodOption('7d'))
    .toJSON(),
  handlers: { '': apps },
};
