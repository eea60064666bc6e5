// /emojis: most and least used emojis (in messages, as reactions or both), and the guild's custom emojis
// nobody used in the period, so admins know which slots they can free. Leaderboards per member (`member`,
// under the per-member policy of framework/permissions.ts), per channel (`channel`, its threads included) or per
// category (`category`): channels and categories read the per-channel family (channel_emojis), which
// counts from the version that added it on; the whole server and members read the emojis family's history.
import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { familyTotal, topBy, unusedEmojis, type Filter } from '../stats/families.js';
import { CATEGORY_TYPE, guildChannels } from '../stats/structure.js';
import type { Command } from './framework/command.js';
import { CommandError, type CommandContext, quoted } from './framework/context.js';
import { addCategoryOption, parseScope } from './framework/filters.js';
import { memberName } from './framework/names.js';
import { STATS_CHANNEL_TYPES, snowflakeOption } from './framework/options.js';
import { assertMayViewMember } from './framework/permissions.js';
import { formatNumber } from '../format.js';
import { emojiLabeler } from './framework/emoji-labels.js';
import { periodOption, resolvePeriod } from './framework/period.js';
import { listField, rankLines, replyWithChart, reportEmbed } from './framework/report.js';

const SOURCES = { all: 'messages and reactions', message: 'in messages', reaction: 'as reactions' } as const;
type Source = keyof typeof SOURCES;

async function emojis(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<void> {
  const p = resolvePeriod(i, ctx, '30d');
  const source = (i.options.getString('source') ?? 'all') as Source;
  if (!Object.hasOwn(SOURCES, source))
    throw new CommandError(`Unknown source ${quoted(source)}. Choose one of: ${Object.keys(SOURCES).join(', ')}.`);
  const where = source === 'all' ? undefined : { dim: 'source', value: source };
  const custom = [...i.guild.emojis.cache.keys()];
  const scope = await parseScope(i, ctx);
  const filter: Filter = { ...scope.filter };
  const notes = [...scope.notes];
  let title = i.guild.name;
  const memberId = snowflakeOption(i, 'member');
  if (memberId !== undefined) {
    assertMayViewMember(i, memberId, ctx.settings.get(i.guildId).memberStatsManagersOnly);
    filter.userId = memberId;
    title = memberId === i.user.id ? i.member.displayName : await memberName(i.guild, memberId);
  }
  const channelId = snowflakeOption(i, 'channel');
  if (channelId !== undefined) {
    if (filter.categoryId !== undefined) throw new CommandError('Pick a channel or a category, not both.');
    // Checked against this server's channels as recorded (never another server's, even by id).
    const c = (await guildChannels(ctx.pool, i.guildId, [channelId])).get(channelId);
    if (!c)
      throw new CommandError(
        "That channel is not one of this server's channels (or the bot has not seen it yet): pick a channel of this server.",
      );
    if (c.type === CATEGORY_TYPE) throw new CommandError(`${c.name} is a category: use the category option.`);
    filter.channelId = channelId;
    title = `#${c.name}${c.deleted ? ' (deleted)' : ''}${memberId !== undefined ? ` · ${title}` : ''}`;
    notes.push('Threads included');
  } else if (scope.categoryName !== undefined) {
    title = `${scope.categoryName}${memberId !== undefined ? ` · ${title}` : ''}`;
  }
  const family = filter.channelId !== undefined || filter.categoryId !== undefined ? 'channel_emojis' : 'emojis';
  const [most, least, unused, total] = await Promise.all([
    topBy(ctx.pool, family, 'uses', 'emoji', p.range, { limit: 10, where, filter }),
    topBy(ctx.pool, family, 'uses', 'emoji', p.range, { limit: 10, order: 'asc', where, filter }),
    // Unused means unused anywhere (by the role's members, with a role): a custom emoji only ever
    // reacted with still earns its slot.
    unusedEmojis(ctx.pool, p.range, custom, filter, family),
    source === 'all' ? familyTotal(ctx.pool, family, 'uses', p.range, filter) : undefined,
  ]);
  if (most.length === 0)
    throw new CommandError(
      `No emoji used ${SOURCES[source]} in the ${p.label} by ${title}${notes.length ? ` (${notes.join('; ')})` : ''} yet.`,
    );
  const label = await emojiLabeler(
    i.guild,
    ctx,
    [...most, ...least].map((r) => r.key),
  );
  const embed = reportEmbed(`${title}: emojis`, [`${p.label}, ${SOURCES[source]}`, ...notes].join('. '));
  if (total !== undefined) embed.addFields({ name: 'Emoji uses', value: formatNumber(total), inline: true });
  embed.addFields(
    { name: 'Custom emojis', value: `${custom.length - unused.length} of ${custom.length} used`, inline: true },
    {
      name: 'Most used',
      value: rankLines(most.map((r) => ({ label: label(r.key).embed, value: formatNumber(r.value) }))),
    },
    {
      name: 'Least used',
      value: rankLines(least.map((r) => ({ label: label(r.key).embed, value: formatNumber(r.value) }))),
    },
    {
      name: `Custom emojis not used (${unused.length})`,
      value: listField(
        unused.map((id) => label(id).embed),
        'Every custom emoji was used.',
      ),
    },
  );
  await replyWithChart(
    i,
    ctx,
    {
      kind: 'bar',
      title: `${title}: most used emojis`,
      subtitle: `${p.label}, ${SOURCES[source]}`,
      rows: most.map((r) => ({ label: label(r.key).chart, value: r.value })),
    },
    embed,
    'emojis',
  );
}

export const emojisCommand: Command = {
  data: addCategoryOption(
    new SlashCommandBuilder()
      .setName('emojis')
      .setDescription('Most and least used emojis, and custom emojis nobody uses')
      .setContexts(InteractionContextType.Guild),
  )
    .addStringOption(periodOption('30d'))
    .addStringOption((o) =>
      o
        .setName('source')
        .setDescription('Where emojis were used (default both)')
        .addChoices(
          { name: 'Messages and reactions', value: 'all' },
          { name: 'In messages', value: 'message' },
          { name: 'As reactions', value: 'reaction' },
        ),
    )
    .addRoleOption((o) => o.setName('role').setDescription('Only members who hold this role now'))
    .addUserOption((o) => o.setName('member').setDescription("One member's emojis"))
    .addChannelOption((o) =>
      o
        .setName('channel')
        .setDescription('Only this channel (its threads included)')
        .addChannelTypes(...STATS_CHANNEL_TYPES),
    )
    .toJSON(),
  handlers: { '': emojis },
};
