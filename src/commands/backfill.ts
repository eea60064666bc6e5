// /backfill: a Manage Server member queues a backfill of the server's message history (start) or follows
// its progress (status). The job runs in the cluster process that holds the server's shard
// (src/shard/backfill); this command only writes the request and reads progress, so it answers the same in
// gateway and HTTP mode. Replies are ephemeral.
import { InteractionContextType, SlashCommandBuilder, time, TimestampStyles } from 'discord.js';
import { backfillStatus, requestBackfill, type BackfillStatus } from '../backfill.js';
import type { Command } from './framework/command.js';
import { CommandError } from './framework/context.js';
import { formatNumber } from '../format.js';
import { countOf } from './framework/report.js';
import { requireManageGuild } from './framework/permissions.js';

/** What history can and cannot give back, said with every start. */
export const NOT_BACKFILLED =
  'Voice time, reactions, invites and joins cannot be backfilled: Discord keeps no history of them, so they count from the day the bot joined.';

export function describeStatus(s: BackfillStatus): string {
  const lines: string[] = [];
  const when = (d: Date) => time(d, TimestampStyles.RelativeTime);
  const state = { queued: 'Queued', running: 'Running', done: 'Done', failed: 'Failed' }[s.state];
  lines.push(
    `**${state}** (${s.reason === 'join' ? 'started when the bot joined' : 'requested with /backfill start'} ${when(s.requestedAt)}${s.finishedAt ? `, finished ${when(s.finishedAt)}` : ''}).`,
  );
  if (s.since)
    lines.push(`Depth: messages since ${time(s.since, TimestampStyles.LongDate)} (${countOf(s.days ?? 0, 'day')}).`);
  const c = s.channels;
  if (c.total > 0)
    lines.push(
      `Channels: ${formatNumber(c.done)} of ${formatNumber(c.total)} done${c.skipped ? `, ${formatNumber(c.skipped)} skipped` : ''}${c.pending ? `, ${formatNumber(c.pending)} to go` : ''}.`,
    );
  lines.push(
    `Messages read: ${formatNumber(s.messagesRead)} in ${countOf(s.pages, 'page')}; counted within the depth: ${formatNumber(s.messagesLoaded)}.`,
  );
  if (s.skipped.length > 0)
    lines.push(`Not readable: ${s.skipped.map((x) => `<#${x.channelId}> (${x.note})`).join(', ')}.`);
  if (s.error) lines.push(`Error: ${s.error}`);
  return lines.join('\n');
}

export const backfillCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('backfill')
    .setDescription('Read this server’s message history from before the bot joined')
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((s) =>
      s.setName('start').setDescription('Count the message history of every channel the bot can read'),
    )
    .addSubcommand((s) => s.setName('status').setDescription('Progress of this server’s backfill'))
    .toJSON(),
  ephemeral: true,
  cooldownMs: 2_000,
  handlers: {
    async start(i, ctx) {
      requireManageGuild(i, 'start a backfill');
      const r = await requestBackfill(ctx.pool, i.guildId);
      if (r.queued) {
        await i.editReply({
          content: [
            'Backfill queued. Every channel and active thread the bot can read is paged back through its history, up to the configured depth, and counted exactly as live messages are (messages, words, attachments, emojis in messages, mentions, other apps’ commands); what the bot already counted live is never read again, and opted-out members stay uncounted.',
            NOT_BACKFILLED,
            'Follow it with /backfill status.',
          ].join('\n'),
        });
        return;
      }
      throw new CommandError(
        `A backfill of this server is already ${r.state === 'queued' ? 'queued' : 'running'}: only one runs at a time, and nothing is read twice. Follow it with /backfill status.`,
      );
    },
    async status(i, ctx) {
      requireManageGuild(i, 'see the backfill');
      const s = await backfillStatus(ctx.pool, i.guildId);
      if (!s) {
        await i.editReply({
          content: `No backfill has run in this server yet. Use /backfill start.\n${NOT_BACKFILLED}`,
        });
        return;
      }
      await i.editReply({ content: `${describeStatus(s)}\n${NOT_BACKFILLED}` });
    },
  },
};
