// /invites [member]: who brought members in, and whether they stayed: per inviter regular / left / fake
// joins (definitions in src/stats/members.ts), plus vanity-URL and unattributed joins. A member may always
// see their own invites; anyone else's, and the whole table, need Manage Server (Discord's developer
// policy for per-member statistics).
import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { inviteStats, type InviteBreakdown } from '../stats/members.js';
import type { Command } from './framework/command.js';
import { snowflakeOption } from './framework/options.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { formatNumber } from '../format.js';
import { memberLabel, memberNames, notePartialNames } from './framework/names.js';
import { periodOption, resolvePeriod } from './framework/period.js';
import { countOf, rankLines, replyWithChart, reportEmbed } from './framework/report.js';

const breakdown = (b: InviteBreakdown) =>
  `${formatNumber(b.regular)} regular · ${formatNumber(b.left)} left · ${formatNumber(b.fake)} fake`;

async function invites(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '30d');
  const asked = snowflakeOption(i, 'member');
  const manager = i.memberPermissions.has(PermissionFlagsBits.ManageGuild);
  // Without a member: the table for managers, one's own invites for everyone else.
  const target = asked ?? (manager ? undefined : i.user.id);
  if (target !== undefined && target !== i.user.id && !manager) {
    throw new CommandError(
      "Only members with Manage Server can see other members' invites. You can see your own with /invites.",
    );
  }
  const stats = await inviteStats(ctx.pool, p.range);

  if (target !== undefined) {
    const mine = stats.inviters.find((s) => s.inviterId === target);
    const names = await memberNames(i.guild, [target], ctx);
    const who = target === i.user.id ? 'your' : `${memberLabel(names, target)}'s`;
    if (!mine) throw new CommandError(`Nobody joined through ${who} invites in the ${p.label}.`);
    const embed = reportEmbed(`${i.guild.name}: invites by ${memberLabel(names, target)}`, p.label).addFields(
      { name: 'Joins', value: formatNumber(mine.joins), inline: true },
      { name: 'Regular', value: formatNumber(mine.regular), inline: true },
      { name: 'Left', value: formatNumber(mine.left), inline: true },
      { name: 'Fake', value: formatNumber(mine.fake), inline: true },
      {
        name: 'Why fake',
        value: [
          countOf(mine.fakeReasons.youngAccount, 'young account'),
          countOf(mine.fakeReasons.selfInvite, 'self-invite'),
          countOf(mine.fakeReasons.rejoin, 'rejoin'),
        ].join(' · '),
      },
    );
    notePartialNames(embed, names);
    await replyWithChart(
      i,
      ctx,
      {
        kind: 'donut',
        title: `${i.guild.name}: invites by ${memberLabel(names, target)}`,
        subtitle: p.label,
        slices: [
          { label: 'Regular', value: mine.regular },
          { label: 'Left', value: mine.left },
          { label: 'Fake', value: mine.fake },
        ],
      },
      embed,
      'invites',
    );
    return;
  }

  const total = stats.inviters.reduce((a, s) => a + s.joins, 0) + stats.vanity.joins + stats.unknown.joins;
  if (total === 0) throw new CommandError(`Nobody joined in the ${p.label} (since the bot is here).`);
  const inviters = stats.inviters.slice(0, 15);
  const names = await memberNames(
    i.guild,
    inviters.flatMap((s) => (s.inviterId ? [s.inviterId] : [])),
    ctx,
  );
  const embed = reportEmbed(`${i.guild.name}: invites`, p.label).addFields(
    { name: 'Joins', value: formatNumber(total), inline: true },
    { name: 'Vanity URL', value: breakdown(stats.vanity), inline: true },
    { name: 'Unknown', value: breakdown(stats.unknown), inline: true },
    {
      name: 'Inviters',
      value: rankLines(
        inviters.map((s) => ({
          label: s.inviterId ? `<@${s.inviterId}>` : 'No inviter (widget)',
          value: breakdown(s),
        })),
        "No join came through a member's invite.",
      ),
    },
  );
  notePartialNames(embed, names);
  const rows = inviters.map((s) => ({
    label: s.inviterId ? memberLabel(names, s.inviterId) : 'No inviter',
    value: s.regular,
    detail: `${s.left} left · ${s.fake} fake`,
  }));
  if (stats.vanity.joins > 0)
    rows.push({
      label: 'Vanity URL',
      value: stats.vanity.regular,
      detail: `${stats.vanity.left} left · ${stats.vanity.fake} fake`,
    });
  if (stats.unknown.joins > 0)
    rows.push({
      label: 'Unknown',
      value: stats.unknown.regular,
      detail: `${stats.unknown.left} left · ${stats.unknown.fake} fake`,
    });
  await replyWithChart(
    i,
    ctx,
    { kind: 'bar', title: `${i.guild.name}: regular joins per inviter`, subtitle: p.label, rows },
    embed,
    'invites',
  );
}

export const invitesCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('invites')
    .setDescription('Joins per inviter: regular, left and fake')
    .setContexts(InteractionContextType.Guild)
    .addUserOption((o) =>
      o.setName('member').setDescription('Whose invites (yours by default; others need Manage Server)'),
    )
    .addStringOption(periodOption('30d'))
    .toJSON(),
  handlers: { '': invites },
};
