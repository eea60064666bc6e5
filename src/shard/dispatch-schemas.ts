// The shape every gateway dispatch the bot handles must have before discord.js or a collector reads it:
// JSON Schemas (Discord API v10), compiled once by ajv. They check the fields that discord.js dereferences
// or converts (ids become BigInts, permissions BigInts, arrays are iterated) and every field a collector
// reads; anything else may be absent, and unknown fields are allowed (Discord adds fields over time).
// A dispatch that fails is dropped whole: counting half of one (a guild without its bad voice state)
// would be wrong in a way nobody could see.
import { Ajv, type ValidateFunction } from 'ajv';
import { GatewayDispatchEvents } from 'discord.js';
import { isSnowflake } from '../families.js';

type Schema = Record<string, unknown>;

const sf = { type: 'string', format: 'snowflake' };
const sfOrNull = { type: ['string', 'null'], format: 'snowflake' };
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const intOrNull = { type: ['integer', 'null'] };
const ts = { type: 'string', format: 'timestamp' };
const tsOrNull = { type: ['string', 'null'], format: 'timestamp' };
/** Permission bit sets travel as decimal strings; discord.js turns them into BigInts. */
const perms = { type: 'string', pattern: '^[0-9]{1,20}$' };
const anyObj = { type: 'object' };
const objOrNull = { type: ['object', 'null'] };
const arr = (items: Schema = {}) => ({ type: 'array', items });
const obj = (properties: Record<string, Schema>, required: string[] = []) => ({ type: 'object', properties, required });

const user = obj(
  {
    id: sf,
    username: str,
    global_name: strOrNull,
    discriminator: str,
    avatar: strOrNull,
    bot: bool,
    system: bool,
    public_flags: int,
    flags: int,
    banner: strOrNull,
    accent_color: intOrNull,
    avatar_decoration_data: objOrNull,
  },
  ['id'],
);
const memberProps = {
  user,
  nick: strOrNull,
  avatar: strOrNull,
  roles: arr(sf),
  joined_at: tsOrNull,
  premium_since: tsOrNull,
  deaf: bool,
  mute: bool,
  flags: int,
  pending: bool,
  permissions: perms,
  communication_disabled_until: tsOrNull,
};
const member = obj(memberProps);
const memberWithUser = obj(memberProps, ['user']);
const role = obj(
  {
    id: sf,
    name: str,
    color: int,
    hoist: bool,
    position: int,
    permissions: perms,
    managed: bool,
    mentionable: bool,
    flags: int,
    tags: anyObj,
    icon: strOrNull,
    unicode_emoji: strOrNull,
  },
  ['id', 'permissions'],
);
const guildEmoji = obj(
  {
    id: sf,
    name: strOrNull,
    roles: arr(sf),
    user,
    animated: bool,
    managed: bool,
    available: bool,
    require_colons: bool,
  },
  ['id'],
);
const overwrite = obj({ id: sf, type: int, allow: perms, deny: perms }, ['id', 'type', 'allow', 'deny']);
const channel = obj(
  {
    id: sf,
    type: int,
    guild_id: sf,
    name: strOrNull,
    parent_id: sfOrNull,
    position: int,
    permission_overwrites: arr(overwrite),
    topic: strOrNull,
    nsfw: bool,
    last_message_id: sfOrNull,
    rate_limit_per_user: int,
    owner_id: sf,
    flags: int,
    bitrate: int,
    user_limit: int,
    rtc_region: strOrNull,
    available_tags: arr(anyObj),
    thread_metadata: obj(
      {
        archived: bool,
        locked: bool,
        archive_timestamp: ts,
        auto_archive_duration: int,
        create_timestamp: tsOrNull,
        invitable: bool,
      },
      ['archived', 'auto_archive_duration', 'archive_timestamp', 'locked'],
    ),
    member: anyObj,
  },
  ['id', 'type'],
);
const voiceStateProps = {
  guild_id: sf,
  channel_id: sfOrNull,
  user_id: sf,
  member,
  session_id: str,
  deaf: bool,
  mute: bool,
  self_deaf: bool,
  self_mute: bool,
  self_stream: bool,
  self_video: bool,
  suppress: bool,
  request_to_speak_timestamp: tsOrNull,
};
const voiceState = obj(voiceStateProps, ['user_id', 'channel_id']);
const activity = obj(
  {
    name: str,
    type: int,
    url: strOrNull,
    created_at: int,
    application_id: sf,
    state: strOrNull,
    details: strOrNull,
    emoji: objOrNull,
    timestamps: anyObj,
    party: anyObj,
    assets: anyObj,
    secrets: anyObj,
    instance: bool,
    flags: int,
    buttons: arr(),
    sync_id: str,
    session_id: str,
  },
  ['name', 'type'],
);
const presenceProps = {
  user: obj({ ...(user.properties as Record<string, Schema>) }, ['id']),
  guild_id: sf,
  status: { enum: ['online', 'idle', 'dnd', 'offline', 'invisible'] },
  activities: arr(activity),
  client_status: obj({ desktop: str, mobile: str, web: str }),
};
const presence = obj(presenceProps, ['user']);
const reactionEmoji = obj({ id: sfOrNull, name: strOrNull, animated: bool }, ['name']);

const messageProps = {
  id: sf,
  channel_id: sf,
  guild_id: sf,
  author: user,
  member,
  content: str,
  timestamp: ts,
  edited_timestamp: tsOrNull,
  tts: bool,
  mention_everyone: bool,
  mentions: arr(obj({ ...(user.properties as Record<string, Schema>), member }, ['id'])),
  mention_roles: arr(sf),
  mention_channels: arr(obj({ id: sf, guild_id: sf, type: int, name: str }, ['id'])),
  attachments: arr(
    obj(
      {
        id: sf,
        filename: str,
        size: int,
        url: str,
        proxy_url: str,
        content_type: str,
        width: intOrNull,
        height: intOrNull,
      },
      ['id'],
    ),
  ),
  embeds: arr(anyObj),
  reactions: arr(obj({ count: int, me: bool, emoji: reactionEmoji })),
  nonce: { type: ['string', 'integer'] },
  pinned: bool,
  webhook_id: sf,
  type: int,
  activity: anyObj,
  application: anyObj,
  application_id: sf,
  message_reference: obj({ type: int, message_id: sf, channel_id: sf, guild_id: sf }),
  flags: int,
  referenced_message: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/message' }] },
  interaction_metadata: obj(
    {
      id: sf,
      type: int,
      user,
      name: str,
      original_response_message_id: sf,
      interacted_message_id: sf,
      triggering_interaction_metadata: anyObj,
    },
    ['id', 'type', 'user'],
  ),
  interaction: obj({ id: sf, type: int, name: str, user, member }, ['id', 'type', 'name', 'user']),
  thread: channel,
  components: arr(anyObj),
  sticker_items: arr(obj({ id: sf, name: str, format_type: int }, ['id'])),
  stickers: arr(anyObj),
  position: int,
  role_subscription_data: anyObj,
  resolved: anyObj,
  poll: anyObj,
  call: anyObj,
  message_snapshots: arr(obj({ message: anyObj })),
};
const message = obj(messageProps, ['id', 'channel_id', 'author', 'content', 'timestamp']);

const commandOption: Schema = obj(
  {
    name: str,
    type: int,
    value: { type: ['string', 'number', 'boolean'] },
    options: arr({ $ref: '#/$defs/option' }),
    focused: bool,
  },
  ['name', 'type'],
);
const interaction = {
  ...obj(
    {
      id: sf,
      application_id: sf,
      type: { type: 'integer', minimum: 1, maximum: 5 },
      token: { type: 'string', minLength: 1 },
      version: int,
      guild_id: sf,
      channel_id: sf,
      channel: obj({ id: sf, type: int }, ['id', 'type']),
      member: memberWithUser,
      user,
      data: obj({
        id: sf,
        name: str,
        type: int,
        options: arr(commandOption),
        resolved: obj({
          users: anyObj,
          members: anyObj,
          roles: anyObj,
          channels: anyObj,
          messages: anyObj,
          attachments: anyObj,
        }),
        guild_id: sf,
        target_id: sf,
        custom_id: str,
        component_type: int,
        values: arr(str),
      }),
      message: anyObj,
      locale: str,
      guild_locale: str,
      app_permissions: perms,
      entitlements: arr(anyObj),
      authorizing_integration_owners: anyObj,
      context: int,
    },
    ['id', 'application_id', 'type', 'token'],
  ),
  // discord.js reads the invoker from member.user or user.
  anyOf: [{ required: ['member'] }, { required: ['user'] }],
};

const guildProps = {
  id: sf,
  unavailable: bool,
  name: str,
  icon: strOrNull,
  owner_id: sf,
  afk_channel_id: sfOrNull,
  afk_timeout: int,
  system_channel_id: sfOrNull,
  rules_channel_id: sfOrNull,
  public_updates_channel_id: sfOrNull,
  widget_channel_id: sfOrNull,
  safety_alerts_channel_id: sfOrNull,
  application_id: sfOrNull,
  vanity_url_code: strOrNull,
  features: arr(str),
  roles: arr(role),
  emojis: arr(guildEmoji),
  stickers: arr(obj({ id: sf, name: str }, ['id'])),
  member_count: int,
  large: bool,
  joined_at: ts,
  channels: arr(channel),
  threads: arr(channel),
  members: arr(memberWithUser),
  voice_states: arr(obj(voiceStateProps, ['user_id', 'channel_id'])),
  presences: arr(presence),
  stage_instances: arr(obj({ id: sf, channel_id: sf, guild_id: sf }, ['id', 'channel_id'])),
  guild_scheduled_events: arr(obj({ id: sf, guild_id: sf }, ['id'])),
  soundboard_sounds: arr(anyObj),
  premium_tier: int,
  premium_subscription_count: intOrNull,
  max_members: int,
  verification_level: int,
};
const guild = obj(guildProps, ['id']);

/** Dispatches the collectors or discord.js caches depend on, by event name. */
const SCHEMAS: Partial<Record<GatewayDispatchEvents, Schema>> = {
  [GatewayDispatchEvents.Ready]: obj(
    {
      user,
      guilds: arr(obj({ id: sf, unavailable: bool }, ['id'])),
      session_id: str,
      application: obj({ id: sf, flags: int }, ['id']),
      shard: arr(int),
    },
    ['user', 'guilds', 'session_id', 'application'],
  ),
  [GatewayDispatchEvents.GuildCreate]: guild,
  [GatewayDispatchEvents.GuildUpdate]: guild,
  [GatewayDispatchEvents.GuildDelete]: obj({ id: sf, unavailable: bool }, ['id']),
  [GatewayDispatchEvents.GuildMemberAdd]: obj({ ...memberProps, guild_id: sf }, ['guild_id', 'user']),
  [GatewayDispatchEvents.GuildMemberUpdate]: obj({ ...memberProps, guild_id: sf }, ['guild_id', 'user']),
  [GatewayDispatchEvents.GuildMemberRemove]: obj({ guild_id: sf, user }, ['guild_id', 'user']),
  [GatewayDispatchEvents.GuildMembersChunk]: obj(
    {
      guild_id: sf,
      members: arr(memberWithUser),
      chunk_index: int,
      chunk_count: int,
      not_found: arr(),
      presences: arr(presence),
      nonce: str,
    },
    ['guild_id', 'members'],
  ),
  [GatewayDispatchEvents.GuildRoleCreate]: obj({ guild_id: sf, role }, ['guild_id', 'role']),
  [GatewayDispatchEvents.GuildRoleUpdate]: obj({ guild_id: sf, role }, ['guild_id', 'role']),
  [GatewayDispatchEvents.GuildRoleDelete]: obj({ guild_id: sf, role_id: sf }, ['guild_id', 'role_id']),
  [GatewayDispatchEvents.GuildEmojisUpdate]: obj({ guild_id: sf, emojis: arr(guildEmoji) }, ['guild_id', 'emojis']),
  [GatewayDispatchEvents.ChannelCreate]: channel,
  [GatewayDispatchEvents.ChannelUpdate]: channel,
  [GatewayDispatchEvents.ChannelDelete]: channel,
  [GatewayDispatchEvents.ThreadCreate]: channel,
  [GatewayDispatchEvents.ThreadUpdate]: channel,
  [GatewayDispatchEvents.ThreadDelete]: obj({ id: sf, guild_id: sf, parent_id: sfOrNull, type: int }, ['id']),
  [GatewayDispatchEvents.ThreadListSync]: obj(
    { guild_id: sf, channel_ids: arr(sf), threads: arr(channel), members: arr(anyObj) },
    ['guild_id', 'threads'],
  ),
  [GatewayDispatchEvents.MessageCreate]: { $ref: '#/$defs/message' },
  [GatewayDispatchEvents.MessageUpdate]: obj(messageProps, ['id', 'channel_id']),
  [GatewayDispatchEvents.MessageDelete]: obj({ id: sf, channel_id: sf, guild_id: sf }, ['id', 'channel_id']),
  [GatewayDispatchEvents.MessageDeleteBulk]: obj({ ids: arr(sf), channel_id: sf, guild_id: sf }, ['ids', 'channel_id']),
  [GatewayDispatchEvents.MessageReactionAdd]: obj(
    {
      user_id: sf,
      channel_id: sf,
      message_id: sf,
      guild_id: sf,
      member,
      emoji: reactionEmoji,
      message_author_id: sf,
      burst: bool,
      type: int,
    },
    ['user_id', 'channel_id', 'message_id', 'emoji'],
  ),
  [GatewayDispatchEvents.MessageReactionRemove]: obj(
    { user_id: sf, channel_id: sf, message_id: sf, guild_id: sf, emoji: reactionEmoji },
    ['user_id', 'channel_id', 'message_id', 'emoji'],
  ),
  [GatewayDispatchEvents.VoiceStateUpdate]: { ...voiceState, required: ['guild_id', 'user_id', 'channel_id'] },
  [GatewayDispatchEvents.PresenceUpdate]: { ...presence, required: ['user', 'guild_id'] },
  [GatewayDispatchEvents.InviteCreate]: obj(
    {
      channel_id: sf,
      code: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
      guild_id: sf,
      created_at: ts,
      expires_at: tsOrNull,
      inviter: user,
      max_age: int,
      max_uses: int,
      temporary: bool,
      uses: int,
      type: int,
    },
    ['channel_id', 'code'],
  ),
  [GatewayDispatchEvents.InviteDelete]: obj({ channel_id: sf, code: str, guild_id: sf }, ['channel_id', 'code']),
  [GatewayDispatchEvents.InteractionCreate]: interaction,
};

/** Fields that are ids wherever they appear at the top of a dispatch we have no schema for. */
const generic = obj({ id: sf, guild_id: sf, channel_id: sf, user_id: sf, message_id: sf });

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addFormat('snowflake', { type: 'string', validate: isSnowflake });
ajv.addFormat('timestamp', { type: 'string', validate: (s: string) => s.length <= 40 && !Number.isNaN(Date.parse(s)) });
const defs = { message, option: commandOption };
const compiled = new Map<string, ValidateFunction>();
for (const [t, schema] of Object.entries(SCHEMAS)) compiled.set(t, ajv.compile({ $defs: defs, ...schema }));
const validateGeneric = ajv.compile(generic);

const KNOWN = new Set<string>(Object.values(GatewayDispatchEvents));

/** The event name as a metric label: Discord's names only, anything else 'other' (bounded cardinality). */
export function dispatchLabel(t: unknown): string {
  return typeof t === 'string' && KNOWN.has(t) ? t : 'other';
}

/** Whether the bot validates this event against a schema of its own (the rest only get the generic id check). */
export function hasSchema(t: string): boolean {
  return compiled.has(t);
}

/** Undefined when the dispatch may be handled; else what is wrong with it (path and rule), for the log. */
export function dispatchProblem(t: unknown, d: unknown): string | undefined {
  if (typeof t !== 'string' || t === '') return 'no event name';
  const validate = compiled.get(t) ?? validateGeneric;
  if (validate(d)) return undefined;
  const e = validate.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'invalid';
}
