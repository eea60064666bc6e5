// /stats category <category> [role]: every channel under a category, their threads included, over a
// window. The category is checked against this server's channels as recorded in PostgreSQL (framework/filters.ts).
import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './framework/context.js';
import { parseScope } from './framework/filters.js';
import { answerStats } from './framework/stats-report.js';

export async function statsCategory(
  interaction: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
): Promise<void> {
  const scope = await parseScope(interaction, ctx);
  await answerStats(interaction, ctx, {
    kind: 'category',
    title: scope.categoryName ?? 'Category',
    filter: scope.filter,
    bots: true,
    notes: scope.notes,
  });
}
