// World objects rendered as Discord API v10 JSON. Field sets follow what discord.js reads: anything it
// dereferences unconditionally must be present (see notes/discord-protocol.md, "Payload details that bite").
import { ChannelKind, type SimChannel, type SimEmoji, type SimGuild, type SimInvite, type SimMember, type SimPresence, type SimRole, type SimUser, type SimVoiceState } from './world.js';
import { snowflakeTimestamp } from './snowflake.js';

export type Json = Record<string, unknown>;

export function userJson(u: SimUser): Json {
  return {
    id: u.id,
    username: u.username,
    global_name: u.globalName,
    discriminator: '0',
    avatar: u.avatar,
    bot: u.bot,
    system: false,
    public_flags: 0,
    flags: 0,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
  };
}

/** A member; `withUser` is false inside MESSAGE_CREATE, where the user is the message author. */
export function memberJson(m: SimMember, withUser = true): Json {
  const j: Json = {
    roles: m.roles,
    nick: m.nick,
    avatar: null,
    banner: null,
    joined_at: m.joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
  if (withUser) j.user = userJson(m.user);
  return j;
}

export function roleJson(r: SimRole): Json {
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
    flags: 0,
    ...(r.botId ? { tags: { bot_id: r.botId } } : {}),
  };
}

export function channelJson(c: SimChannel): Json {
  const base: Json = { id: c.id, guild_id: c.guildId, type: c.type, name: c.name, parent_id: c.parentId, flags: 0 };
  if (c.type === ChannelKind.PublicThread) {
    const created = new Date(snowflakeTimestamp(c.id)).toISOString();
    return {
      ...base,
      owner_id: c.ownerId,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: created, locked: false, create_timestamp: created },
    };
  }
  const j: Json = { ...base, position: c.position, permission_overwrites: [], nsfw: c.nsfw };
  if (c.type === ChannelKind.Text || c.type === ChannelKind.Announcement) {
    Object.assign(j, { topic: c.topic, last_message_id: null, rate_limit_per_user: 0, default_auto_archive_duration: 1440 });
  } else if (c.type === ChannelKind.Voice) {
    Object.assign(j, { bitrate: 64000, user_limit: 0, rtc_region: null, last_message_id: null, rate_limit_per_user: 0 });
  } else if (c.type === ChannelKind.Forum) {
    Object.assign(j, {
      topic: c.topic,
      last_message_id: null,
      rate_limit_per_user: 0,
      default_auto_archive_duration: 1440,
      available_tags: [],
      default_reaction_emoji: null,
      default_sort_order: null,
      default_forum_layout: 0,
      default_thread_rate_limit_per_user: 0,
    });
  }
  return j;
}

export function emojiJson(e: SimEmoji): Json {
  return { id: e.id, name: e.name, animated: e.animated, roles: [], require_colons: true, managed: false, available: true };
}

export interface GuildCreateOptions {
  /** Include the full member list (otherwise only the listed members, e.g. the bot itself). */
  members: SimMember[];
  largeThreshold: number;
  joinedAt: string;
}

export function guildJson(g: SimGuild): Json {
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
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: g.vanity?.code ?? null,
    preferred_locale: 'en-US',
    features: g.vanity ? ['VANITY_URL'] : [],
    max_members: 500000,
    max_presences: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    roles: g.roles.map(roleJson),
    emojis: g.emojis.map(emojiJson),
    stickers: [],
    incidents_data: null,
  };
}

export function guildCreateJson(g: SimGuild, o: GuildCreateOptions): Json {
  return {
    ...guildJson(g),
    unavailable: false,
    lazy: true,
    large: g.members.size > o.largeThreshold,
    member_count: g.members.size,
    joined_at: o.joinedAt,
    channels: g.channels.filter((c) => c.type !== ChannelKind.PublicThread).map(channelJson),
    threads: g.channels.filter((c) => c.type === ChannelKind.PublicThread).map(channelJson),
    members: o.members.map((m) => memberJson(m)),
    voice_states: [...g.voiceStates].map(([userId, vs]) => voiceStateJson(userId, vs)),
    presences: [...g.presences].map(([userId, p]) => presenceJson(userId, p)),
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    embedded_activities: [],
    activity_instances: [],
    application_command_counts: {},
    version: 0,
  };
}

/**
 * A voice state; `channelId` null for a leave. VOICE_STATE_UPDATE carries guild_id and the member (with its
 * user, which discord.js needs); GUILD_CREATE's voice_states carry neither, as on Discord.
 */
export function voiceStateJson(userId: string, vs: Omit<SimVoiceState, 'channelId'> & { channelId: string | null }, guildId?: string, member?: SimMember): Json {
  const j: Json = {
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
  if (guildId) j.guild_id = guildId;
  if (member) j.member = memberJson(member);
  return j;
}

/** A presence as in GUILD_CREATE (user id only) or PRESENCE_UPDATE (full user, guild_id). */
export function presenceJson(userId: string, p: SimPresence, guildId?: string, user?: SimUser): Json {
  const j: Json = {
    user: user ? userJson(user) : { id: userId },
    status: p.status,
    activities: p.activities.map((a) => ({
      name: a.name,
      type: a.type,
      created_at: a.createdAt,
      ...(a.applicationId ? { application_id: a.applicationId } : {}),
      ...(a.type === 4 ? { state: a.name, emoji: null } : {}),
    })),
    client_status: p.status === 'offline' ? {} : { desktop: p.status },
  };
  if (guildId) j.guild_id = guildId;
  return j;
}

/** When an invite stops working (max_age after creation), or null. */
export function inviteExpiresAt(inv: SimInvite): number | null {
  return inv.maxAge > 0 ? inv.createdAt + inv.maxAge * 1000 : null;
}

/** GET /guilds/{id}/invites: an invite with metadata (uses, limits, inviter, creation). */
export function inviteJson(inv: SimInvite, g: SimGuild, channel: SimChannel): Json {
  const inviter = inv.inviterId ? g.members.get(inv.inviterId)?.user : undefined;
  const expires = inviteExpiresAt(inv);
  return {
    type: 0,
    code: inv.code,
    guild: { id: g.id, name: g.name, icon: null, splash: null, banner: null, description: null, features: g.vanity ? ['VANITY_URL'] : [], verification_level: 1, vanity_url_code: g.vanity?.code ?? null, nsfw_level: 0, premium_subscription_count: 0 },
    channel: { id: channel.id, name: channel.name, type: channel.type },
    ...(inv.inviterId ? { inviter: inviter ? userJson(inviter) : { id: inv.inviterId, username: 'departed', global_name: null, discriminator: '0', avatar: null } } : {}),
    uses: inv.uses,
    max_uses: inv.maxUses,
    max_age: inv.maxAge,
    temporary: false,
    created_at: new Date(inv.createdAt).toISOString(),
    expires_at: expires === null ? null : new Date(expires).toISOString(),
  };
}

/** INVITE_CREATE dispatch. */
export function inviteCreateJson(inv: SimInvite, g: SimGuild): Json {
  const inviter = inv.inviterId ? g.members.get(inv.inviterId)?.user : undefined;
  const expires = inviteExpiresAt(inv);
  return {
    type: 0,
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
export function inviteDeleteJson(inv: SimInvite): Json {
  return { channel_id: inv.channelId, guild_id: inv.guildId, code: inv.code };
}

/** GUILD_MEMBER_ADD dispatch: the member with its user, and the guild. */
export function memberAddJson(m: SimMember, guildId: string): Json {
  return { ...memberJson(m), guild_id: guildId };
}

/** GUILD_MEMBER_REMOVE dispatch. */
export function memberRemoveJson(u: SimUser, guildId: string): Json {
  return { guild_id: guildId, user: userJson(u) };
}
