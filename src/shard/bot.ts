// One discord.js client with the collectors and commands attached. Used by the cluster process
// (src/shard/main.ts) and, in-process, by tests and benchmarks.
import { Client, Events, type ClientOptions, GatewayIntentBits, Options, Partials } from 'discord.js';
import type { Redis } from 'ioredis';
import { totalClusters, type Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { gatewayDispatches, gatewaySessions, shardPing, shardStatus } from '../metrics.js';
import type { RenderPool } from '../render/pool.js';
import { collectApps } from './collectors/apps.js';
import { collectEmojis } from './collectors/emojis.js';
import { collectMembers } from './collectors/members.js';
import { collectMessages } from './collectors/messages.js';
import { COMMANDS } from './commands/registry.js';
import { routeCommands } from './commands/router.js';
import { GuildSettingsStore } from '../settings.js';
import { OptOutStore } from '../privacy.js';
import { CounterWriter } from './counters.js';
import { EmojiNameRecorder } from './emoji-names.js';
import { MemberEventWriter } from './invites/event-writer.js';
import { InviteSnapshotStore } from './invites/snapshot.js';
import { InviteTracker } from './invites/tracker.js';
import { collectTimedSessions, type TimedSessions } from './sessions/index.js';
import { redisIdentifyThrottler } from './identify-throttler.js';

export interface BotOptions {
  config: Config;
  redis: Redis;
  pool: Pool;
  render: RenderPool;
  logger: Logger;
  shards: number[];
  shardCount: number;
  /** Register the slash commands on ready (one process per deployment does it). */
  registerCommands: boolean;
}

export interface Bot {
  client: Client;
  counters: CounterWriter;
  /** Custom emojis' names, written to emoji_names in batches. */
  emojiNames: EmojiNameRecorder;
  /** Open voice (and presence activity) sessions. */
  sessions: TimedSessions;
  /** Member join/leave events (XADD to the partition streams) and the invite tracker attributing joins. */
  members: { events: MemberEventWriter; invites: InviteTracker };
  /** Guild settings (include bots, time zone), cached and kept current over pub/sub. */
  settings: GuildSettingsStore;
  /** Members who opted out of tracking (src/privacy.ts), a Set mirrored from Redis and kept current over pub/sub. */
  privacy: OptOutStore;
  start(): Promise<void>;
  /** Closes the gateway, then waits for in-flight increments; true when nothing was left unwritten. */
  stop(): Promise<boolean>;
}

/** The gateway intents the collectors need (presences only where the privileged intent is granted). */
export function botIntents(config: Config): GatewayIntentBits[] {
  return [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.GuildMessageReactions,
    GatewayIntentBits.MessageContent,
    GatewayIntentBits.GuildVoiceStates,
    GatewayIntentBits.GuildMembers,
    GatewayIntentBits.GuildInvites,
    ...(config.presenceIntent ? [GatewayIntentBits.GuildPresences] : []),
  ];
}

/**
 * Discord allows a bot 50 requests per second in all, however many processes it runs (topics/rate-limits.mdx,
 * "Global Rate Limit"), and each discord.js client limits only itself: every cluster process of the
 * deployment keeps to its share, or together they draw global 429s (which count towards Discord's
 * invalid-request ban) and hold up command replies behind them. The shares add up to half the limit: each
 * process counts its own seconds, so one second of Discord's can hold two of a process's bursts.
 */
export function restRequestsPerSecond(config: Pick<Config, 'totalShards' | 'shardsPerCluster'>): number {
  return Math.max(1, Math.floor(25 / totalClusters(config)));
}

/**
 * A stats bot needs no message, presence or member cache: collectors read what the dispatch carries.
 * The partials let reaction, member-remove and invite events through for uncached objects.
 */
export function createClient(config: Config, shards: number[], shardCount: number, ws?: ClientOptions['ws']): Client {
  return new Client({
    intents: botIntents(config),
    partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User, Partials.GuildMember],
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      ReactionUserManager: 0,
      GuildMessageManager: 0,
      ThreadMemberManager: 0,
      GuildInviteManager: 0,
      GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user.id },
      UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user.id },
    }),
    sweepers: Options.DefaultSweeperSettings,
    rest: { api: config.discordApiUrl, globalRequestsPerSecond: restRequestsPerSecond(config) },
    shards,
    shardCount,
    ...(ws ? { ws } : {}),
  });
}

export function createBot(opts: BotOptions): Bot {
  const { config, logger } = opts;
  // Identifies are throttled per max_concurrency bucket across every process, through Redis.
  const client = createClient(config, opts.shards, opts.shardCount, {
    buildIdentifyThrottler: redisIdentifyThrottler({ redis: opts.redis, prefix: config.redisKeyPrefix, intervalMs: config.identifyIntervalMs, logger }),
  });
  const counters = new CounterWriter({
    redis: opts.redis,
    keys: new Keys(config.redisKeyPrefix),
    partitions: config.redisPartitions,
    logger,
    maxBuffered: config.retryBufferMax,
  });
  const settings = new GuildSettingsStore(opts.pool, opts.redis, config.redisKeyPrefix, logger);
  const privacy = new OptOutStore(opts.pool, opts.redis, config.redisKeyPrefix, logger);
  collectMessages(client, counters, settings, privacy);
  const emojiNames = new EmojiNameRecorder(opts.pool, logger);
  collectEmojis(client, counters, settings, privacy, emojiNames);
  collectApps(client, counters, settings, privacy);
  const sessions = collectTimedSessions(client, { config, redis: opts.redis, logger, settings, privacy });
  const keys = new Keys(config.redisKeyPrefix);
  const members = {
    events: new MemberEventWriter({ redis: opts.redis, keys, partitions: config.redisPartitions, logger, maxBuffered: config.retryBufferMax }),
    invites: new InviteTracker({ client, store: new InviteSnapshotStore(opts.redis, keys, config.redisPartitions), logger }),
  };
  collectMembers(client, members.invites, members.events, privacy);
  routeCommands(client, { pool: opts.pool, render: opts.render, logger, settings, privacy });

  // Settings for every guild at ready (one query), for a guild that adds the bot later, and on change.
  const loadSettings = (ids: string[]) =>
    settings.load(ids).catch((err: unknown) => logger.warn({ err, guilds: ids.length }, 'could not load guild settings; defaults apply'));
  client.once(Events.ClientReady, () => void loadSettings([...client.guilds.cache.keys()]));
  client.on(Events.GuildCreate, (guild) => {
    if (client.isReady()) void loadSettings([guild.id]);
  });
  client.on(Events.ShardReady, (id) => {
    shardStatus.set({ shard: id }, 1);
    gatewaySessions.inc({ shard: id, kind: 'identify' });
    logger.info({ shard: id }, 'shard ready');
  });
  client.on(Events.ShardResume, (id) => {
    shardStatus.set({ shard: id }, 1);
    gatewaySessions.inc({ shard: id, kind: 'resume' });
  });
  client.on(Events.Raw, (packet: { t?: string | null }, shard: number) => {
    if (packet.t) gatewayDispatches.inc({ type: packet.t, shard });
  });
  client.on(Events.ShardDisconnect, (_e, id) => shardStatus.set({ shard: id }, 0));
  client.on(Events.ShardReconnecting, (id) => shardStatus.set({ shard: id }, 0));
  client.on(Events.ShardError, (err, id) => logger.warn({ err, shard: id }, 'shard error'));
  client.on(Events.Error, (err) => logger.error({ err }, 'client error'));
  const pingTimer = setInterval(() => {
    for (const [id, shard] of client.ws.shards) if (shard.ping >= 0) shardPing.set({ shard: id }, shard.ping / 1000);
  }, 15_000);
  pingTimer.unref();

  return {
    client,
    counters,
    emojiNames,
    settings,
    privacy,
    sessions,
    members,
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      // Not awaited into failure: a Redis outage at start must not keep the shard off the gateway.
      await settings.subscribe((guildId) => client.guilds.cache.has(guildId)).catch((err: unknown) =>
        logger.error({ err }, 'could not subscribe to guild settings changes; restart to pick up changes'),
      );
      // Opt-outs before the first event: a Redis outage leaves them empty (logged), Postgres is not needed.
      await privacy.subscribe().catch((err: unknown) => logger.error({ err }, 'could not subscribe to privacy opt-outs; restart to pick up changes'));
      await privacy.load().catch((err: unknown) => logger.error({ err }, 'could not load privacy opt-outs'));
      await client.login(config.discordToken);
      await ready;
      if (opts.registerCommands) {
        await client.application!.commands.set(COMMANDS);
        logger.info({ commands: COMMANDS.map((c) => c.name) }, 'slash commands registered');
      }
    },
    async stop() {
      clearInterval(pingTimer);
      await client.destroy();
      settings.close();
      privacy.close();
      // Open sessions are credited up to now and stay open in Redis: the next process reconciles them.
      const sessionsClean = await sessions.stop();
      await members.invites.idle();
      const eventsClean = await members.events.drain();
      members.events.close();
      if (!eventsClean) logger.error(members.events.pending, 'stopping with member events not yet written to Redis');
      const clean = await counters.drain();
      counters.close();
      await emojiNames.close();
      if (!clean) logger.error(counters.pending, 'stopping with increments not yet written to Redis');
      if (!sessionsClean) logger.error({ sessions: sessions.writer.pending }, 'stopping with session changes not yet written to Redis');
      return clean && sessionsClean && eventsClean;
    },
  };
}
