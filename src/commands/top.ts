// /top messages|voice|emojis|invites|apps: leaderboards over a period, as a ranked bar chart and the same
// ranking in the embed (members as mentions, so the embed names them without pinging anyone).
import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { topBy } from '../stats/families.js';
import { inviteStats } from '../stats/members.js';
import { mentionTotals } from '../stats/mentions.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { botScope } from './framework/bot-scope.js';
import { addCategoryOption, addRoleOption, parseScope, type ScopeChoice } from './framework/filters.js';
import { formatDuration } from '../format.js';
import { emojiLabeler } from './framework/emoji-labels.js';
import { memberLabel, memberNames, notePartialNames, type MemberNames } from './framework/names.js';
import { periodOption, resolvePeriod, type ResolvedPeriod } from './framework/period.js';
import { countOf, rankLines, replyWithChart, reportEmbed } from './framework/report.js';

const LIMIT = 10;

interface Board {
  title: string;
  /** Noun of one value ("message"); values read "1 message", "2 messages". */
  unit: string;
  /** What the board includes, when that needs saying (bots). */
  note?: string;
  rows: { chart: string; embed: string; value: number; detail?: string }[];
  duration?: boolean;
  /** Member names behind the rows (the answer says when some could not be fetched). */
  names?: MemberNames;
  /** A line under the ranking (where to find more). */
  footnote?: string;
}

type Builder = (
  i: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  p: ResolvedPeriod,
  scope: ScopeChoice,
) => Promise<Board>;

async function memberBoard(
  i: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  ranked: { key: string; value: number }[],
): Promise<Pick<Board, 'rows' | 'names'>> {
  const names = await memberNames(
    i.guild,
    ranked.map((r) => r.key),
    ctx,
  );
  return {
    names,
    rows: ranked.map((r) => ({ chart: memberLabel(names, r.key), embed: `<@${r.key}>`, value: r.value })),
  };
}

const BOARDS: Record<string, Builder> = {
  async messages(i, ctx, p, scope) {
    // Bots' messages count as the guild's settings say now (framework/bot-scope.ts).
    const bots = await botScope(ctx.pool, p.range, 'hour', scope.filter, {
      settingOn: ctx.settings.get(i.guildId).includeBots,
      asked: null,
    });
    const ranked = await topBy(ctx.pool, 'messages', 'messages', 'user_id', p.range, {
      limit: LIMIT,
      filter: bots.filter,
    });
    return {
      title: 'Top members by messages',
      unit: 'message',
      note: bots.note,
      ...(await memberBoard(i, ctx, ranked)),
    };
  },
  async voice(i, ctx, p, scope) {
    const ranked = await topBy(ctx.pool, 'voice', 'seconds', 'user_id', p.range, {
      limit: LIMIT,
      filter: scope.filter,
    });
    return { title: 'Top members by voice time', unit: '', duration: true, ...(await memberBoard(i, ctx, ranked)) };
  },
  async mentions(i, ctx, p, scope) {
    // Mentioned members, by mentions from members (with a role: from the role's members).
    const [ranked, totals] = await Promise.all([
      topBy(ctx.pool, 'mentions', 'mentions', 'target_id', p.range, {
        limit: LIMIT,
        filter: scope.filter,
        where: { dim: 'kind', value: 'member' },
      }),
      mentionTotals(ctx.pool, p.range, scope.filter),
    ]);
    return {
      title: 'Most mentioned members',
      unit: 'mention',
      footnote: `Role mentions: ${totals.role} · @everyone and @here: ${totals.everyone} · replies count only when they ping`,
      ...(await memberBoard(i, ctx, ranked)),
    };
  },
  async emojis(i, ctx, p, scope) {
    const ranked = await topBy(ctx.pool, 'emojis', 'uses', 'emoji', p.range, { limit: LIMIT, filter: scope.filter });
    const label = await emojiLabeler(
      i.guild,
      ctx,
      ranked.map((r) => r.key),
    );
    return {
      title: 'Top emojis',
      unit: 'use',
      rows: ranked.map((r) => {
        const l = label(r.key);
        return { chart: l.chart, embed: l.embed, value: r.value };
      }),
    };
  },
  async invites(i, ctx, p) {
    const stats = await inviteStats(ctx.pool, p.range);
    const ranked = stats.inviters.filter((s) => s.inviterId !== null && s.regular > 0).slice(0, LIMIT);
    const names = await memberNames(
      i.guild,
      ranked.map((s) => s.inviterId!),
      ctx,
    );
    // The ranking (regular joins) is for everyone, like every leaderboard; an inviter's left and fake
    // joins are the /invites breakdown, for Manage Server only (README: "Invites").
    const breakdown = i.memberPermissions.has(PermissionFlagsBits.ManageGuild);
    return {
      title: 'Top inviters (regular joins)',
      unit: 'join',
      names,
      footnote: breakdown
        ? undefined
        : 'Left and fake joins per inviter: /invites (Manage Server); your own: /invites.',
      rows: ranked.map((s) => ({
        chart: memberLabel(names, s.inviterId!),
        embed: `<@${s.inviterId}>`,
        value: s.regular,
        ...(breakdown ? { detail: `${s.left} left · ${s.fake} fake` } : {}),
      })),
    };
  },
  async apps(i, ctx, p, scope) {
    const ranked = await topBy(ctx.pool, 'apps', 'uses', 'command', p.range, { limit: LIMIT, filter: scope.filter });
    return {
      title: 'Top commands',
      unit: 'use',
      rows: ranked.map((r) => ({ chart: `/${r.key}`, embed: `\`/${r.key}\``, value: r.value })),
    };
  },
};

async function topHandler(kind: string, i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '7d');
  const scope = await parseScope(i, ctx);
  const board = await BOARDS[kind]!(i, ctx, p, scope);
  if (board.rows.length === 0)
    throw new CommandError(
      `Nothing recorded for /top ${kind} in the ${p.label}${scope.notes.length ? ` (${scope.notes.join('; ')})` : ''} yet.`,
    );
  if (scope.notes.length) board.note = [...scope.notes, ...(board.note ? [board.note] : [])].join('. ');
  const fmt = (v: number) => (board.duration ? formatDuration(v) : countOf(v, board.unit));
  const embed = reportEmbed(
    `${i.guild.name}: ${board.title.toLowerCase()}`,
    board.note ? `${p.label}. ${board.note}` : p.label,
  ).addFields({
    name: board.title,
    value: rankLines(
      board.rows.map((r) => ({ label: r.embed, value: r.detail ? `${fmt(r.value)} (${r.detail})` : fmt(r.value) })),
    ),
  });
  if (board.footnote) embed.setFooter({ text: board.footnote });
  if (board.names) notePartialNames(embed, board.names);
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'bar',
      title: `${i.guild.name}: ${board.title.toLowerCase()}`,
      subtitle: p.label,
      rows: board.rows.map((r) => ({ label: r.chart, value: r.value, detail: r.detail })),
      valueFormat: board.duration ? 'duration' : 'number',
    },
    embed,
    `top-${kind}`,
  );
}

const DESCRIPTIONS: Record<keyof typeof BOARDS, string> = {
  messages: 'Members who sent the most messages',
  voice: 'Members who spent the most time in voice',
  mentions: 'Members mentioned the most',
  emojis: 'Most used emojis (messages and reactions)',
  invites: 'Members whose invites brought the most members who stayed',
  apps: 'Most used application commands',
};

const builder = new SlashCommandBuilder()
  .setName('top')
  .setDescription('Leaderboards')
  .setContexts(InteractionContextType.Guild);
/** Which boards take a role (members who hold it now) and a category (families recorded per channel). */
const FILTERS: Record<keyof typeof BOARDS, { role: boolean; category: boolean }> = {
  messages: { role: true, category: true },
  voice: { role: true, category: true },
  mentions: { role: true, category: false },
  emojis: { role: true, category: false },
  invites: { role: false, category: false },
  apps: { role: true, category: true },
};
for (const [name, description] of Object.entries(DESCRIPTIONS)) {
  builder.addSubcommand((sub) => {
    sub.setName(name).setDescription(description).addStringOption(periodOption('7d'));
    if (FILTERS[name]!.role) addRoleOption(sub);
    if (FILTERS[name]!.category) addCategoryOption(sub);
    return sub;
  });
}

export const topCommand: Command = {
  data: builder.toJSON(),
  handlers: Object.fromEntries(Object.keys(BOARDS).map((k) => [k, (i, ctx) => topHandler(k, i, ctx)])),
};
