// A member's permissions in a channel from REST objects, as Discord computes them (topics/permissions.mdx,
// "Permission Overwrites"): the guild owner has all; otherwise @everyone's and the member's roles OR-ed,
// Administrator grants all; then the channel's overwrites for @everyone, the member's roles (deny, then
// allow) and the member. For processes without a gateway cache (the scheduler, the interactions service).
import { PermissionFlagsBits, type APIGuild, type APIGuildMember, type APIOverwrite, type APIRole } from 'discord.js';

const ALL = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);

export function channelPermissions(o: {
  guild: Pick<APIGuild, 'id' | 'owner_id'>;
  roles: readonly APIRole[];
  member: Pick<APIGuildMember, 'roles'>;
  userId: string;
  overwrites: readonly APIOverwrite[];
}): bigint {
  if (o.guild.owner_id === o.userId) return ALL;
  let bits = 0n;
  for (const r of o.roles) if (r.id === o.guild.id || o.member.roles.includes(r.id)) bits |= BigInt(r.permissions);
  if (bits & PermissionFlagsBits.Administrator) return ALL;
  const apply = (ow: APIOverwrite | undefined) => {
    if (ow) bits = (bits & ~BigInt(ow.deny)) | BigInt(ow.allow);
  };
  apply(o.overwrites.find((ow) => ow.id === o.guild.id));
  let deny = 0n;
  let allow = 0n;
  for (const ow of o.overwrites) {
    if (ow.type === 0 && ow.id !== o.guild.id && o.member.roles.includes(ow.id)) {
      deny |= BigInt(ow.deny);
      allow |= BigInt(ow.allow);
    }
  }
  bits = (bits & ~deny) | allow;
  apply(o.overwrites.find((ow) => ow.type === 1 && ow.id === o.userId));
  return bits;
}
