// PUT and DELETE /guilds/{guild}/members/{user}/roles/{role} as Discord answers them (resources/guild.mdx,
// "Add Guild Member Role", "Remove Guild Member Role"): 204 on success, also when nothing changes; 404 for
// an unknown guild (10004), member (10007) or role (10011); 403 Missing Permissions (50013) when the bot
// lacks Manage Roles, or the role is at or above the bot's highest role, or is managed (an integration's
// or a bot's own role), or is @everyone. A change dispatches GUILD_MEMBER_UPDATE and is recorded in the
// ground truth with the X-Audit-Log-Reason header (URL-encoded, as Discord reads it), as the audit log
// would show it. The route's bucket and the global limit are the REST limiter's (rate-limits.ts).
import { PermissionFlagsBits, RESTJSONErrorCodes } from 'discord-api-types/v10';
import { memberPermissions } from './permissions.js';
import type { StructureDriver } from './structure.js';
import type { World } from './world.js';

export interface MemberRoleChange {
  guildId: string;
  userId: string;
  roleId: string;
  action: 'add' | 'remove';
  /** The audit-log reason, decoded; null without the header. */
  reason: string | null;
  at: number;
}

export interface MemberRoleReply {
  status: number;
  body: unknown;
}

const err = (status: number, code: number, message: string): MemberRoleReply => ({ status, body: { code, message } });

export class MemberRoleEditor {
  /** Every change the API made, in order (requests that changed nothing are not changes). */
  readonly changes: MemberRoleChange[] = [];

  constructor(private readonly o: { world: World; structure: StructureDriver }) {}

  change(
    method: 'PUT' | 'DELETE',
    guildId: string,
    userId: string,
    roleId: string,
    reasonHeader: string | undefined,
    now = Date.now(),
  ): MemberRoleReply {
    const { world } = this.o;
    const g = world.guild(guildId);
    if (!g) return err(404, RESTJSONErrorCodes.UnknownGuild, 'Unknown Guild');
    const m = g.members.get(userId);
    if (!m) return err(404, RESTJSONErrorCodes.UnknownMember, 'Unknown Member');
    const role = g.roles.find((r) => r.id === roleId);
    if (!role) return err(404, RESTJSONErrorCodes.UnknownRole, 'Unknown Role');
    const bot = g.members.get(world.botUser.id);
    const botTop = Math.max(0, ...g.roles.filter((r) => bot?.roles.includes(r.id)).map((r) => r.position));
    const allowed =
      bot !== undefined &&
      (g.ownerId === world.botUser.id ||
        ((memberPermissions(g, world.botUser.id) & PermissionFlagsBits.ManageRoles) !== 0n &&
          role.position < botTop &&
          !role.managed &&
          role.id !== g.id));
    if (!allowed) return err(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
    const has = m.roles.includes(roleId);
    const action = method === 'PUT' ? 'add' : 'remove';
    if ((action === 'add') !== has) {
      this.o.structure.setMemberRoles(guildId, userId, action === 'add' ? { add: [roleId] } : { remove: [roleId] });
      let reason: string | null = null;
      if (reasonHeader !== undefined) {
        try {
          reason = decodeURIComponent(reasonHeader);
        } catch {
          reason = reasonHeader;
        }
      }
      this.changes.push({ guildId, userId, roleId, action, reason, at: now });
    }
    return { status: 204, body: null };
  }
}
