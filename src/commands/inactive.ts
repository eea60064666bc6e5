// /inactive days:N: members who were active before and have been silent for N days (src/stats/quiet.ts),
// for those who manage the server (Manage Server: the list names members). Ephemeral, as the other admin
// commands that list members' data (/export); paged with buttons that re-check the permission.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ButtonInteraction,
  type EmbedBuilder,
} from 'discord.js';
import { quietMembers, type QuietPage } from '../stats/quiet.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { formatDuration } from '../format.js';
import { countOf, rankLines, reportEmbed } from './framework/report.js';
import { requireManageGuild } from './framework/permissions.js';

/** Lines of about 80 characters: ten fit an embed field (1,024) with room for long names. */
export const PAGE_SIZE = 10;
export const MAX_DAYS = 365;
const DEFAULT_LOOKBACK = 30;

/** Refuses out-of-range numbers with what is allowed (Discord enforces min/max; a custom id might not). */
function bounded(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new CommandError(`\`${name}\` must be a whole number of days from 1 to ${max}.`);
  return value;
}

interface View {
  days: number;
  lookBack: number;
  page: number;
}

async function render(
  guildId: string,
  guildName: string,
  v: View,
  ctx: CommandContext,
): Promise<{ embeds: EmbedBuilder[]; components: ActionRowBuilder<ButtonBuilder>[] }> {
  const timeZone = ctx.settings.get(guildId).timeZone;
  const q: QuietPage = await quietMembers(ctx.pool, {
    guildId,
    timeZone,
    days: v.days,
    lookBackDays: v.lookBack,
    limit: PAGE_SIZE,
    offset: (v.page - 1) * PAGE_SIZE,
  });
  const pages = Math.max(1, Math.ceil(q.total / PAGE_SIZE));
  if (v.page > pages)
    throw new CommandError(`There ${pages === 1 ? 'is' : 'are'} only ${countOf(pages, 'page')} of quiet members.`);
  const embed = reportEmbed(
    `${guildName}: quiet members`,
    `Active in the ${v.lookBack} days before ${day(q.silentSince, timeZone)}, silent since (${countOf(v.days, 'whole day')} and today, ${timeZone}). ` +
      `${countOf(q.total, 'member')}; page ${v.page} of ${pages}.`,
  ).addFields({
    name: 'Last active',
    value: rankLines(
      q.members.map((m) => ({
        label: `${m.displayName} (<@${m.userId}>)`,
        value: `${m.lastActive} · ${countOf(m.messages, 'message')}${m.voiceSeconds > 0 ? ` · ${formatDuration(m.voiceSeconds)} voice` : ''}`,
      })),
      'Nobody: every member active in that window has been active since.',
    ).replace(/^`(\d+)\.`/gm, (_, k: string) => `\`${Number(k) + (v.page - 1) * PAGE_SIZE}.\``),
  });
  const components =
    pages > 1
      ? [
          new ActionRowBuilder<ButtonBuilder>().addComponents(
            new ButtonBuilder()
              .setCustomId(`inactive:${v.days}:${v.lookBack}:${v.page - 1}`)
              .setLabel('Previous')
              .setStyle(ButtonStyle.Secondary)
              .setDisabled(v.page <= 1),
            new ButtonBuilder()
              .setCustomId(`inactive:${v.days}:${v.lookBack}:${v.page + 1}`)
              .setLabel('Next')
              .setStyle(ButtonStyle.Secondary)
              .setDisabled(v.page >= pages),
          ),
        ]
      : [];
  return { embeds: [embed], components };
}

function day(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

async function page(i: ButtonInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  if (!i.memberPermissions.has(PermissionFlagsBits.ManageGuild))
    throw new CommandError('Only members with the Manage Server permission can list quiet members.');
  const [, days, lookBack, p] = i.customId.split(':').map(Number);
  const v = {
    days: bounded(days!, 'days', MAX_DAYS),
    lookBack: bounded(lookBack!, 'lookback', MAX_DAYS),
    page: bounded(p!, 'page', 100_000),
  };
  await i.deferUpdate();
  await i.editReply(await render(i.guildId, i.guild.name, v, ctx));
}

export const inactiveCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('inactive')
    .setDescription('Members who were active before and have been silent for N days (Manage Server)')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addIntegerOption((o) =>
      o
        .setName('days')
        .setDescription('Whole days of silence (1-365)')
        .setRequired(true)
        .setMinValue(1)
        .setMaxValue(MAX_DAYS),
    )
    .addIntegerOption((o) =>
      o
        .setName('lookback')
        .setDescription(`Active in this many days before the silence (default ${DEFAULT_LOOKBACK})`)
        .setMinValue(1)
        .setMaxValue(MAX_DAYS),
    )
    .addIntegerOption((o) => o.setName('page').setDescription('Page of the list (10 per page)').setMinValue(1))
    .toJSON(),
  ephemeral: true,
  handlers: {
    async ''(i, ctx) {
      requireManageGuild(i, 'list quiet members');
      const v = {
        days: bounded(i.options.getInteger('days', true), 'days', MAX_DAYS),
        lookBack: bounded(i.options.getInteger('lookback') ?? DEFAULT_LOOKBACK, 'lookback', MAX_DAYS),
        page: bounded(i.options.getInteger('page') ?? 1, 'page', 100_000),
      };
      await i.editReply(await render(i.guildId, i.guild.name, v, ctx));
    },
  },
  button: page,
};
