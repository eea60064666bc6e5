// GUILD_MEMBER_ADD / GUILD_MEMBER_REMOVE -> join and leave events; INVITE_CREATE / INVITE_DELETE and guild
// availability keep the invite snapshots current for join attribution (src/shard/invites). A join waits
// only for its guild's invite fetch-and-diff, off the gateway path; the event write is never awaited.
// Leaves carry no timestamp from Discord: they are stamped on arrival. The member may be uncached
// (Partials.GuildMember), which is fine: only the user id and its creation time are read.
import { Events, type Client, type GuildMember, type PartialGuildMember } from 'discord.js';
import type { MemberEvent } from '../../member-events.js';
import { gatewayEvents } from '../../metrics.js';
import { UNKNOWN } from '../invites/attribution.js';
import type { MemberEventWriter } from '../invites/event-writer.js';
import type { InviteTracker } from '../invites/tracker.js';
import type { Tracking } from '../../privacy.js';

export function collectMembers(
  client: Client,
  tracker: InviteTracker,
  events: MemberEventWriter,
  privacy?: Tracking,
): void {
  // Fires for every guild of a (re)identified shard, before the shard's queued dispatches are emitted,
  // and GuildCreate for guilds joined later: the snapshot is in place before the next join is diffed.
  client.on(Events.GuildAvailable, (guild) => void tracker.refresh(guild));
  client.on(Events.GuildCreate, (guild) => void tracker.refresh(guild));
  // Only a real removal (kicked, guild deleted): an outage is GuildUnavailable.
  client.on(Events.GuildDelete, (guild) => tracker.guildRemoved(guild.id));
  client.on(Events.InviteCreate, (invite) => tracker.inviteCreated(invite));
  client.on(Events.InviteDelete, (invite) => tracker.inviteDeleted(invite));

  client.on(Events.GuildMemberAdd, (member) => {
    gatewayEvents.inc({ type: 'GUILD_MEMBER_ADD', shard: member.guild.shardId });
    const base = eventOf(member, 'join', member.joinedTimestamp ?? Date.now());
    // Bots arrive through an OAuth2 grant, never an invite: nothing to diff.
    if (member.user.bot) return events.add({ ...base, ...UNKNOWN });
    const attributed = tracker.attribute(member.guild, member.joinedTimestamp);
    // An opted-out member's join is not recorded, but it is diffed: its use must not be credited to another join.
    if (privacy && !privacy.tracked(member.guild.id, member.id)) return;
    void attributed.then(
      (a) => events.add({ ...base, ...a }),
      () => events.add({ ...base, ...UNKNOWN }),
    );
  });

  client.on(Events.GuildMemberRemove, (member) => {
    gatewayEvents.inc({ type: 'GUILD_MEMBER_REMOVE', shard: member.guild.shardId });
    if (privacy && !privacy.tracked(member.guild.id, member.id)) return;
    events.add({ ...eventOf(member, 'leave', Date.now()), attribution: null, inviterId: null, inviteCode: null });
  });
}

function eventOf(
  member: GuildMember | PartialGuildMember,
  kind: 'join' | 'leave',
  at: number,
): Omit<MemberEvent, 'attribution' | 'inviterId' | 'inviteCode'> {
  return {
    at,
    guildId: member.guild.id,
    userId: member.id,
    kind,
    accountCreatedAt: member.user.createdTimestamp,
    bot: member.user.bot,
  };
}
