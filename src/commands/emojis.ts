// /emojis: most and least used emojis (in messages, as reactions or both), and the guild's custom emojis
// nobody used in the period, so admins know which slots they can free.
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { familyTotal, topBy, unusedEmojis } from '../stats/families.js';
import type { Command } from './command.js';
import { CommandError, type CommandContext, quoted } from './context.js';
import { parseScope } from './filters.js';
import { emojiLabeler, formatNumber, listField, periodOption, rankLines, replyWithChart, reportEmbed, resolvePeriod } from './family-report.js';

const SOURCES = { all: 'messages and reactions', message: 'in messages', reaction: 'as reactions' } as const;
type Source = keyof typeof SOURCES;

async function emojis(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '30d');
  const source = (i.options.getString('source') ?? 'all') as Source;
  if (!Object.hasOwn(SOURCES, source)) throw new CommandError(`Unknown source ${quoted(source)}. Choose one of: ${Object.keys(SOURCES).join(', ')}.`);
  const where = source === 'all' ? undefined : { dim: 'source', value: source };
  const custom = [...i.guild.emojis.cache.keys()];
  const scope = await parseScope(i, ctx);
  const filter = scope.filter;
  const [most, least, unused, total] = await Promise.all([
    topBy(ctx.pool, 'emojis', 'uses', 'emoji', p.range, { limit: 10, where, filter }),
    topBy(ctx.pool, 'emojis', 'uses', 'emoji', p.range, { limit: 10, order: 'asc', where, filter }),
    // Unused means unused anywhere (by the role's members, with a role): a custom emoji only ever
    // reacted with still earns its slot.
    unusedEmojis(ctx.pool, p.range, custom, filter),
    source === 'all' ? familyTotal(ctx.pool, 'emojis', 'uses', p.range, filter) : undefined,
  ]);
  if (most.length === 0) throw new CommandError(`No emoji used ${SOURCES[source]} in the ${p.label}${scope.notes.length ? ` (${scope.notes.join('; ')})` : ''} yet.`);
  const label = await emojiLabeler(i.guild, ctx, [...most, ...least].map((r) => r.key));
  const embed = reportEmbed(`${i.guild.name}: emojis`, [`${p.label}, ${SOURCES[source]}`, ...scope.notes].join('. '));
  if (total !== undefined) embed.addFields({ name: 'Emoji uses', value: formatNumber(total), inline: true });
  embed.addFields(
    { name: 'Custom emojis', value: `${custom.length - unused.length} of ${custom.length} used`, inline: true },
    { name: 'Most used', value: rankLines(most.map((r) => ({ label: label(r.key).embed, value: formatNumber(r.value) }))) },
    { name: 'Least used', value: rankLines(least.map((r) => ({ label: label(r.key).embed, value: formatNumber(r.value) }))) },
    { name: `Custom emojis not used (${unused.length})`, value: listField(unused.map((id) => label(id).embed), 'Every custom emoji was used.') },
  );
  await replyWithChart(
    i,
    ctx,
    { kind: 'bar', title: `${i.guild.name}: most used emojis`, subtitle: `${p.label}, ${SOURCES[source]}`, rows: most.map((r) => ({ label: label(r.key).chart, value: r.value })) },
    embed,
    'emojis',
  );
}

export const emojisCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('emojis')
    .setDescription('Most and least used emojis, and custom emojis nobody uses')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(periodOption('30d'))
    .addStringOption((o) =>
      o
        .setName('source')
        .setDescription('Where emojis were used (default both)')
        .addChoices({ name: 'Messages and reactions', value: 'all' }, { name: 'In messages', value: 'message' }, { name: 'As reactions', value: 'reaction' }),
    )
    .addRoleOption((o) => o.setName('role').setDescription('Only members who hold this role now'))
    .toJSON(),
  handlers: { '': emojis },
};
