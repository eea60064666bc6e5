// Who may see what, with the commands' own policy (src/commands/framework/permissions.ts): a server's pages need
// Administrator, Manage Server or View Server Insights (narrowed to the first two by /settings
// member-stats), a member always sees their own page, and settings need Manage Server as /settings does.
// Permissions are those Discord computed for the member (GET /users/@me/guilds), re-read every minute.
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { mayViewMemberInsights } from '../commands/framework/permissions.js';
import type { UserGuild } from './discord.js';

export interface Access {
  /** Every page of the server (all members' statistics). */
  server: boolean;
  /** The settings page. */
  manage: boolean;
}

export function accessOf(g: Pick<UserGuild, 'permissions' | 'owner'>, managersOnly: boolean): Access {
  const perms = new PermissionsBitField(g.owner ? PermissionsBitField.All : BigInt(g.permissions));
  return { server: mayViewMemberInsights(perms, managersOnly), manage: perms.has(PermissionFlagsBits.ManageGuild) };
}
