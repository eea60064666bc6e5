// Malformed gateway dispatches for the fuzz test: for every event type the bot handles, a payload that is
// valid by Discord's API v10 reference (written here from the reference, not from the bot's schemas),
// broken in one randomly chosen way that Discord's reference does not allow: a required field removed,
// a field of the wrong type, an id that is no snowflake, a bad timestamp, a bad array element, or `d`
// itself replaced. Whatever a broken dispatch would have counted must never be counted: the test's
// truth contains only the valid traffic.
import type { Simulator } from 'discord-sim';

/** Deterministic PRNG (mulberry32), so a failing run can be replayed by its seed. */
export class FuzzRng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

type Kind =
  | 'delete'
  | 'null'
  | 'number'
  | 'string'
  | 'bool'
  | 'array'
  | 'object'
  | 'snowflake'
  | 'perms'
  | 'timestamp'
  | 'element'
  | 'float'
  | 'range'
  | 'empty'
  | 'enum';

// What the reference forbids for each kind of field.
const SF_REQ: Kind[] = ['delete', 'null', 'number', 'bool', 'array', 'object', 'snowflake'];
const SF_OPT: Kind[] = ['null', 'number', 'bool', 'array', 'object', 'snowflake'];
const SF_NULLABLE_REQ: Kind[] = ['delete', 'number', 'bool', 'array', 'object', 'snowflake'];
const SF_NULLABLE: Kind[] = ['number', 'bool', 'array', 'object', 'snowflake'];
const STR_REQ: Kind[] = ['delete', 'null', 'number', 'bool', 'array', 'object'];
const STR_OPT: Kind[] = ['null', 'number', 'bool', 'array', 'object'];
const STR_NULLABLE: Kind[] = ['number', 'bool', 'array', 'object'];
const OBJ_REQ: Kind[] = ['delete', 'null', 'number', 'string', 'bool', 'array'];
const OBJ_OPT: Kind[] = ['null', 'number', 'string', 'bool', 'array'];
const ARR_OPT: Kind[] = ['null', 'number', 'string', 'bool', 'object', 'element'];
const BOOL_OPT: Kind[] = ['null', 'number', 'string', 'array', 'object'];
const INT_REQ: Kind[] = ['delete', 'null', 'string', 'bool', 'array', 'object', 'float'];
const INT_OPT: Kind[] = ['null', 'string', 'bool', 'array', 'object', 'float'];
const TS_REQ: Kind[] = ['delete', 'null', 'number', 'bool', 'timestamp'];
const TS_NULLABLE: Kind[] = ['number', 'bool', 'timestamp'];
const PERMS: Kind[] = ['delete', 'null', 'number', 'bool', 'perms'];

const BAD_SNOWFLAKES = ['abc', '', '-1', '1e5', '12.5', '99999999999999999999', ' 123', '0x1f', '１２３'];
const BAD_TIMESTAMPS = ['not a date', '', '2024-13-45T99:99:99Z', 'yesterday'];
// Wrong in any array the reference defines (of ids, strings or objects).
const BAD_ELEMENTS: unknown[] = [null, 42, 1.5, true, [], ['nested']];
const BAD_PERMISSIONS = ['abc', '-1', '1.5', '', '0x10', ' 8'];

function broken(kind: Kind, rng: FuzzRng): unknown {
  switch (kind) {
    case 'null':
      return null;
    case 'number':
      return rng.pick([0, -1, 42, 1.5, 1e308]);
    case 'string':
      return rng.pick(['', 'x', '\u0000', 'a'.repeat(5000), '{}']);
    case 'bool':
      return rng.pick([true, false]);
    case 'array':
      return rng.pick([[], [null], ['x', 1]]);
    case 'object':
      return rng.pick([{}, { id: 'abc' }, { __proto__: { polluted: true } }]);
    case 'snowflake':
      return rng.pick(BAD_SNOWFLAKES);
    case 'timestamp':
      return rng.pick(BAD_TIMESTAMPS);
    case 'perms':
      return rng.pick(BAD_PERMISSIONS);
    case 'float':
      return 1.5;
    case 'range':
      return rng.pick([0, 6, 99, -3]);
    case 'empty':
      return '';
    case 'enum':
      return rng.pick(['sleeping', 'ONLINE', '']);
    default:
      throw new Error(`no value for ${kind}`);
  }
}

/** Applies `kind` at `path` (dot-separated; numeric segments index arrays). The path's parents must exist. */
function breakAt(root: Record<string, unknown>, path: string, kind: Kind, rng: FuzzRng): void {
  const parts = path.split('.');
  let node: Record<string, unknown> | unknown[] = root;
  for (const p of parts.slice(0, -1)) node = (node as Record<string, unknown>)[p] as Record<string, unknown>;
  const last = parts[parts.length - 1]!;
  const target = node as Record<string, unknown>;
  if (kind === 'delete') delete target[last];
  else if (kind === 'element') {
    const arr = Array.isArray(target[last]) ? [...(target[last] as unknown[])] : [];
    arr.splice(rng.int(arr.length + 1), 0, rng.pick(BAD_ELEMENTS));
    target[last] = arr;
  } else target[last] = broken(kind, rng);
}

export interface FuzzContext {
  guildId: string;
  textChannelId: string;
  voiceChannelId: string;
  userId: string;
  username: string;
  messageId: string;
  applicationId: string;
  roleId: string;
  snowflake: () => string;
}

type Payload = Record<string, unknown>;
interface Template {
  build(c: FuzzContext): Payload;
  /** Field paths and the ways each may be broken. */
  paths: Record<string, Kind[]>;
}

const user = (c: FuzzContext) => ({
  id: c.userId,
  username: c.username,
  global_name: null,
  discriminator: '0',
  avatar: null,
  bot: false,
});
const member = (c: FuzzContext) => ({
  user: user(c),
  nick: null,
  roles: [],
  joined_at: '2024-01-01T00:00:00.000000+00:00',
  deaf: false,
  mute: false,
  flags: 0,
});
const now = () => new Date().toISOString();

export const TEMPLATES: Record<string, Template> = {
  MESSAGE_CREATE: {
    build: (c) => ({
      id: c.snowflake(),
      channel_id: c.textChannelId,
      guild_id: c.guildId,
      author: user(c),
      member: { roles: [], joined_at: '2024-01-01T00:00:00.000000+00:00', deaf: false, mute: false, flags: 0 },
      content: 'fuzz 🔥 <:x:123456789012345678> words here',
      timestamp: now(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
      components: [],
    }),
    paths: {
      id: SF_REQ,
      channel_id: SF_REQ,
      guild_id: SF_OPT,
      author: OBJ_REQ,
      'author.id': SF_REQ,
      'author.username': STR_OPT,
      'author.bot': BOOL_OPT,
      content: STR_REQ,
      timestamp: TS_REQ,
      edited_timestamp: TS_NULLABLE,
      member: OBJ_OPT,
      'member.roles': ARR_OPT,
      'member.joined_at': TS_NULLABLE,
      mentions: ARR_OPT,
      mention_roles: ARR_OPT,
      attachments: ARR_OPT,
      embeds: ARR_OPT,
      components: ARR_OPT,
      webhook_id: SF_OPT,
      interaction_metadata: OBJ_OPT,
      referenced_message: ['number', 'string', 'bool', 'array'],
      tts: BOOL_OPT,
      type: INT_OPT,
    },
  },
  MESSAGE_REACTION_ADD: {
    build: (c) => ({
      user_id: c.userId,
      channel_id: c.textChannelId,
      message_id: c.messageId,
      guild_id: c.guildId,
      member: member(c),
      emoji: { id: null, name: '👍' },
      burst: false,
      type: 0,
    }),
    paths: {
      user_id: SF_REQ,
      channel_id: SF_REQ,
      message_id: SF_REQ,
      guild_id: SF_OPT,
      emoji: OBJ_REQ,
      'emoji.id': SF_NULLABLE,
      'emoji.name': STR_NULLABLE,
      member: OBJ_OPT,
      'member.user': OBJ_OPT,
      'member.user.id': SF_REQ,
      burst: BOOL_OPT,
    },
  },
  VOICE_STATE_UPDATE: {
    build: (c) => ({
      guild_id: c.guildId,
      channel_id: c.voiceChannelId,
      user_id: c.userId,
      member: member(c),
      session_id: 'f'.repeat(32),
      deaf: false,
      mute: false,
      self_deaf: false,
      self_mute: true,
      self_stream: false,
      self_video: false,
      suppress: false,
      request_to_speak_timestamp: null,
    }),
    paths: {
      guild_id: SF_REQ,
      user_id: SF_REQ,
      channel_id: SF_NULLABLE_REQ,
      member: OBJ_OPT,
      'member.user': OBJ_OPT,
      'member.user.id': SF_REQ,
      session_id: STR_OPT,
      self_mute: BOOL_OPT,
      self_stream: BOOL_OPT,
      self_video: BOOL_OPT,
      deaf: BOOL_OPT,
      request_to_speak_timestamp: TS_NULLABLE,
    },
  },
  PRESENCE_UPDATE: {
    build: (c) => ({
      user: { id: c.userId },
      guild_id: c.guildId,
      status: 'online',
      activities: [{ name: 'Fuzz Game', type: 0, created_at: Date.now() }],
      client_status: { desktop: 'online' },
    }),
    paths: {
      user: OBJ_REQ,
      'user.id': SF_REQ,
      guild_id: SF_REQ,
      status: ['null', 'number', 'bool', 'enum'],
      activities: ARR_OPT,
      'activities.0': OBJ_REQ.filter((k) => k !== 'delete'),
      'activities.0.name': STR_REQ,
      'activities.0.type': INT_REQ,
      'activities.0.application_id': SF_OPT,
      'activities.0.created_at': INT_OPT,
      client_status: OBJ_OPT,
    },
  },
  GUILD_MEMBER_ADD: {
    build: (c) => ({ ...member(c), guild_id: c.guildId, pending: false, premium_since: null }),
    paths: {
      guild_id: SF_REQ,
      user: OBJ_REQ,
      'user.id': SF_REQ,
      'user.bot': BOOL_OPT,
      roles: ARR_OPT,
      joined_at: TS_NULLABLE,
      nick: STR_NULLABLE,
      pending: BOOL_OPT,
    },
  },
  GUILD_MEMBER_REMOVE: {
    build: (c) => ({ guild_id: c.guildId, user: user(c) }),
    paths: { guild_id: SF_REQ, user: OBJ_REQ, 'user.id': SF_REQ, 'user.username': STR_OPT },
  },
  INVITE_CREATE: {
    build: (c) => ({
      type: 0,
      channel_id: c.textChannelId,
      guild_id: c.guildId,
      code: 'fuzzCode1',
      created_at: now(),
      expires_at: null,
      inviter: user(c),
      max_age: 0,
      max_uses: 0,
      temporary: false,
      uses: 0,
    }),
    paths: {
      channel_id: SF_REQ,
      guild_id: SF_OPT,
      code: [...STR_REQ, 'empty'],
      uses: INT_OPT,
      max_uses: INT_OPT,
      inviter: OBJ_OPT,
      'inviter.id': SF_REQ,
      created_at: TS_REQ.filter((k) => k !== 'delete'),
      expires_at: TS_NULLABLE,
    },
  },
  INVITE_DELETE: {
    build: (c) => ({ channel_id: c.textChannelId, guild_id: c.guildId, code: 'fuzzCode1' }),
    paths: { channel_id: SF_REQ, guild_id: SF_OPT, code: STR_REQ },
  },
  INTERACTION_CREATE: {
    build: (c) => ({
      id: c.snowflake(),
      application_id: c.applicationId,
      type: 2,
      token: `aW50ZXJhY3Rpb246${c.snowflake()}:fuzzfuzzfuzzfuzz`,
      version: 1,
      guild_id: c.guildId,
      channel_id: c.textChannelId,
      channel: { id: c.textChannelId, type: 0 },
      member: { ...member(c), permissions: '0' },
      data: { id: c.snowflake(), name: 'ping', type: 1, options: [{ name: 'x', type: 3, value: 'y' }] },
      locale: 'en-US',
      guild_locale: 'en-US',
      app_permissions: '0',
      entitlements: [],
      context: 0,
    }),
    paths: {
      id: SF_REQ,
      application_id: SF_REQ,
      type: ['delete', 'null', 'string', 'bool', 'range', 'float'],
      token: [...STR_REQ, 'empty'],
      guild_id: SF_OPT,
      channel_id: SF_OPT,
      channel: OBJ_OPT,
      member: ['delete', ...OBJ_OPT],
      'member.user': OBJ_REQ,
      'member.user.id': SF_REQ,
      'member.roles': ARR_OPT,
      'member.permissions': ['null', 'number', 'bool', 'perms'],
      data: OBJ_OPT,
      'data.name': STR_OPT,
      'data.type': INT_OPT,
      'data.options': ARR_OPT,
      'data.options.0.name': STR_REQ,
      'data.options.0.type': INT_REQ,
      app_permissions: ['null', 'number', 'bool', 'perms'],
    },
  },
  GUILD_CREATE: {
    build: (c) => ({
      id: c.guildId,
      name: 'Fuzz',
      unavailable: false,
      owner_id: c.userId,
      afk_channel_id: null,
      features: [],
      roles: [
        {
          id: c.guildId,
          name: '@everyone',
          color: 0,
          hoist: false,
          position: 0,
          permissions: '1024',
          managed: false,
          mentionable: false,
          flags: 0,
        },
      ],
      emojis: [],
      channels: [
        { id: c.textChannelId, type: 0, name: 'general', position: 0, permission_overwrites: [], parent_id: null },
      ],
      threads: [],
      members: [member(c)],
      voice_states: [
        {
          channel_id: c.voiceChannelId,
          user_id: c.userId,
          session_id: 'f'.repeat(32),
          deaf: false,
          mute: false,
          self_deaf: false,
          self_mute: false,
          self_stream: false,
          self_video: false,
          suppress: false,
        },
      ],
      presences: [
        {
          user: { id: c.userId },
          status: 'online',
          activities: [{ name: 'Fuzz Game', type: 0, created_at: Date.now() }],
          client_status: {},
        },
      ],
      member_count: 1,
      large: false,
      joined_at: now(),
      stickers: [],
      stage_instances: [],
      guild_scheduled_events: [],
    }),
    paths: {
      id: SF_REQ,
      unavailable: BOOL_OPT,
      name: STR_OPT,
      afk_channel_id: SF_NULLABLE,
      channels: ARR_OPT,
      'channels.0.id': SF_REQ,
      'channels.0.type': INT_REQ,
      'channels.0.permission_overwrites': ARR_OPT,
      roles: ARR_OPT,
      'roles.0.id': SF_REQ,
      'roles.0.permissions': PERMS,
      members: ARR_OPT,
      'members.0.user': OBJ_REQ,
      'members.0.user.id': SF_REQ,
      voice_states: ARR_OPT,
      'voice_states.0.user_id': SF_REQ,
      'voice_states.0.channel_id': SF_NULLABLE_REQ,
      'voice_states.0.self_mute': BOOL_OPT,
      presences: ARR_OPT,
      'presences.0.user': OBJ_REQ,
      'presences.0.activities.0.name': STR_REQ,
      emojis: ARR_OPT,
      features: ARR_OPT,
      joined_at: TS_REQ.filter((k) => k !== 'delete'),
    },
  },
  GUILD_UPDATE: {
    build: (c) => ({
      id: c.guildId,
      name: 'Fuzz',
      owner_id: c.userId,
      afk_channel_id: null,
      features: [],
      roles: [],
      emojis: [],
    }),
    paths: {
      id: SF_REQ,
      afk_channel_id: SF_NULLABLE,
      owner_id: SF_OPT,
      roles: ARR_OPT,
      features: ARR_OPT,
      name: STR_OPT,
    },
  },
  GUILD_DELETE: {
    build: (c) => ({ id: c.guildId, unavailable: true }),
    paths: { id: SF_REQ, unavailable: BOOL_OPT },
  },
  CHANNEL_CREATE: {
    build: (c) => ({
      id: c.snowflake(),
      guild_id: c.guildId,
      type: 0,
      name: 'fuzz',
      position: 9,
      permission_overwrites: [{ id: c.roleId, type: 0, allow: '0', deny: '0' }],
      parent_id: null,
      nsfw: false,
    }),
    paths: {
      id: SF_REQ,
      type: INT_REQ,
      guild_id: SF_OPT,
      parent_id: SF_NULLABLE,
      permission_overwrites: ARR_OPT,
      'permission_overwrites.0.allow': PERMS,
      'permission_overwrites.0.id': SF_REQ,
    },
  },
  CHANNEL_UPDATE: {
    build: (c) => ({
      id: c.textChannelId,
      guild_id: c.guildId,
      type: 0,
      name: 'general',
      position: 0,
      permission_overwrites: [],
      parent_id: null,
    }),
    paths: { id: SF_REQ, type: INT_REQ, parent_id: SF_NULLABLE, permission_overwrites: ARR_OPT, name: STR_NULLABLE },
  },
  THREAD_CREATE: {
    build: (c) => ({
      id: c.snowflake(),
      guild_id: c.guildId,
      parent_id: c.textChannelId,
      type: 11,
      name: 'fuzz thread',
      owner_id: c.userId,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: now(), locked: false },
    }),
    paths: {
      id: SF_REQ,
      type: INT_REQ,
      parent_id: SF_NULLABLE,
      owner_id: SF_OPT,
      thread_metadata: OBJ_OPT,
      'thread_metadata.archive_timestamp': TS_REQ,
      'thread_metadata.archived': BOOL_OPT,
    },
  },
  GUILD_ROLE_UPDATE: {
    build: (c) => ({
      guild_id: c.guildId,
      role: {
        id: c.roleId,
        name: 'r',
        color: 0,
        hoist: false,
        position: 1,
        permissions: '0',
        managed: false,
        mentionable: false,
        flags: 0,
      },
    }),
    paths: { guild_id: SF_REQ, role: OBJ_REQ, 'role.id': SF_REQ, 'role.permissions': PERMS },
  },
  MESSAGE_UPDATE: {
    build: (c) => ({
      id: c.messageId,
      channel_id: c.textChannelId,
      guild_id: c.guildId,
      content: 'edited',
      edited_timestamp: now(),
    }),
    paths: {
      id: SF_REQ,
      channel_id: SF_REQ,
      guild_id: SF_OPT,
      content: STR_OPT,
      edited_timestamp: TS_NULLABLE,
      author: OBJ_OPT,
    },
  },
  MESSAGE_DELETE: {
    build: (c) => ({ id: c.messageId, channel_id: c.textChannelId, guild_id: c.guildId }),
    paths: { id: SF_REQ, channel_id: SF_REQ, guild_id: SF_OPT },
  },
};

export const FUZZED_TYPES = Object.keys(TEMPLATES);

/** One malformed dispatch: event name and `d`. Unknown event names (`other`) carry arbitrary JSON. */
export function malformedDispatch(rng: FuzzRng, c: FuzzContext): { t: string; d: unknown; how: string } {
  if (rng.int(20) === 0) {
    const t = `FUZZ_${rng.pick(['EVENT', 'UNKNOWN', 'X'])}_${rng.int(1_000_000)}`;
    return {
      t,
      d: rng.pick<unknown>([null, 1, 'x', [], { id: 'abc', nested: [null, { deep: true }] }]),
      how: 'unknown event',
    };
  }
  const t = rng.pick(FUZZED_TYPES);
  const tpl = TEMPLATES[t]!;
  // d itself broken: absent, a scalar or an array.
  if (rng.int(8) === 0) return { t, d: rng.pick<unknown>([null, 0, 42, 'str', true, [], [tpl.build(c)]]), how: 'd' };
  const d = tpl.build(c);
  const path = rng.pick(Object.keys(tpl.paths));
  const kind = rng.pick(tpl.paths[path]!);
  // Parents of the path are created where the template has none (an optional object being broken).
  const parts = path.split('.');
  let node: Record<string, unknown> = d;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = /^\d+$/.test(parts[i + 1]!) ? [{}] : {};
    node = node[p] as Record<string, unknown>;
  }
  breakAt(d, path, kind, rng);
  return { t, d, how: `${path}:${kind}` };
}

/** A context over the simulator's world: real guild, channels and member, so the broken dispatches look real. */
export function fuzzContext(sim: Simulator, guildId: string, rng: FuzzRng, messageId: string): FuzzContext {
  const g = sim.world.guild(guildId)!;
  const m = rng.pick(sim.world.humanMembers(guildId));
  return {
    guildId,
    textChannelId: sim.world.textChannels(guildId)[0]!.id,
    voiceChannelId: (sim.world.voiceChannels(guildId)[0] ?? sim.world.textChannels(guildId)[0]!).id,
    userId: m.user.id,
    username: m.user.username,
    messageId,
    applicationId: sim.world.application.id,
    roleId: g.roles[g.roles.length - 1]!.id,
    snowflake: () => sim.newSnowflake(),
  };
}
