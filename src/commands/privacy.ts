// /privacy: a member stops (opt-out) or resumes (opt-in) being counted in this server, or deletes what
// was recorded about them (after confirming with a button). Everyone may use it; replies are ephemeral.
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  InteractionContextType,
  SlashCommandBuilder,
  type ButtonInteraction,
} from 'discord.js';
import { deleteMemberData, pgTransaction, type DeletionReport } from '../privacy.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext } from './framework/context.js';
import { countOf } from './framework/report.js';

const CONFIRM = 'privacy:delete:';
const CANCEL = 'privacy:cancel:';

export function describeDeletion(r: DeletionReport): string {
  const parts = Object.entries(r.deleted)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => countOf(n, `${t.replace(/_raw$/, '')} row`));
  if (r.inviterCleared > 0) parts.push(`your name removed as inviter from ${countOf(r.inviterCleared, 'join')}`);
  const what = parts.length === 0 ? 'Nothing was recorded about you in this server.' : `Deleted: ${parts.join(', ')}.`;
  return `${what} You are opted out, so nothing new is recorded; use /privacy opt-in to be counted again.`;
}

async function confirmDelete(i: ButtonInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const [, action, userId] = i.customId.split(':');
  // The confirmation is the requester's alone (ephemeral anyway, but never trust a custom id).
  if (userId !== i.user.id) throw new CommandError('This button belongs to someone else.');
  if (action === 'cancel') {
    await i.update({ content: 'Deletion cancelled. Nothing was deleted.', components: [] });
    return;
  }
  await i.deferUpdate();
  // Opt out first: increments still in Redis are then dropped at ingest, and nothing new arrives
  // behind the deletion.
  await ctx.privacy.optOut(i.guildId, i.user.id);
  const report = await deleteMemberData(ctx.pool, pgTransaction(ctx.pool), i.guildId, i.user.id);
  ctx.logger.info(
    { guild: i.guildId, deleted: report.deleted, refreshed: report.refreshed },
    'member data deleted on request',
  );
  await i.editReply({ content: describeDeletion(report), components: [] });
}

export const privacy: Command = {
  data: new SlashCommandBuilder()
    .setName('privacy')
    .setDescription('Your privacy in this server’s statistics')
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((s) => s.setName('opt-out').setDescription('Stop counting my activity in this server'))
    .addSubcommand((s) => s.setName('opt-in').setDescription('Count my activity in this server again'))
    .addSubcommand((s) => s.setName('delete').setDescription('Delete everything recorded about me in this server'))
    .toJSON(),
  ephemeral: true,
  cooldownMs: 1_000,
  handlers: {
    async 'opt-out'(i, ctx) {
      const changed = await ctx.privacy.optOut(i.guildId, i.user.id);
      await i.editReply({
        content: `${changed ? 'You are opted out' : 'You were already opted out'}: nothing you do in this server is counted from now on. Past statistics stay until you use /privacy delete.`,
      });
    },
    async 'opt-in'(i, ctx) {
      const changed = await ctx.privacy.optIn(i.guildId, i.user.id);
      await i.editReply({
        content: changed ? 'You are counted again from now on.' : 'You were not opted out: your activity is counted.',
      });
    },
    async delete(i) {
      const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder()
          .setCustomId(`${CONFIRM}${i.user.id}`)
          .setLabel('Delete my data')
          .setStyle(ButtonStyle.Danger),
        new ButtonBuilder().setCustomId(`${CANCEL}${i.user.id}`).setLabel('Cancel').setStyle(ButtonStyle.Secondary),
      );
      await i.editReply({
        content:
          'This deletes every message, voice, emoji, command, activity and join/leave record about you in this server, and opts you out. It cannot be undone.',
        components: [row],
      });
    },
  },
  button: confirmDelete,
};
