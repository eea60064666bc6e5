// Permissions as Discord computes them for a member (no channel overwrites exist in the simulated world):
// the OR of @everyone's and the member's roles; Administrator, or owning the guild, grants everything.
// https://discord.com/developers/docs/topics/permissions#permission-overwrites
import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { SimGuild } from './world.js';

const ALL = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);

/** The member's guild-level permissions, or 0 when the user is not a member. */
export function memberPermissions(g: SimGuild, userId: string): bigint {
  const m = g.members.get(userId);
  if (!m) return 0n;
  if (g.ownerId === userId) return ALL;
  let bits = 0n;
  for (const r of g.roles) if (r.id === g.id || m.roles.includes(r.id)) bits |= BigInt(r.permissions);
  return bits & PermissionFlagsBits.Administrator ? ALL : bits;
}

/** Whether the user may manage the guild (Manage Server, or Administrator): invites and the vanity URL. */
export function canManageGuild(g: SimGuild, userId: string): boolean {
  return (memberPermissions(g, userId) & PermissionFlagsBits.ManageGuild) !== 0n;
}
