// Structure changes as server admins make them: the server renamed, channels and categories created, renamed, moved and
// deleted, roles created, renamed and deleted, roles given to and taken from members. Each change updates
// the world first (so a later GUILD_CREATE or member chunk carries it, as on Discord), then dispatches
// what Discord sends: GUILD_UPDATE, CHANNEL_CREATE/UPDATE/DELETE (THREAD_DELETE for threads), GUILD_ROLE_CREATE/UPDATE/
// DELETE, GUILD_MEMBER_UPDATE. Deleting a role takes it off every member without member updates, as
// Discord does. The world itself is the ground truth.
import { GatewayDispatchEvents } from 'discord-api-types/v10';
import type { GuildEventSink } from './driver.js';
import { channelJson, guildJson, memberJson, roleJson } from './payloads.js';
import { ChannelKind, type ChannelKindValue, type SimChannel, type SimGuild, type SimRole } from './world.js';

export interface NewChannel {
  type: ChannelKindValue;
  name: string;
  parentId?: string | null;
}

export class StructureDriver {
  constructor(
    private readonly sim: GuildEventSink,
    private readonly newId: () => string,
  ) {}

  private guild(guildId: string): SimGuild {
    const g = this.sim.world.guild(guildId);
    if (!g) throw new Error(`unknown guild ${guildId}`);
    return g;
  }

  private channelOf(g: SimGuild, channelId: string): SimChannel {
    const c = g.channels.find((x) => x.id === channelId);
    if (!c) throw new Error(`channel ${channelId} is not in guild ${g.id}`);
    return c;
  }

  /** Renames the server (GUILD_UPDATE carries the whole guild object, as on Discord). */
  renameGuild(guildId: string, name: string): void {
    const g = this.guild(guildId);
    g.name = name;
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildUpdate, guildJson(g));
  }

  createChannel(guildId: string, c: NewChannel): SimChannel {
    const g = this.guild(guildId);
    const position = g.channels.filter((x) => x.type !== ChannelKind.PublicThread).length;
    const ch: SimChannel = {
      id: this.newId(),
      guildId,
      type: c.type,
      name: c.name,
      position: c.type === ChannelKind.PublicThread ? 0 : position,
      parentId: c.parentId ?? null,
      topic: null,
      nsfw: false,
    };
    g.channels.push(ch);
    this.sim.world.addChannel(ch);
    const event =
      ch.type === ChannelKind.PublicThread ? GatewayDispatchEvents.ThreadCreate : GatewayDispatchEvents.ChannelCreate;
    this.sim.dispatchGuildEvent(guildId, event, channelJson(ch));
    return ch;
  }

  /** Renames and/or moves a channel (another category, or none). */
  updateChannel(guildId: string, channelId: string, change: { name?: string; parentId?: string | null }): SimChannel {
    const ch = this.channelOf(this.guild(guildId), channelId);
    if (change.name !== undefined) ch.name = change.name;
    if (change.parentId !== undefined) ch.parentId = change.parentId;
    const event =
      ch.type === ChannelKind.PublicThread ? GatewayDispatchEvents.ThreadUpdate : GatewayDispatchEvents.ChannelUpdate;
    this.sim.dispatchGuildEvent(guildId, event, channelJson(ch));
    return ch;
  }

  deleteChannel(guildId: string, channelId: string): void {
    const g = this.guild(guildId);
    const ch = this.channelOf(g, channelId);
    g.channels.splice(g.channels.indexOf(ch), 1);
    this.sim.world.removeChannel(ch.id);
    if (ch.type === ChannelKind.PublicThread) {
      this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.ThreadDelete, {
        id: ch.id,
        guild_id: guildId,
        parent_id: ch.parentId,
        type: ch.type,
      });
    } else {
      this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.ChannelDelete, channelJson(ch));
    }
  }

  createRole(guildId: string, name: string, color = 0): SimRole {
    const g = this.guild(guildId);
    const role: SimRole = {
      id: this.newId(),
      name,
      color,
      position: 1,
      permissions: '0',
      hoist: false,
      mentionable: false,
      managed: false,
    };
    g.roles.push(role);
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildRoleCreate, {
      guild_id: guildId,
      role: roleJson(role),
    });
    return role;
  }

  updateRole(
    guildId: string,
    roleId: string,
    change: { name?: string; color?: number; position?: number; permissions?: string; managed?: boolean },
  ): SimRole {
    const role = this.guild(guildId).roles.find((r) => r.id === roleId);
    if (!role) throw new Error(`role ${roleId} is not in guild ${guildId}`);
    if (change.name !== undefined) role.name = change.name;
    if (change.color !== undefined) role.color = change.color;
    if (change.position !== undefined) role.position = change.position;
    if (change.permissions !== undefined) role.permissions = change.permissions;
    if (change.managed !== undefined) role.managed = change.managed;
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildRoleUpdate, {
      guild_id: guildId,
      role: roleJson(role),
    });
    return role;
  }

  /** Deletes a role: members lose it silently (no GUILD_MEMBER_UPDATE), as on Discord. */
  deleteRole(guildId: string, roleId: string): void {
    const g = this.guild(guildId);
    const i = g.roles.findIndex((r) => r.id === roleId);
    if (i < 0 || roleId === guildId) throw new Error(`role ${roleId} cannot be deleted from guild ${guildId}`);
    g.roles.splice(i, 1);
    for (const m of g.members.values()) m.roles = m.roles.filter((r) => r !== roleId);
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildRoleDelete, { guild_id: guildId, role_id: roleId });
  }

  /** Gives roles to and takes roles from a member: one GUILD_MEMBER_UPDATE with the member's roles now. */
  setMemberRoles(guildId: string, userId: string, change: { add?: string[]; remove?: string[] }): string[] {
    const g = this.guild(guildId);
    const m = g.members.get(userId);
    if (!m) throw new Error(`user ${userId} is not a member of guild ${guildId}`);
    for (const r of change.add ?? []) {
      if (!g.roles.some((x) => x.id === r) || r === guildId)
        throw new Error(`role ${r} is not assignable in guild ${guildId}`);
      if (!m.roles.includes(r)) m.roles.push(r);
    }
    m.roles = m.roles.filter((r) => !(change.remove ?? []).includes(r));
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildMemberUpdate, {
      ...memberJson(m),
      guild_id: guildId,
    });
    return [...m.roles];
  }

  /** Changes a member's nickname (null: back to their own name). */
  setNickname(guildId: string, userId: string, nick: string | null): void {
    const g = this.guild(guildId);
    const m = g.members.get(userId);
    if (!m) throw new Error(`user ${userId} is not a member of guild ${guildId}`);
    m.nick = nick;
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildMemberUpdate, {
      ...memberJson(m),
      guild_id: guildId,
    });
  }
}
