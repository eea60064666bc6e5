// Whether the bot may give a role, as Discord decides it: Manage Roles, a role strictly below the bot's
// highest role, not managed (an integration's or bot's own), not @everyone, and the server's own role.
// Pure, over what the caller fetched (the command through discord.js, the job over REST).
import { PermissionFlagsBits } from 'discord.js';

export interface RoleFacts {
  id: string;
  name: string;
  position: number;
  managed: boolean;
  permissions: string;
}

/** Why the bot cannot manage `roleId` in the guild, or undefined when it can. */
export function assignProblem(o: {
  guildId: string;
  roleId: string;
  roles: readonly RoleFacts[];
  botRoleIds: readonly string[];
  ownerIsBot?: boolean;
}): string | undefined {
  if (o.roleId === o.guildId) return '@everyone is every member’s role: it cannot be given by activity.';
  const role = o.roles.find((r) => r.id === o.roleId);
  if (!role) return 'That role is not one of this server’s roles.';
  if (role.managed)
    return `**${role.name}** is managed by an integration or a bot; Discord does not let anyone give it.`;
  if (o.ownerIsBot) return undefined;
  const mine = o.roles.filter((r) => r.id === o.guildId || o.botRoleIds.includes(r.id));
  const perms = mine.reduce((a, r) => a | BigInt(r.permissions), 0n);
  if ((perms & (PermissionFlagsBits.ManageRoles | PermissionFlagsBits.Administrator)) === 0n)
    return 'The bot needs the Manage Roles permission to give activity roles.';
  const top = Math.max(0, ...mine.filter((r) => r.id !== o.guildId).map((r) => r.position));
  if (role.position >= top)
    return `**${role.name}** is at or above the bot’s highest role; move the bot’s role above it in Server Settings → Roles.`;
  return undefined;
}
