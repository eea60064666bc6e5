// Permissions as Discord computes them for a member: the OR of @everyone's and the member's roles
// (Administrator, or owning the guild, grants everything), then a channel's permission overwrites.
// https://discord.com/developers/docs/topics/permissions#permission-overwrites
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { ChannelKind, type SimChannel, type SimGuild } from './world.js';

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

/**
 * The member's permissions in a channel, as Discord computes them: guild permissions, then the channel's
 * @everyone overwrite, the member's roles' overwrites (denies, then allows, combined), the member's own
 * overwrite. Administrator (and ownership) bypass overwrites; a thread uses its parent's.
 */
export function channelPermissions(g: SimGuild, channel: SimChannel, userId: string): bigint {
  const base = memberPermissions(g, userId);
  if (base === ALL) return ALL;
  const source =
    channel.type === ChannelKind.PublicThread
      ? (g.channels.find((c) => c.id === channel.parentId) ?? channel)
      : channel;
  const ows = source.overwrites ?? [];
  const member = g.members.get(userId);
  let bits = base;
  const everyone = ows.find((o) => o.type === 0 && o.id === g.id);
  if (everyone) bits = (bits & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let deny = 0n;
  let allow = 0n;
  for (const o of ows) {
    if (o.type !== 0 || o.id === g.id || !member?.roles.includes(o.id)) continue;
    deny |= BigInt(o.deny);
    allow |= BigInt(o.allow);
  }
  bits = (bits & ~deny) | allow;
  const own = ows.find((o) => o.type === 1 && o.id === userId);
  if (own) bits = (bits & ~BigInt(own.deny)) | BigInt(own.allow);
  return bits;
}
