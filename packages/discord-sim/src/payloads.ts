// World objects rendered as Discord API v10 JSON, typed by Discord's own definitions (discord-api-types).
// Field sets follow what clients read: anything discord.js dereferences unconditionally must be present,
// and REST bodies are checked against Discord's OpenAPI spec in the package's tests (test/spec.test.ts).
import { createHash } from 'node:crypto';
import {
  ActivityType,
  ChannelType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildFeature,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  InviteType,
  Locale,
  ThreadAutoArchiveDuration,
  type APIChannel,
  type APIEmoji,
  type APIExtendedInvite,
  type APIGuild,
  type APIGuildMember,
  type APIRole,
  type APIUser,
  type APIVoiceState,
  type GatewayActivity,
  type GatewayGuildCreateDispatchData,
  type GatewayGuildMemberAddDispatchData,
  type GatewayGuildMemberRemoveDispatchData,
  type GatewayInviteCreateDispatchData,
  type GatewayInviteDeleteDispatchData,
  type GatewayPresenceUpdate,
  type GatewayVoiceStateUpdateDispatchData,
  type ChannelFlags,
  type GuildMemberFlags,
  type PresenceUpdateReceiveStatus,
  type RoleFlags,
  type ThreadChannelType,
  type UserFlags,
  type GuildChannelType,
} from 'discord-api-types/v10';
import {
  ChannelKind,
  type SimActivity,
  type SimChannel,
  type SimEmoji,
  type SimGuild,
  type SimInvite,
  type SimMember,
  type SimPresence,
  type SimRole,
  type SimUser,
  type SimVoiceState,
} from './world.js';
import { snowflakeTimestamp } from './snowflake.js';

/** A member without its user, as inside MESSAGE_CREATE (the user is the author) and mentions. */
export type MemberWithoutUser = Omit<APIGuildMember, 'user'>;
/** GUILD_CREATE's split of the guild's channels. */
export type GuildChannelJson = APIChannel & { type: Exclude<GuildChannelType, ThreadChannelType> };
export type ThreadChannelJson = APIChannel & { type: ThreadChannelType };

export function userJson(u: SimUser): APIUser {
  return {
    id: u.id,
    username: u.username,
    global_name: u.globalName,
    discriminator: '0',
    avatar: u.avatar,
    bot: u.bot,
    system: false,
    public_flags: 0 as UserFlags,
    flags: 0 as UserFlags,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
}

export function memberWithoutUserJson(m: SimMember): MemberWithoutUser {
  return {
    roles: m.roles,
    nick: m.nick,
    avatar: null,
    banner: null,
    joined_at: m.joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    pending: false,
    communication_disabled_until: null,
  };
}

export function memberJson(m: SimMember): APIGuildMember {
  return { ...memberWithoutUserJson(m), user: userJson(m.user) };
}

export function roleJson(r: SimRole): APIRole {
  return {
    id: r.id,
    name: r.name,
    color: r.color,
    colors: { primary_color: r.color, secondary_color: null, tertiary_color: null },
    hoist: r.hoist,
    icon: null,
    unicode_emoji: null,
    position: r.position,
    permissions: r.permissions,
    managed: r.managed,
    mentionable: r.mentionable,
    flags: 0 as RoleFlags,
    ...(r.botId ? { tags: { bot_id: r.botId } } : {}),
  };
}

export function threadJson(c: SimChannel): ThreadChannelJson {
  const created = new Date(snowflakeTimestamp(c.id)).toISOString();
  return {
    id: c.id,
    guild_id: c.guildId,
    type: ChannelType.PublicThread,
    name: c.name,
    parent_id: c.parentId ?? undefined,
    flags: 0 as ChannelFlags,
    owner_id: c.ownerId,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    applied_tags: [],
    thread_metadata: {
      archived: false,
      auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
      archive_timestamp: created,
      locked: false,
      create_timestamp: created,
    },
  };
}

export function guildChannelJson(c: SimChannel): GuildChannelJson {
  const base = {
    id: c.id,
    guild_id: c.guildId,
    name: c.name,
    parent_id: c.parentId,
    flags: 0 as ChannelFlags,
    position: c.position,
    permission_overwrites: (c.overwrites ?? []).map((o) => ({ ...o })),
    nsfw: c.nsfw,
  };
  switch (c.type) {
    case ChannelKind.Text:
    case ChannelKind.Announcement:
      return {
        ...base,
        type: c.type === ChannelKind.Text ? ChannelType.GuildText : ChannelType.GuildAnnouncement,
        topic: c.topic,
        last_message_id: null,
        rate_limit_per_user: 0,
        default_auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
      };
    case ChannelKind.Voice:
      return {
        ...base,
        type: ChannelType.GuildVoice,
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        last_message_id: null,
        rate_limit_per_user: 0,
      };
    case ChannelKind.Category:
      return { ...base, type: ChannelType.GuildCategory, parent_id: null };
    case ChannelKind.Forum:
      return {
        ...base,
        type: ChannelType.GuildForum,
        topic: c.topic,
        last_message_id: null,
        rate_limit_per_user: 0,
        default_auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
        available_tags: [],
        default_reaction_emoji: null,
        default_sort_order: null,
        default_forum_layout: 0,
        default_thread_rate_limit_per_user: 0,
      };
    case ChannelKind.PublicThread:
      throw new Error(`channel ${c.id} is a thread (threadJson)`);
  }
}

export function channelJson(c: SimChannel): APIChannel {
  return c.type === ChannelKind.PublicThread ? threadJson(c) : guildChannelJson(c);
}

export function emojiJson(e: SimEmoji): APIEmoji {
  return {
    id: e.id,
    name: e.name,
    animated: e.animated,
    roles: [],
    require_colons: true,
    managed: false,
    available: true,
  };
}

export function guildJson(g: SimGuild): APIGuild {
  return {
    id: g.id,
    name: g.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: g.ownerId,
    application_id: null,
    afk_channel_id: g.afkChannelId,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: GuildVerificationLevel.Low,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.AllMembers,
    mfa_level: GuildMFALevel.None,
    nsfw_level: GuildNSFWLevel.Default,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    system_channel_id: null,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: g.vanity?.code ?? null,
    preferred_locale: Locale.EnglishUS,
    features: g.vanity ? [GuildFeature.VanityURL] : [],
    max_members: 500000,
    max_presences: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    hub_type: null,
    roles: g.roles.map(roleJson),
    emojis: g.emojis.map(emojiJson),
    stickers: [],
    incidents_data: null,
  };
}

export interface GuildCreateOptions {
  /** The members Discord sends this session (see Gateway.guildCreate for which). */
  members: SimMember[];
  largeThreshold: number;
  joinedAt: string;
}

export function guildCreateJson(g: SimGuild, o: GuildCreateOptions): GatewayGuildCreateDispatchData {
  const sent = new Set(o.members.map((m) => m.user.id));
  return {
    ...guildJson(g),
    unavailable: false,
    large: g.members.size > o.largeThreshold,
    member_count: g.members.size,
    joined_at: o.joinedAt,
    channels: g.channels.filter((c) => c.type !== ChannelKind.PublicThread).map(guildChannelJson),
    threads: g.channels.filter((c) => c.type === ChannelKind.PublicThread).map(threadJson),
    members: o.members.map(memberJson),
    voice_states: [...g.voiceStates].map(([userId, vs]) => guildVoiceStateJson(userId, vs)),
    // Presences come with the members Discord sends (gateway-events.mdx, "Guild Create").
    presences: [...g.presences]
      .filter(([userId]) => sent.has(userId))
      .map(([userId, p]) => presenceJson(userId, p, g.id)),
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

/** A voice state as in GUILD_CREATE: no guild_id and no member, as on Discord. */
export function guildVoiceStateJson(
  userId: string,
  vs: SimVoiceState,
): GatewayGuildCreateDispatchData['voice_states'][number] {
  return {
    channel_id: vs.channelId,
    user_id: userId,
    session_id: vs.sessionId,
    deaf: vs.deaf,
    mute: vs.mute,
    self_deaf: vs.selfDeaf,
    self_mute: vs.selfMute,
    self_stream: vs.selfStream,
    self_video: vs.selfVideo,
    suppress: false,
    request_to_speak_timestamp: null,
  };
}

/**
 * VOICE_STATE_UPDATE: the state with guild_id and the member (with its user, which discord.js needs);
 * `channelId` null for a leave.
 */
export function voiceStateUpdateJson(
  userId: string,
  vs: Omit<SimVoiceState, 'channelId'> & { channelId: string | null },
  guildId: string,
  member: SimMember,
): GatewayVoiceStateUpdateDispatchData {
  const j: APIVoiceState = {
    ...guildVoiceStateJson(userId, { ...vs, channelId: vs.channelId ?? '' }),
    channel_id: vs.channelId,
    guild_id: guildId,
    member: memberJson(member),
  };
  return j;
}

/**
 * An activity's id. Discord's are opaque strings ("custom" for a custom status); this one is derived from
 * the activity so the same game keeps its id across updates.
 */
export function activityId(a: Pick<SimActivity, 'name' | 'type' | 'applicationId'>): string {
  if (a.type === ActivityType.Custom) return 'custom';
  return createHash('sha1')
    .update(`${a.type}|${a.applicationId ?? ''}|${a.name}`)
    .digest('hex')
    .slice(0, 16);
}

export function activityJson(a: SimActivity): GatewayActivity {
  return {
    id: activityId(a),
    name: a.name,
    type: a.type as ActivityType,
    created_at: a.createdAt,
    ...(a.applicationId ? { application_id: a.applicationId } : {}),
    ...(a.type === ActivityType.Custom ? { state: a.name } : {}),
  };
}

/** A presence as in GUILD_CREATE (user id only) or PRESENCE_UPDATE (full user). */
export function presenceJson(userId: string, p: SimPresence, guildId: string, user?: SimUser): GatewayPresenceUpdate {
  return {
    user: user ? userJson(user) : { id: userId },
    guild_id: guildId,
    status: p.status as PresenceUpdateReceiveStatus,
    activities: p.activities.map(activityJson),
    client_status: p.status === 'offline' ? {} : { desktop: p.status as PresenceUpdateReceiveStatus },
  };
}

/** When an invite stops working (max_age after creation), or null. */
export function inviteExpiresAt(inv: SimInvite): number | null {
  return inv.maxAge > 0 ? inv.createdAt + inv.maxAge * 1000 : null;
}

/** GET /guilds/{id}/invites: an invite with metadata (uses, limits, inviter, creation). */
export function inviteJson(inv: SimInvite, g: SimGuild, channel: SimChannel): APIExtendedInvite & { guild_id: string } {
  const inviter = inv.inviterId ? g.members.get(inv.inviterId)?.user : undefined;
  const expires = inviteExpiresAt(inv);
  // nsfw is required by the spec (InviteGuildResponse), not known to discord-api-types.
  const guild: NonNullable<APIExtendedInvite['guild']> & { nsfw: boolean } = {
    id: g.id,
    name: g.name,
    icon: null,
    splash: null,
    banner: null,
    description: null,
    features: g.vanity ? [GuildFeature.VanityURL] : [],
    verification_level: GuildVerificationLevel.Low,
    vanity_url_code: g.vanity?.code ?? null,
    nsfw: false,
    nsfw_level: GuildNSFWLevel.Default,
    premium_subscription_count: 0,
  };
  return {
    type: InviteType.Guild,
    code: inv.code,
    guild_id: g.id,
    guild,
    channel: { id: channel.id, name: channel.name, type: channelJson(channel).type },
    ...(inv.inviterId ? { inviter: inviter ? userJson(inviter) : departedUser(inv.inviterId) } : {}),
    uses: inv.uses,
    max_uses: inv.maxUses,
    max_age: inv.maxAge,
    temporary: false,
    created_at: new Date(inv.createdAt).toISOString(),
    expires_at: expires === null ? null : new Date(expires).toISOString(),
  };
}

/** An inviter who has left every guild of the world: Discord still names the user. */
function departedUser(id: string): APIUser {
  return { id, username: 'departed', global_name: null, discriminator: '0', avatar: null };
}

/** INVITE_CREATE dispatch. */
export function inviteCreateJson(inv: SimInvite, g: SimGuild): GatewayInviteCreateDispatchData {
  const inviter = inv.inviterId ? g.members.get(inv.inviterId)?.user : undefined;
  const expires = inviteExpiresAt(inv);
  return {
    channel_id: inv.channelId,
    guild_id: g.id,
    code: inv.code,
    created_at: new Date(inv.createdAt).toISOString(),
    expires_at: expires === null ? null : new Date(expires).toISOString(),
    ...(inviter ? { inviter: userJson(inviter) } : {}),
    max_age: inv.maxAge,
    max_uses: inv.maxUses,
    temporary: false,
    uses: 0,
  };
}

/** INVITE_DELETE dispatch (deleted, expired or used up). */
export function inviteDeleteJson(inv: SimInvite): GatewayInviteDeleteDispatchData {
  return { channel_id: inv.channelId, guild_id: inv.guildId, code: inv.code };
}

/** GUILD_MEMBER_ADD dispatch: the member with its user, and the guild. */
export function memberAddJson(m: SimMember, guildId: string): GatewayGuildMemberAddDispatchData {
  return { ...memberJson(m), guild_id: guildId };
}

/** GUILD_MEMBER_REMOVE dispatch. */
export function memberRemoveJson(u: SimUser, guildId: string): GatewayGuildMemberRemoveDispatchData {
  return { guild_id: guildId, user: userJson(u) };
}
