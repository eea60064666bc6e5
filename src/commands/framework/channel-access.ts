// The channel a command option names, read from Discord (the option's resolved data only holds this
// server's channels, and says nothing of the bot's access), and the bot's permissions in it computed
// from Discord's current roles and overwrites. For commands that make the bot act on a channel later
// (/counters renames it, /digest posts to it): refused now rather than failing on the scheduler.
import {
  DiscordAPIError,
  Routes,
  type APIChannel,
  type APIGuild,
  type APIGuildMember,
  type APIRole,
  type ChatInputCommandInteraction,
  type SlashCommandChannelOption,
} from 'discord.js';
import { channelPermissions } from '../../discord-permissions.js';
import { CommandError } from './context.js';

type Chat = ChatInputCommandInteraction<'cached'>;
/** The channel types a command option may offer (discord.js does not export the name). */
type ChannelOptionType = Exclude<Parameters<SlashCommandChannelOption['addChannelTypes']>[0], readonly unknown[]>;

/** The required `channel` option that targetChannel reads: `.addChannelOption(targetChannelOption('Text', TYPES))`. */
export function targetChannelOption(
  description: string,
  types: readonly ChannelOptionType[],
): (o: SlashCommandChannelOption) => SlashCommandChannelOption {
  return (o) =>
    o
      .setName('channel')
      .setDescription(description)
      .setRequired(true)
      .addChannelTypes(...types);
}

/**
 * The channel named by the option, read from Discord (not from the option's resolved data, which only holds
 * this server's channels); refused unless it is this server's.
 */
export async function targetChannel(i: Chat): Promise<APIChannel & { guild_id?: string }> {
  const id = String(i.options.get('channel', true).value);
  if (!/^\d{17,20}$/.test(id)) throw new CommandError('That is not a channel.');
  let channel: APIChannel & { guild_id?: string };
  try {
    channel = (await i.client.rest.get(Routes.channel(id))) as APIChannel & { guild_id?: string };
  } catch (err) {
    if (err instanceof DiscordAPIError && (err.status === 403 || err.status === 404))
      throw new CommandError(
        `The bot cannot see <#${id}>: give it the View Channel permission there, or pick another channel.`,
      );
    throw err;
  }
  if (channel.guild_id !== i.guildId) throw new CommandError('That channel is not in this server.');
  return channel;
}

/** The bot's permissions in a channel of this server, computed from Discord's current roles and overwrites. */
export async function botPermissionsIn(
  i: Chat,
  channel: APIChannel & { permission_overwrites?: unknown },
): Promise<bigint> {
  const rest = i.client.rest;
  const [guild, roles, member] = await Promise.all([
    rest.get(Routes.guild(i.guildId)) as Promise<APIGuild>,
    rest.get(Routes.guildRoles(i.guildId)) as Promise<APIRole[]>,
    rest.get(Routes.guildMember(i.guildId, i.client.user.id)) as Promise<APIGuildMember>,
  ]);
  const overwrites = Array.isArray(channel.permission_overwrites) ? channel.permission_overwrites : [];
  return channelPermissions({ guild, roles, member, userId: i.client.user.id, overwrites });
}
