// The `role` and `category` options of the statistics commands: builders, and parsers that check the value
// against this server's roles and channels as recorded in PostgreSQL (never the gateway cache, which the
// interactions service does not have). A role or category of another server, a deleted role or a channel
// that is not a category is a clear error, never another server's data.
import type { ChatInputCommandInteraction, SlashCommandBuilder, SlashCommandSubcommandBuilder } from 'discord.js';
import { ChannelType } from 'discord.js';
import type { Filter } from '../../stats/scope.js';
import { CATEGORY_TYPE, guildChannels, guildRole, roleHolders } from '../../stats/structure.js';
import { CommandError, type CommandContext } from './context.js';
import { countOf } from './report.js';
import { snowflakeOption } from './options.js';

type OptionHost = SlashCommandSubcommandBuilder | SlashCommandBuilder;

export function addRoleOption<T extends OptionHost>(b: T): T {
  b.addRoleOption((o) => o.setName('role').setDescription('Only members who hold this role now'));
  return b;
}

export function addCategoryOption<T extends OptionHost>(b: T, required = false): T {
  b.addChannelOption((o) =>
    o
      .setName('category')
      .setDescription('Only channels in this category (their threads included)')
      .addChannelTypes(ChannelType.GuildCategory)
      .setRequired(required),
  );
  return b;
}

export interface ScopeChoice {
  filter: Pick<Filter, 'roleId' | 'categoryId'>;
  /** What the answer is limited to, said in it ("Members with @Mods now (12)"). */
  notes: string[];
  /** The category's name, when one was chosen. */
  categoryName?: string;
}

/** Reads `role` and `category` (either may be absent from the command). */
export async function parseScope(i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext): Promise<ScopeChoice> {
  const out: ScopeChoice = { filter: {}, notes: [] };
  const roleId = snowflakeOption(i, 'role');
  if (roleId !== undefined) {
    const role = await guildRole(ctx.pool, i.guildId, roleId);
    if (!role)
      throw new CommandError(
        "That role is not one of this server's roles (or the bot has not seen it yet): pick a role of this server.",
      );
    if (role.deleted)
      throw new CommandError(`The role @${role.name} was deleted: nobody holds it any more. Pick a current role.`);
    const holders = await roleHolders(ctx.pool, i.guildId, roleId);
    out.filter.roleId = roleId;
    out.notes.push(
      roleId === i.guildId
        ? `Members now in the server (${holders})`
        : `Only members who hold @${role.name} now (${countOf(holders, 'member')})`,
    );
  }
  const categoryId = snowflakeOption(i, 'category');
  if (categoryId !== undefined) {
    const c = (await guildChannels(ctx.pool, i.guildId, [categoryId])).get(categoryId);
    if (!c)
      throw new CommandError(
        "That category is not one of this server's channels (or the bot has not seen it yet): pick a category of this server.",
      );
    if (c.type !== CATEGORY_TYPE)
      throw new CommandError(`#${c.name} is not a category: pick a category (or use the channel option).`);
    out.filter.categoryId = categoryId;
    out.categoryName = c.deleted ? `${c.name} (deleted)` : c.name;
    out.notes.push(`Category ${out.categoryName}, threads included`);
  }
  return out;
}
