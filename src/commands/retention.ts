// /retention: of the members who joined in the period, per local week of joining and per invite, how many
// spoke or joined voice within 1 and 7 days and were still active at day 7, 30 and 90 (definitions in
// src/stats/retention.ts). Per-invite answers are Manage Server's, as /invites' whole table is.
import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { retention, type RetentionRate, type RetentionRow } from '../stats/retention.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { formatNumber } from '../format.js';
import { periodOption, resolvePeriod } from './framework/period.js';
import { replyWithChart, reportEmbed } from './framework/report.js';
import { fromDateOption, toDateOption } from './framework/options.js';
import { requireManageGuild } from './framework/permissions.js';

/** A share as a whole percentage, or "—" while no join's window is over. */
export function rateText(r: RetentionRate): string {
  return r.of === 0 ? '—' : `${Math.round((100 * r.n) / r.of)}%`;
}

const HEAD = ['joins', '1d', '7d', 'd7', 'd30', 'd90'];
const cells = (r: RetentionRow) => [
  formatNumber(r.joins),
  rateText(r.first1),
  rateText(r.first7),
  rateText(r.active7),
  rateText(r.active30),
  rateText(r.active90),
];

/** A monospace table in a code block, cut to the embed field limit with a note of what was left out. */
function table(first: string, rows: { label: string; row: RetentionRow }[]): string {
  const all = [[first, ...HEAD], ...rows.map((r) => [r.label, ...cells(r.row)])];
  const widths = all[0]!.map((_, c) => Math.max(...all.map((line) => line[c]!.length)));
  const lines = all.map((line) =>
    line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
  );
  const out: string[] = [];
  for (const [k, line] of lines.entries()) {
    if (out.join('\n').length + line.length > 960) {
      out.push(`… and ${lines.length - k} more`);
      break;
    }
    out.push(line);
  }
  return `\`\`\`\n${out.join('\n')}\n\`\`\``;
}

async function answer(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  requireManageGuild(i, 'see activation and retention');
  const p = resolvePeriod(i, ctx, '90d');
  const r = await retention(ctx.pool, p.range);
  if (r.total.joins === 0) throw new CommandError(`Nobody joined ${p.during} (since the bot is here).`);
  const zone = p.range.timeZone ?? 'UTC';
  const t = r.total;
  const embed = reportEmbed(
    `${i.guild.name}: activation and retention`,
    `Members who joined ${p.during}: a message or voice within 1 / 7 days (1d, 7d), and still active in the week from day 7, 30, 90 ` +
      `(d7, d30, d90). Days are local days in ${zone}; a share counts only joins whose window is over (— : none yet).`,
  ).addFields(
    { name: 'Joins', value: formatNumber(t.joins), inline: true },
    {
      name: 'Spoke within 7 days',
      value: `${rateText(t.first7)} (${formatNumber(t.first7.n)} of ${formatNumber(t.first7.of)})`,
      inline: true,
    },
    {
      name: 'Active at day 30',
      value: `${rateText(t.active30)} (${formatNumber(t.active30.n)} of ${formatNumber(t.active30.of)})`,
      inline: true,
    },
    {
      name: 'Per week of joining',
      value: table(
        'week of',
        r.byWeek.map((w) => ({ label: w.week, row: w })),
      ),
    },
    {
      name: 'Per invite',
      value: table(
        'invite',
        r.bySource.map((s) => ({
          label:
            s.attribution === 'invite'
              ? (s.code ?? 'invite')
              : s.attribution === 'vanity'
                ? `vanity ${s.code ?? ''}`.trim()
                : 'unknown',
          row: s,
        })),
      ),
    },
  );
  const pct = (x: RetentionRate) => (x.of === 0 ? 0 : Math.round((100 * x.n) / x.of));
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'bar',
      title: `${i.guild.name}: new members who spoke within 7 days, %`,
      subtitle: `per week of joining, ${p.label} (${zone})`,
      rows: r.byWeek.map((w) => ({
        label: `week of ${w.week}`,
        value: pct(w.first7),
        detail: `${w.first7.n}/${w.first7.of} · d30 ${rateText(w.active30)}`,
      })),
    },
    embed,
    'retention',
  );
}

export const retentionCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('retention')
    .setDescription('How many new members speak within a week and are still active later (Manage Server)')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addStringOption(periodOption('90d'))
    .addStringOption(fromDateOption)
    .addStringOption(toDateOption)
    .toJSON(),
  handlers: { '': answer },
};
