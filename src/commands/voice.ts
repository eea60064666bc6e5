// /voice: voice time per channel (donut) and per member, and how much of it was muted, deafened,
// streaming or on video (the state times overlap the total: a muted streamer counts in both).
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { familyTotal, topBy } from '../stats/families.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { parseScope } from './framework/filters.js';
import { channelNames, memberLabel, memberNames, notePartialNames } from './framework/names.js';
import { formatDuration } from '../format.js';
import { periodOption, resolvePeriod } from './framework/period.js';
import { rankLines, replyWithChart, reportEmbed } from './framework/report.js';

const STATES = [
  ['Muted', 'muted_seconds'],
  ['Deafened', 'deafened_seconds'],
  ['Streaming', 'streaming_seconds'],
  ['Video', 'video_seconds'],
] as const;

/** Channels beyond this many are one "Other channels" slice. */
const SLICES = 8;

async function voice(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '7d');
  const scope = await parseScope(i, ctx);
  const f = scope.filter;
  const [total, channels, members, ...states] = await Promise.all([
    familyTotal(ctx.pool, 'voice', 'seconds', p.range, f),
    topBy(ctx.pool, 'voice', 'seconds', 'channel_id', p.range, { limit: 100, filter: f }),
    topBy(ctx.pool, 'voice', 'seconds', 'user_id', p.range, { limit: 10, filter: f }),
    ...STATES.map(([, metric]) => familyTotal(ctx.pool, 'voice', metric, p.range, f)),
  ]);
  if (total === 0)
    throw new CommandError(
      `No voice time recorded in the ${p.label}${scope.notes.length ? ` (${scope.notes.join('; ')})` : ''} yet.`,
    );
  const names = await memberNames(
    i.guild,
    members.map((m) => m.key),
    ctx,
  );
  // Deleted channels by the name recorded last, marked deleted (a mention of one shows nothing useful).
  const chNames = await channelNames(
    ctx.pool,
    i.guild,
    channels.slice(0, Math.max(10, SLICES)).map((c) => c.key),
  );
  const channelLabel = (id: string) => (chNames.get(id)!.deleted ? chNames.get(id)!.name : `<#${id}>`);
  const share = (s: number) => `${Math.round((s / total) * 100)}%`;
  const embed = reportEmbed(`${i.guild.name}: voice`, [p.label, ...scope.notes].join('. ')).addFields(
    { name: 'Voice time', value: formatDuration(total), inline: true },
    ...STATES.map(([name], k) => ({
      name,
      value: `${formatDuration(states[k]!)} (${share(states[k]!)})`,
      inline: true,
    })),
    {
      name: 'Channels',
      value: rankLines(
        channels.slice(0, 10).map((c) => ({ label: channelLabel(c.key), value: formatDuration(c.value) })),
      ),
    },
    {
      name: 'Members',
      value: rankLines(members.map((m) => ({ label: `<@${m.key}>`, value: formatDuration(m.value) }))),
    },
  );
  notePartialNames(embed, names);
  const slices = channels.slice(0, SLICES).map((c) => ({ label: chNames.get(c.key)!.name, value: c.value }));
  const rest = channels.slice(SLICES).reduce((a, c) => a + c.value, 0);
  if (rest > 0) slices.push({ label: 'Other channels', value: rest });
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'donut',
      title: `${i.guild.name}: voice time per channel`,
      subtitle: `${p.label}; top member ${memberLabel(names, members[0]!.key)}`,
      slices,
      valueFormat: 'duration',
    },
    embed,
    'voice',
  );
}

export const voiceCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('voice')
    .setDescription('Voice time per channel and member, and time muted, deafened, streaming or on video')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(periodOption('7d'))
    .addRoleOption((o) => o.setName('role').setDescription('Only members who hold this role now'))
    .toJSON(),
  handlers: { '': voice },
};
