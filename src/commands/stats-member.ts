// /stats member [member]: one member's activity over time. Discord's policy decides who may see whose
// (framework/permissions.ts); the check comes before any query, and a refusal is ephemeral (CommandError).
import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './framework/context.js';
import { memberName } from './framework/names.js';
import { snowflakeOption } from './framework/options.js';
import { assertMayViewMember } from './framework/permissions.js';
import { answerStats } from './framework/stats-report.js';

export async function statsMember(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const userId = snowflakeOption(interaction, 'member') ?? interaction.user.id;
  assertMayViewMember(interaction, userId, ctx.settings.get(interaction.guildId).memberStatsManagersOnly);
  const title =
    userId === interaction.user.id ? interaction.member.displayName : await memberName(interaction.guild, userId);
  await answerStats(interaction, ctx, { kind: 'member', title, filter: { userId } });
}
