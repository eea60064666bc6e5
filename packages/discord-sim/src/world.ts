// The simulated Discord world: guilds with roles, channels, threads, members and emojis, generated
// deterministically from a seed so a test or a benchmark can reproduce exactly the same servers.
import { ApplicationFlags, ChannelType } from 'discord-api-types/v10';
import type { PrivilegedIntent } from './intents.js';
import { Rng } from './rng.js';
import { SnowflakeGenerator } from './snowflake.js';

/** The channel types the world has (Discord's ChannelType values). */
export const ChannelKind = {
  Text: ChannelType.GuildText,
  Voice: ChannelType.GuildVoice,
  Category: ChannelType.GuildCategory,
  Announcement: ChannelType.GuildAnnouncement,
  PublicThread: ChannelType.PublicThread,
  Forum: ChannelType.GuildForum,
} as const;
export type ChannelKindValue = (typeof ChannelKind)[keyof typeof ChannelKind];

export interface SimUser {
  id: string;
  username: string;
  globalName: string | null;
  avatar: string | null;
  bot: boolean;
}

export interface SimRole {
  id: string;
  name: string;
  color: number;
  position: number;
  /** Permission bitfield as a decimal string, as the API sends it. */
  permissions: string;
  hoist: boolean;
  mentionable: boolean;
  managed: boolean;
  /** Managed bot roles: the bot they belong to. */
  botId?: string;
}

export interface SimChannel {
  id: string;
  guildId: string;
  type: ChannelKindValue;
  name: string;
  position: number;
  /** Category for channels, parent text/forum channel for threads. */
  parentId: string | null;
  topic: string | null;
  nsfw: boolean;
  /** Threads only: who started it. */
  ownerId?: string;
  /** Permission overwrites (threads use their parent's); none unless a test sets them (Simulator.setChannelOverwrites). */
  overwrites?: SimOverwrite[];
}

/** A channel permission overwrite: type 0 a role (@everyone's id is the guild's), 1 a member. */
export interface SimOverwrite {
  id: string;
  type: 0 | 1;
  /** Permission bitfields as decimal strings, as the API sends them. */
  allow: string;
  deny: string;
}

export interface SimMember {
  user: SimUser;
  roles: string[];
  nick: string | null;
  joinedAt: string;
}

export interface SimEmoji {
  id: string;
  name: string;
  animated: boolean;
}

/** A guild invite (invites.ts drives them). Codes are [A-Za-z0-9]; a vanity URL is not one of these. */
export interface SimInvite {
  code: string;
  guildId: string;
  channelId: string;
  /** Null for invites without a creator (e.g. the widget's). */
  inviterId: string | null;
  uses: number;
  /** 0 = unlimited; Discord deletes the invite when uses reach it. */
  maxUses: number;
  /** Seconds, 0 = never expires. */
  maxAge: number;
  createdAt: number;
}

export interface SimGuild {
  id: string;
  name: string;
  ownerId: string;
  createdAt: number;
  roles: SimRole[];
  /** Every channel, threads included, in position order. */
  channels: SimChannel[];
  members: Map<string, SimMember>;
  emojis: SimEmoji[];
  /** A channel webhook that posts now and then (webhook messages never count as user activity). */
  webhook: { id: string; name: string; channelId: string };
  /** The AFK channel, null for none (time parked there is not voice activity). */
  afkChannelId: string | null;
  /** Who is in voice now, by user id (voice.ts changes it); GUILD_CREATE carries it. */
  voiceStates: Map<string, SimVoiceState>;
  /** Members' presences now, by user id (presence.ts changes it); GUILD_CREATE carries it. */
  presences: Map<string, SimPresence>;
  /** Live invites by code (expired ones are dropped when listed). */
  invites: Map<string, SimInvite>;
  /** Vanity URL (guild feature VANITY_URL), or null. */
  vanity: { code: string; uses: number } | null;
}

export interface SimVoiceState {
  channelId: string;
  sessionId: string;
  selfMute: boolean;
  selfDeaf: boolean;
  /** Server mute / deafen. */
  mute: boolean;
  deaf: boolean;
  selfStream: boolean;
  selfVideo: boolean;
}

export interface SimActivity {
  name: string;
  /** 0 playing, 1 streaming, 2 listening, 3 watching, 4 custom status, 5 competing. */
  type: number;
  applicationId?: string;
  createdAt: number;
}

export interface SimPresence {
  status: 'online' | 'idle' | 'dnd' | 'offline';
  activities: SimActivity[];
}

export interface SimApplication {
  id: string;
  name: string;
  flags: number;
}

// Permission bits (decimal strings) for realistic role tiers.
const PERM_EVERYONE = (
  (1n << 10n) | // VIEW_CHANNEL
  (1n << 11n) | // SEND_MESSAGES
  (1n << 16n) | // READ_MESSAGE_HISTORY
  (1n << 6n) | // ADD_REACTIONS
  (1n << 14n) | // EMBED_LINKS
  (1n << 15n) | // ATTACH_FILES
  (1n << 20n) | // CONNECT
  (1n << 21n) | // SPEAK
  (1n << 31n) | // USE_APPLICATION_COMMANDS
  (1n << 38n)
) // SEND_MESSAGES_IN_THREADS
  .toString();
const PERM_ADMIN = (1n << 3n).toString();
const PERM_MOD = ((1n << 1n) | (1n << 2n) | (1n << 13n) | (1n << 40n) | BigInt(PERM_EVERYONE)).toString();
const PERM_BOT = ((1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 15n) | (1n << 16n) | (1n << 5n)).toString();

const ADJ = [
  'cozy',
  'quiet',
  'pixel',
  'lunar',
  'rusty',
  'neon',
  'mellow',
  'cosmic',
  'tiny',
  'grand',
  'wild',
  'golden',
  'salty',
  'frosty',
];
const NOUN = [
  'otters',
  'gamers',
  'coders',
  'bakers',
  'hikers',
  'artists',
  'llamas',
  'readers',
  'foxes',
  'guild',
  'lounge',
  'collective',
  'club',
  'crew',
];
const TEXT_NAMES = [
  'general',
  'off-topic',
  'memes',
  'help',
  'showcase',
  'music',
  'media',
  'dev-chat',
  'introductions',
  'bot-commands',
  'random',
  'art',
  'links',
  'feedback',
  'clips',
];
const VOICE_NAMES = ['General', 'Gaming', 'Chill', 'Music', 'AFK', 'Study Room'];
const CATEGORY_NAMES = ['Information', 'Community', 'Hobbies', 'Voice Channels', 'Projects'];
const THREAD_NAMES = [
  'weekly plans',
  'bug hunt',
  'tips & tricks',
  'screenshots',
  'patch notes talk',
  'recommendations',
];
const USER_A = [
  'shadow',
  'blue',
  'lazy',
  'crimson',
  'happy',
  'silent',
  'mega',
  'astro',
  'pocket',
  'paper',
  'velvet',
  'turbo',
];
const USER_B = ['wolf', 'cat', 'byte', 'panda', 'ninja', 'moth', 'comet', 'bean', 'toast', 'raven', 'sprout', 'gecko'];
const BOT_NAMES = ['Modbot', 'TuneBox', 'Levelr', 'Pollster', 'Ticketeer', 'Welcomer'];
const EMOJI_NAMES = [
  'pog',
  'kekw',
  'blobwave',
  'catjam',
  'partyparrot',
  'pepehands',
  'thonk',
  'yes',
  'no',
  'hype',
  'sadge',
  'gg',
];
const ROLE_NAMES = ['Admin', 'Moderator', 'Regular', 'Artist', 'Booster', 'Member', 'Event Team'];

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface WorldOptions {
  guilds: number;
  seed: number;
  /** Pre-existing invites (with uses) and vanity URLs on some guilds; off by default. */
  invites?: boolean;
  /** Privileged intents enabled for the application in the Developer Portal (default: all three). */
  privilegedIntents?: Partial<Record<PrivilegedIntent, boolean>>;
  /**
   * Member counts of large guilds built after the `guilds` regular ones, e.g. [100_000]: each has members of
   * its own (not from the shared pool), so the regular world stays as it was.
   */
  largeGuilds?: number[];
}

/** Application flags of an unverified app (under 100 guilds) with the given privileged intents enabled. */
export function applicationFlags(p: WorldOptions['privilegedIntents'] = {}): number {
  let flags = ApplicationFlags.ApplicationCommandBadge;
  if (p.guildPresences !== false) flags |= ApplicationFlags.GatewayPresenceLimited;
  if (p.guildMembers !== false) flags |= ApplicationFlags.GatewayGuildMembersLimited;
  if (p.messageContent !== false) flags |= ApplicationFlags.GatewayMessageContentLimited;
  return flags;
}

export class World {
  readonly application: SimApplication;
  readonly botUser: SimUser;
  readonly guilds = new Map<string, SimGuild>();
  private readonly channelIndex = new Map<string, SimChannel>();
  // Users minted after generation (joins): their own worker id, so ids never collide with the world's.
  private readonly userIds = new SnowflakeGenerator(3n, 0n);

  constructor(opts: WorldOptions) {
    const rng = new Rng(opts.seed);
    const ids = new SnowflakeGenerator(1n, 0n);
    // Dates are drawn from the seed, never from the wall clock, so ids are reproducible.
    const base = Date.UTC(2024, 0, 1);
    const past = (minYears: number, maxYears: number) =>
      base - Math.floor((minYears + rng.next() * (maxYears - minYears)) * YEAR_MS);

    const appId = ids.next(past(1, 3));
    this.application = { id: appId, name: 'ServerStats', flags: applicationFlags(opts.privilegedIntents) };
    this.botUser = { id: appId, username: 'ServerStats', globalName: null, avatar: rng.hex(32), bot: true };

    // A shared pool of users and bots so the same people appear in several guilds, as on Discord.
    const humans: SimUser[] = [];
    const poolSize = Math.max(40, opts.guilds * 25);
    for (let i = 0; i < poolSize; i++) {
      const name = `${rng.pick(USER_A)}${rng.pick(USER_B)}${rng.chance(0.5) ? rng.int(1, 9999) : ''}`;
      humans.push({
        id: ids.next(past(0.2, 8)),
        username: name.toLowerCase(),
        globalName: rng.chance(0.6) ? name[0]!.toUpperCase() + name.slice(1) : null,
        avatar: rng.chance(0.8) ? rng.hex(32) : null,
        bot: false,
      });
    }
    const otherBots: SimUser[] = BOT_NAMES.map((n) => ({
      id: ids.next(past(2, 6)),
      username: n,
      globalName: null,
      avatar: rng.hex(32),
      bot: true,
    }));

    for (let g = 0; g < opts.guilds; g++) {
      const guild = this.makeGuild(rng, ids, past(0.1, 7), humans, otherBots);
      this.guilds.set(guild.id, guild);
      for (const c of guild.channels) this.channelIndex.set(c.id, c);
    }
    // Invites come from their own seeded stream so the rest of the world stays as it was before them.
    if (opts.invites) this.seedInvites(new Rng((opts.seed ^ 0x1a2b3c4d) >>> 0));
    // Large guilds too, with ids from a worker of their own so none collides with the regular world's.
    if (opts.largeGuilds?.length) {
      const largeRng = new Rng((opts.seed ^ 0x5ca1ab1e) >>> 0);
      const largeIds = new SnowflakeGenerator(4n, 0n);
      for (const size of opts.largeGuilds) {
        const guild = this.makeGuild(
          largeRng,
          largeIds,
          base - YEAR_MS,
          this.largeGuildUsers(largeRng, largeIds, size, base),
          otherBots,
          size,
        );
        this.guilds.set(guild.id, guild);
        for (const c of guild.channels) this.channelIndex.set(c.id, c);
      }
    }
  }

  /**
   * `count` users for one large guild, one account per second going back from `base` (distinct times, so
   * distinct ids); names cheap to draw, as building 100,000 of them must take well under a second.
   */
  private largeGuildUsers(rng: Rng, ids: SnowflakeGenerator, count: number, base: number): SimUser[] {
    const users: SimUser[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${rng.pick(USER_A)}${rng.pick(USER_B)}${i}`;
      users.push({
        id: ids.next(base - 2 * YEAR_MS - i * 1000),
        username: name,
        globalName: rng.chance(0.4) ? name[0]!.toUpperCase() + name.slice(1) : null,
        avatar: null,
        bot: false,
      });
    }
    return users;
  }

  private makeGuild(
    rng: Rng,
    ids: SnowflakeGenerator,
    createdAt: number,
    humans: SimUser[],
    otherBots: SimUser[],
    /** Members in all (bots included); drawn between 10 and 60 when unset. */
    size?: number,
  ): SimGuild {
    const id = ids.next(createdAt);
    let t = createdAt; // later objects are created after the guild
    const later = () => (t += rng.int(1000, 3 * 24 * 3600 * 1000));

    const roles: SimRole[] = [
      {
        id,
        name: '@everyone',
        color: 0,
        position: 0,
        permissions: PERM_EVERYONE,
        hoist: false,
        mentionable: false,
        managed: false,
      },
    ];
    const roleCount = rng.int(2, 5);
    for (let i = 0; i < roleCount; i++) {
      const name = ROLE_NAMES[i] ?? `Role ${i}`;
      const permissions = name === 'Admin' ? PERM_ADMIN : name === 'Moderator' ? PERM_MOD : PERM_EVERYONE;
      roles.push({
        id: ids.next(later()),
        name,
        color: rng.int(0, 0xffffff),
        position: roleCount - i,
        permissions,
        hoist: i < 2,
        mentionable: rng.chance(0.5),
        managed: false,
      });
    }
    const botRole: SimRole = {
      id: ids.next(later()),
      name: this.botUser.username,
      color: 0,
      position: roleCount + 1,
      permissions: PERM_BOT,
      hoist: false,
      mentionable: false,
      managed: true,
      botId: this.botUser.id,
    };
    roles.push(botRole);

    const channels: SimChannel[] = [];
    const add = (
      c: Omit<SimChannel, 'id' | 'guildId' | 'topic' | 'nsfw'> & Partial<Pick<SimChannel, 'topic' | 'nsfw'>>,
    ) => {
      const ch: SimChannel = { id: ids.next(later()), guildId: id, topic: null, nsfw: false, ...c };
      channels.push(ch);
      return ch;
    };
    const textNames = [...TEXT_NAMES];
    let pos = 0;
    const categories = rng.int(1, 3);
    for (let c = 0; c < categories; c++) {
      const cat = add({
        type: ChannelKind.Category,
        name: CATEGORY_NAMES[c] ?? `Category ${c}`,
        position: c,
        parentId: null,
      });
      const texts = rng.int(2, 4);
      for (let i = 0; i < texts && textNames.length > 0; i++) {
        const name = textNames.splice(rng.int(0, textNames.length - 1), 1)[0]!;
        add({
          type: ChannelKind.Text,
          name,
          position: pos++,
          parentId: cat.id,
          topic: rng.chance(0.5) ? `All about ${name}` : null,
          nsfw: false,
        });
      }
      if (rng.chance(0.7))
        add({ type: ChannelKind.Voice, name: rng.pick(VOICE_NAMES), position: pos++, parentId: cat.id });
    }
    add({ type: ChannelKind.Announcement, name: 'announcements', position: pos++, parentId: null });
    const forum = add({ type: ChannelKind.Forum, name: 'questions', position: pos++, parentId: null });
    add({ type: ChannelKind.Voice, name: 'Lounge', position: pos++, parentId: null });

    // Members: a few bots, our bot, the rest humans from the shared pool.
    const members = new Map<string, SimMember>();
    const memberCount = size ?? rng.int(10, 60);
    const humanRoles = roles.filter((r) => r.id !== id && !r.managed);
    const botCount = rng.int(1, 3);
    const chosenBots = [...otherBots].sort(() => rng.next() - 0.5).slice(0, botCount);
    for (const b of chosenBots)
      members.set(b.id, { user: b, roles: [], nick: null, joinedAt: new Date(later()).toISOString() });
    members.set(this.botUser.id, {
      user: this.botUser,
      roles: [botRole.id],
      nick: null,
      joinedAt: new Date(later()).toISOString(),
    });
    const start = rng.int(0, humans.length - 1);
    for (let i = 0; members.size < memberCount && i < humans.length; i++) {
      const u = humans[(start + i * 7) % humans.length]!;
      if (members.has(u.id)) continue;
      const roleIds = humanRoles.filter(() => rng.chance(0.25)).map((r) => r.id);
      members.set(u.id, {
        user: u,
        roles: roleIds,
        nick: rng.chance(0.15) ? `${u.username}_nick` : null,
        joinedAt: new Date(createdAt + rng.int(0, 2 * YEAR_MS)).toISOString(),
      });
    }
    const humanIds = [...members.values()].filter((m) => !m.user.bot).map((m) => m.user.id);
    const ownerId = humanIds[0]!;
    const owner = members.get(ownerId)!;
    const admin = roles.find((r) => r.name === 'Admin');
    if (admin && !owner.roles.includes(admin.id)) owner.roles.push(admin.id);

    // Active public threads under some text channels, and forum posts (also type 11) under the forum.
    for (const parent of channels.filter((c) => c.type === ChannelKind.Text)) {
      const n = rng.chance(0.5) ? rng.int(1, 2) : 0;
      for (let i = 0; i < n; i++)
        add({
          type: ChannelKind.PublicThread,
          name: rng.pick(THREAD_NAMES),
          position: 0,
          parentId: parent.id,
          ownerId: rng.pick(humanIds),
        });
    }
    const posts = rng.int(1, 2);
    for (let i = 0; i < posts; i++)
      add({
        type: ChannelKind.PublicThread,
        name: `How do I ${rng.pick(THREAD_NAMES)}?`,
        position: 0,
        parentId: forum.id,
        ownerId: rng.pick(humanIds),
      });

    const emojis: SimEmoji[] = [];
    const emojiCount = rng.int(0, 8);
    for (let i = 0; i < emojiCount; i++)
      emojis.push({ id: ids.next(later()), name: `${rng.pick(EMOJI_NAMES)}${i}`, animated: rng.chance(0.3) });

    const firstText = channels.find((c) => c.type === ChannelKind.Text)!;
    const webhook = { id: ids.next(later()), name: 'GitHub', channelId: firstText.id };
    const name = `${rng.pick(ADJ)} ${rng.pick(NOUN)}`.replace(/^./, (c) => c.toUpperCase());
    return {
      id,
      name,
      ownerId,
      createdAt,
      roles,
      channels,
      members,
      emojis,
      webhook,
      afkChannelId: null,
      voiceStates: new Map(),
      presences: new Map(),
      invites: new Map(),
      vanity: null,
    };
  }

  guild(guildId: string): SimGuild | undefined {
    return this.guilds.get(guildId);
  }

  /** A few member-created invites per guild with some uses already, and a vanity URL on every third guild. */
  private seedInvites(rng: Rng): void {
    let n = 0;
    for (const g of this.guilds.values()) {
      const humans = [...g.members.values()].filter((m) => !m.user.bot);
      const texts = g.channels.filter((c) => c.type === ChannelKind.Text);
      const count = rng.int(1, 3);
      for (let i = 0; i < count; i++) {
        const code = inviteCode(rng);
        g.invites.set(code, {
          code,
          guildId: g.id,
          channelId: rng.pick(texts).id,
          inviterId: rng.pick(humans).user.id,
          uses: rng.int(0, 40),
          maxUses: 0,
          maxAge: 0,
          createdAt: g.createdAt + rng.int(1, 30) * 86_400_000,
        });
      }
      if (n++ % 3 === 0)
        g.vanity = { code: `${g.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}${n}`, uses: rng.int(0, 500) };
    }
  }

  /** A new user whose account was created at `createdAt` (its id's snowflake time), not yet in any guild. */
  newUser(createdAt: number, name?: string): SimUser {
    const id = this.userIds.next(createdAt);
    return { id, username: name ?? `newcomer${id.slice(-6)}`, globalName: null, avatar: null, bot: false };
  }

  channel(channelId: string): SimChannel | undefined {
    return this.channelIndex.get(channelId);
  }

  /** Keeps the channel index current when a channel is created (structure.ts). */
  addChannel(c: SimChannel): void {
    this.channelIndex.set(c.id, c);
  }

  removeChannel(channelId: string): void {
    this.channelIndex.delete(channelId);
  }

  /** Channels of one category, and the threads under them (a category's messages include its threads'). */
  categoryChannels(guildId: string, categoryId: string): SimChannel[] {
    const all = this.guilds.get(guildId)?.channels ?? [];
    const direct = all.filter((c) => c.parentId === categoryId && c.type !== ChannelKind.PublicThread);
    const ids = new Set(direct.map((c) => c.id));
    return [
      ...direct,
      ...all.filter((c) => c.type === ChannelKind.PublicThread && c.parentId !== null && ids.has(c.parentId)),
    ];
  }

  /** Members who are not bots (the people a stats bot counts). */
  humanMembers(guildId: string): SimMember[] {
    return [...(this.guilds.get(guildId)?.members.values() ?? [])].filter((m) => !m.user.bot);
  }

  botMembers(guildId: string): SimMember[] {
    return [...(this.guilds.get(guildId)?.members.values() ?? [])].filter(
      (m) => m.user.bot && m.user.id !== this.botUser.id,
    );
  }

  /** Guild text channels people post in: text (0) and announcement (5). */
  textChannels(guildId: string): SimChannel[] {
    return (this.guilds.get(guildId)?.channels ?? []).filter(
      (c) => c.type === ChannelKind.Text || c.type === ChannelKind.Announcement,
    );
  }

  threads(guildId: string): SimChannel[] {
    return (this.guilds.get(guildId)?.channels ?? []).filter((c) => c.type === ChannelKind.PublicThread);
  }

  voiceChannels(guildId: string): SimChannel[] {
    return (this.guilds.get(guildId)?.channels ?? []).filter((c) => c.type === ChannelKind.Voice);
  }
}

const CODE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An 8-character invite code like Discord's. */
export function inviteCode(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += CODE_CHARS[rng.int(0, CODE_CHARS.length - 1)];
  return s;
}
