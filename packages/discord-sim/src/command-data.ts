// The `data` of an application-command INTERACTION_CREATE as Discord builds it: chat-input commands with
// subcommands, groups and options (users, members, roles and channels named by an option arrive resolved,
// members and channels with the invoker's computed `permissions`), and user / message context menus.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-resolved-data-structure
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  type APIChatInputApplicationCommandInteractionData,
  type APIContextMenuInteractionData,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandInteractionDataSubcommandOption,
  type APIInteractionDataResolved,
  type APIInteractionDataResolvedChannel,
  type APIInteractionDataResolvedGuildMember,
  type InteractionType,
} from 'discord-api-types/v10';
import { messageCreateJson } from './messages.js';
import { memberWithoutUserJson, roleJson, threadJson, userJson } from './payloads.js';
import { memberPermissions } from './permissions.js';
import { ChannelKind, type SimChannel, type SimGuild, type World } from './world.js';

export interface CommandOption {
  name: string;
  /** ApplicationCommandOptionType: 3 string, 4 integer, 5 boolean, 6 user, 7 channel, 8 role, 10 number. */
  type: number;
  value: string | number | boolean;
}

/** A member invoking one of the bot's commands (see Simulator.invokeCommand). */
export interface InvokeCommand {
  guildId: string;
  channelId: string;
  userId: string;
  name: string;
  subcommand?: string;
  /** Subcommand group holding `subcommand` ("/config logging set"). */
  subcommandGroup?: string;
  options?: CommandOption[];
  /** 1 chat input (default), 2 user context menu, 3 message context menu. */
  commandType?: 1 | 2 | 3;
  /** Context menus: the user or message acted on (default: the invoker, or a fresh message id). */
  targetId?: string;
  timeoutMs?: number;
  /** The invoking member's permission bitfield (decimal string) instead of the one their roles give. */
  permissions?: string;
}

/** The command as a bot records it: name, group and subcommand joined by spaces. */
export function invokedCommandName(c: InvokeCommand): string {
  if ((c.commandType ?? 1) !== 1) return c.name;
  return [c.name, c.subcommandGroup, c.subcommand].filter((p): p is string => !!p).join(' ');
}

export interface CommandDataContext {
  world: World;
  /** The registered command's id (Discord sends it), or a fresh one. */
  commandId: string;
  newId: () => string;
  attachmentsUrl: string;
}

/** The invoker's computed permissions as Discord sends them: `c.permissions` when a test overrides them. */
export function invokerPermissions(g: SimGuild, c: Pick<InvokeCommand, 'userId' | 'permissions'>): string {
  return c.permissions ?? memberPermissions(g, c.userId).toString();
}

/** What invokeCommand sends: chat input, user or message command data (never an entry-point command). */
export type CommandData = APIChatInputApplicationCommandInteractionData | APIContextMenuInteractionData;

export function commandData(c: InvokeCommand, x: CommandDataContext): CommandData {
  const guild = x.world.guild(c.guildId);
  if (!guild) throw new Error(`unknown guild ${c.guildId}`);
  const base = { id: x.commandId, name: c.name, guild_id: c.guildId };
  const type = c.commandType ?? 1;
  if (type === ApplicationCommandType.ChatInput) {
    // Options are the caller's, typed by their `type` field as Discord's are.
    const basic = (c.options ??
      []) as APIApplicationCommandInteractionDataBasicOption<InteractionType.ApplicationCommand>[];
    let options: APIApplicationCommandInteractionDataOption<InteractionType.ApplicationCommand>[] = basic;
    if (c.subcommand) {
      const sub: APIApplicationCommandInteractionDataSubcommandOption<InteractionType.ApplicationCommand> = {
        name: c.subcommand,
        type: ApplicationCommandOptionType.Subcommand,
        options: basic,
      };
      options = c.subcommandGroup
        ? [{ name: c.subcommandGroup, type: ApplicationCommandOptionType.SubcommandGroup, options: [sub] }]
        : [sub];
    }
    const resolved = resolveOptions(c, guild, x.world);
    return { ...base, type: ApplicationCommandType.ChatInput, options, ...(resolved ? { resolved } : {}) };
  }
  if (type === ApplicationCommandType.User) {
    const target = guild.members.get(c.targetId ?? c.userId);
    if (!target) throw new Error(`context-menu target ${c.targetId} is not a member of guild ${c.guildId}`);
    return {
      ...base,
      type: ApplicationCommandType.User,
      target_id: target.user.id,
      resolved: {
        users: { [target.user.id]: userJson(target.user) },
        members: { [target.user.id]: resolvedMember(guild, target.user.id) },
      },
    };
  }
  const id = c.targetId ?? x.newId();
  const author = x.world.humanMembers(c.guildId)[0]!;
  const channel = x.world.channel(c.channelId)!;
  const message = messageCreateJson(
    {
      id,
      guild,
      channel,
      authorId: author.user.id,
      content: 'message acted on',
      attachments: 0,
      webhook: false,
      timestamp: Date.now(),
    },
    x.attachmentsUrl,
  );
  return { ...base, type: ApplicationCommandType.Message, target_id: id, resolved: { messages: { [id]: message } } };
}

/** A member named by an option: without its user (that is in `users`), with the permissions it holds. */
function resolvedMember(g: SimGuild, userId: string): APIInteractionDataResolvedGuildMember {
  const m = g.members.get(userId)!;
  const { deaf: _d, mute: _m, ...member } = memberWithoutUserJson(m);
  return { ...member, permissions: memberPermissions(g, userId).toString() };
}

/** A channel named by an option, with the invoker's permissions in it (no overwrites exist in the world). */
function resolvedChannel(ch: SimChannel, c: InvokeCommand, g: SimGuild): APIInteractionDataResolvedChannel {
  const permissions = invokerPermissions(g, c);
  if (ch.type !== ChannelKind.PublicThread) return { id: ch.id, name: ch.name, type: ch.type, permissions };
  const { thread_metadata, parent_id } = threadJson(ch);
  return {
    id: ch.id,
    name: ch.name,
    type: ch.type,
    permissions,
    parent_id,
    ...(thread_metadata ? { thread_metadata } : {}),
  };
}

function resolveOptions(c: InvokeCommand, g: SimGuild, world: World): APIInteractionDataResolved | undefined {
  const r: Required<Pick<APIInteractionDataResolved, 'users' | 'members' | 'roles' | 'channels'>> = {
    users: {},
    members: {},
    roles: {},
    channels: {},
  };
  for (const o of c.options ?? []) {
    const v = String(o.value);
    if (o.type === ApplicationCommandOptionType.User || o.type === ApplicationCommandOptionType.Mentionable) {
      const m = g.members.get(v);
      const user = m?.user ?? [...world.guilds.values()].find((x) => x.members.has(v))?.members.get(v)?.user;
      if (user) r.users[v] = userJson(user);
      if (m) r.members[v] = resolvedMember(g, v);
    }
    if (o.type === ApplicationCommandOptionType.Role || o.type === ApplicationCommandOptionType.Mentionable) {
      const role = g.roles.find((x) => x.id === v);
      if (role) r.roles[v] = roleJson(role);
    }
    if (o.type === ApplicationCommandOptionType.Channel) {
      const ch = world.channel(v);
      if (ch && ch.guildId === g.id) r.channels[v] = resolvedChannel(ch, c, g);
    }
  }
  const out: APIInteractionDataResolved = {};
  for (const k of ['users', 'members', 'roles', 'channels'] as const)
    if (Object.keys(r[k]).length) Object.assign(out, { [k]: r[k] });
  return Object.keys(out).length ? out : undefined;
}
