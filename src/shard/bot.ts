// One discord.js client with the collectors and commands attached. Used by the cluster process
// (src/shard/main.ts) and, in-process, by tests and benchmarks.
import {
  Client,
  Events,
  type ClientOptions,
  GatewayCloseCodes,
  GatewayIntentBits,
  Options,
  Partials,
  type SimpleShardingStrategy,
} from 'discord.js';
import type { RedisClient } from '../redis.js';
import { BOT_CACHE_LIMITS } from '../discord-cache.js';
import { totalClusters, type Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { gatewaySessions, shardPing, shardStatus } from '../metrics.js';
import type { RenderPool } from '../render/pool.js';
import { collectApps } from './collectors/apps.js';
import { collectEmojis } from './collectors/emojis.js';
import { collectMembers } from './collectors/members.js';
import { collectMentions } from './collectors/mentions.js';
import { collectMessages } from './collectors/messages.js';
import { BY_NAME, COMMANDS } from '../commands/index.js';
import { routeCommands } from '../commands/framework/router.js';
import { GuildSettingsStore } from '../settings.js';
import { OptOutStore } from '../privacy.js';
import { CounterWriter } from '../counters.js';
import { EmojiNameRecorder } from './emoji-names.js';
import { collectStructure, StructureRecorder } from './structure.js';
import { shardReads } from './read-pause.js';
import { MemberEventWriter } from './invites/event-writer.js';
import { InviteSnapshotStore } from './invites/snapshot.js';
import { InviteTracker } from './invites/tracker.js';
import { collectTimedSessions, type TimedSessions } from './sessions/index.js';
import { redisIdentifyThrottler } from './identify-throttler.js';
import { createDispatchGuard } from './dispatch-guard.js';
import { routeGuildMessages, type GuildMessages } from './guild-messages.js';
import { RedisResetWatcher } from '../redis-reset.js';
import { requestFirstBackfills } from '../backfill.js';
import { BackfillRunner } from './backfill/runner.js';
import { recordLiveCuts } from './backfill/live-cut.js';

export interface BotOptions {
  config: Config;
  redis: RedisClient;
  pool: Pool;
  render: RenderPool;
  logger: Logger;
  shards: number[];
  shardCount: number;
  /** Register the slash commands on ready (one process per deployment does it). */
  registerCommands: boolean;
  /**
   * Record names and structure (channels, roles, members' roles) in PostgreSQL: default true. Off only in
   * the scale bench's big-guild baseline, which measures what the member tracking costs in memory.
   */
  recordStructure?: boolean;
  /**
   * Discord closed a shard for good (a rejected token, disallowed intents, a bad shard layout): restarting
   * cannot help. Default: logged as an error.
   */
  onUnrecoverable?: (reason: string) => void;
  /** Where the voice and activity session trackers read the time; default the real clock (Date.now). Tests
   *  move a clock forward to credit session time without waiting for it. */
  sessionClock?: () => number;
  /** The command router's clock (per-member cooldowns); default the real one. Tests move it forward instead of
   *  waiting out a cooldown. */
  commandClock?: () => number;
}

/** Close codes after which discord.js does not reconnect, and what each means for the operator. */
const UNRECOVERABLE_CLOSES: Record<number, string> = {
  [GatewayCloseCodes.AuthenticationFailed]: 'the bot token was rejected (check DISCORD_TOKEN)',
  [GatewayCloseCodes.InvalidShard]: 'the shard id was refused (check TOTAL_SHARDS and the shard layout)',
  [GatewayCloseCodes.ShardingRequired]: 'Discord requires more shards (raise TOTAL_SHARDS)',
  [GatewayCloseCodes.InvalidAPIVersion]: 'the gateway API version was refused',
  [GatewayCloseCodes.InvalidIntents]: 'the gateway intents were refused as invalid',
  [GatewayCloseCodes.DisallowedIntents]:
    'a privileged intent is not enabled for this application (enable it in the developer portal, or set PRESENCE_INTENT=false)',
};

/** What an unrecoverable close code means, for the logs and the manager. */
export function unrecoverableClose(code: number, shard: number): string | undefined {
  const why = UNRECOVERABLE_CLOSES[code];
  return why === undefined
    ? undefined
    : `Discord closed shard ${shard} with ${code} (${GatewayCloseCodes[code] ?? 'unknown'}): ${why}`;
}

export interface Bot {
  client: Client;
  /** Guild messages as the collectors get them (src/shard/guild-messages.ts). */
  messages: GuildMessages;
  counters: CounterWriter;
  /** Custom emojis' names, written to emoji_names in batches. */
  emojiNames: EmojiNameRecorder;
  /** Channels, roles and members' names and roles, written to PostgreSQL in batches (src/shard/structure.ts). */
  structure: StructureRecorder & { idle(): boolean };
  /** Open voice (and presence activity) sessions. */
  sessions: TimedSessions;
  /** Member join/leave events (XADD to the partition streams) and the invite tracker attributing joins. */
  members: { events: MemberEventWriter; invites: InviteTracker };
  /** Guild settings (include bots, time zone), cached and kept current over pub/sub. */
  settings: GuildSettingsStore;
  /** Members who opted out of tracking (src/privacy.ts), a Set mirrored from Redis and kept current over pub/sub. */
  privacy: OptOutStore;
  /** Backfills of message history for this process's guilds (src/shard/backfill). */
  backfill: BackfillRunner;
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
    // Shards receive reaction events: who reacted is not kept either.
    makeCache: Options.cacheWithLimits({ ...BOT_CACHE_LIMITS, ReactionUserManager: 0 }),
    sweepers: Options.DefaultSweeperSettings,
    rest: { api: config.discordApiUrl, globalRequestsPerSecond: restRequestsPerSecond(config) },
    shards,
    shardCount,
    ...(ws ? { ws } : {}),
  });
}

export function createBot(opts: BotOptions): Bot {
  const { config, logger } = opts;
  // Every dispatch is validated before discord.js handles it, and nothing a handler throws escapes
  // (src/shard/dispatch-guard.ts); identifies are throttled per max_concurrency bucket across every
  // process, through Redis.
  const guard = createDispatchGuard(logger);
  let strategy: SimpleShardingStrategy | undefined;
  const client = createClient(config, opts.shards, opts.shardCount, {
    buildIdentifyThrottler: redisIdentifyThrottler({
      redis: opts.redis,
      prefix: config.redisKeyPrefix,
      intervalMs: config.identifyIntervalMs,
      logger,
    }),
    buildStrategy: (manager) => (strategy = guard.buildStrategy(manager)),
  });
  // MESSAGE_CREATE reaches the message collectors raw; discord.js builds no Message unless it needs one.
  const messages = routeGuildMessages(client, guard);
  guard.protect(client);
  const counters = new CounterWriter({
    redis: opts.redis,
    keys: new Keys(config.redisKeyPrefix),
    partitions: config.redisPartitions,
    logger,
    maxBuffered: config.retryBufferMax,
  });
  const settings = new GuildSettingsStore(opts.pool, opts.redis, config.redisKeyPrefix, logger);
  const privacy = new OptOutStore(opts.pool, opts.redis, config.redisKeyPrefix, logger);
  collectMessages(messages, counters, settings, privacy);
  collectMentions(messages, counters, settings, privacy);
  const emojiNames = new EmojiNameRecorder(opts.pool, logger);
  collectEmojis(guard.forCollector(client, 'emojis'), messages, counters, settings, privacy, emojiNames);
  const structureRecorder = new StructureRecorder(opts.pool, logger, privacy);
  const structureCollector =
    opts.recordStructure === false
      ? { stop() {}, idle: () => true }
      : collectStructure(
          guard.forCollector(client, 'structure'),
          structureRecorder,
          logger,
          shardReads(() => strategy),
        );
  // "Opt-out stops storing": the member's name and roles go at once, and are not noted again.
  privacy.onOptOut((guildId, userId) => structureRecorder.memberRemoved(guildId, userId));
  const structure = Object.assign(structureRecorder, {
    idle: () => structureCollector.idle() && structureRecorder.pending === 0,
  });
  collectApps(guard.forCollector(client, 'apps'), messages, counters, settings, privacy);
  const sessions = collectTimedSessions(guard.forCollector(client, 'sessions'), {
    config,
    redis: opts.redis,
    logger,
    now: opts.sessionClock,
    settings,
    privacy,
  });
  const keys = new Keys(config.redisKeyPrefix);
  const members = {
    events: new MemberEventWriter({
      redis: opts.redis,
      keys,
      partitions: config.redisPartitions,
      logger,
      maxBuffered: config.retryBufferMax,
    }),
    invites: new InviteTracker({
      client,
      store: new InviteSnapshotStore(opts.redis, keys, config.redisPartitions),
      logger,
      graceMs: config.inviteGraceMs,
    }),
  };
  collectMembers(guard.forCollector(client, 'members'), members.invites, members.events, privacy);
  // In HTTP mode Discord delivers interactions to the interactions service (src/interactions): shards only record.
  if (config.interactions === 'gateway')
    routeCommands(
      guard.forCollector(client, 'commands'),
      BY_NAME,
      { pool: opts.pool, render: opts.render, logger, settings, privacy },
      { now: opts.commandClock },
    );

  // Redis emptied under us (FLUSHALL, a restart without persistence): rebuild at once what this process
  // mirrors there, rather than at its next start or a guild's next event.
  const resets = new RedisResetWatcher({
    redis: opts.redis,
    prefix: config.redisKeyPrefix,
    logger,
    onReset() {
      privacy.load().catch((err: unknown) => logger.error({ err }, 'could not rebuild the opt-out set'));
      for (const guild of client.guilds.cache.values()) void members.invites.refresh(guild);
      sessions.resync();
    },
  });

  // Backfill: where live counting starts per channel, jobs for servers never backfilled, and the runner.
  recordLiveCuts(guard.forCollector(client, 'backfill'), messages, opts.redis, keys, config.redisPartitions, logger);
  const backfill = new BackfillRunner({
    client,
    pool: opts.pool,
    redis: opts.redis,
    config,
    logger,
    settings,
    privacy,
    emojiNames,
  });
  const queueJoined = (ids: string[]) => {
    if (!config.backfillOnJoin) return;
    // A guild with a job row (any state) was backfilled or is being backfilled: only new ones are queued.
    requestFirstBackfills(opts.pool, ids).catch((err: unknown) =>
      logger.warn({ err, guilds: ids.length }, 'could not queue backfills'),
    );
  };
  client.once(Events.ClientReady, () => queueJoined([...client.guilds.cache.keys()]));
  client.on(Events.GuildCreate, (guild) => {
    if (client.isReady()) queueJoined([guild.id]);
  });

  // Settings for every guild at ready (one query), for a guild that adds the bot later, and on change.
  const loadSettings = (ids: string[]) =>
    settings
      .load(ids)
      .catch((err: unknown) =>
        logger.warn({ err, guilds: ids.length }, 'could not load guild settings; defaults apply'),
      );
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
  client.on(Events.ShardDisconnect, (e, id) => {
    shardStatus.set({ shard: id }, 0);
    const reason = unrecoverableClose(e.code, id);
    if (reason === undefined) return;
    if (opts.onUnrecoverable) opts.onUnrecoverable(reason);
    else logger.error({ shard: id, code: e.code }, reason);
  });
  client.on(Events.ShardReconnecting, (id) => shardStatus.set({ shard: id }, 0));
  client.on(Events.ShardError, (err, id) => logger.warn({ err, shard: id }, 'shard error'));
  client.on(Events.Error, (err) => logger.error({ err }, 'client error'));
  const pingTimer = setInterval(() => {
    for (const [id, shard] of client.ws.shards) if (shard.ping >= 0) shardPing.set({ shard: id }, shard.ping / 1000);
  }, 15_000);
  pingTimer.unref();

  return {
    client,
    messages,
    counters,
    emojiNames,
    structure,
    settings,
    privacy,
    sessions,
    members,
    backfill,
    async start() {
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      // Not awaited into failure: a Redis outage at start must not keep the shard off the gateway.
      await settings
        .subscribe((guildId) => client.guilds.cache.has(guildId))
        .catch((err: unknown) =>
          logger.error({ err }, 'could not subscribe to guild settings changes; restart to pick up changes'),
        );
      // Opt-outs before the first event: a Redis outage leaves them empty (logged), Postgres is not needed.
      await privacy
        .subscribe()
        .catch((err: unknown) =>
          logger.error({ err }, 'could not subscribe to privacy opt-outs; restart to pick up changes'),
        );
      await privacy.load().catch((err: unknown) => logger.error({ err }, 'could not load privacy opt-outs'));
      await resets.start();
      await client.login(config.discordToken);
      await ready;
      backfill.start();
      if (opts.registerCommands) {
        await client.application!.commands.set(COMMANDS);
        logger.info({ commands: COMMANDS.map((c) => c.name) }, 'slash commands registered');
      }
    },
    async stop() {
      clearInterval(pingTimer);
      await backfill.stop();
      await resets.stop();
      structureCollector.stop();
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
      await structureRecorder.close();
      if (!clean) logger.error(counters.pending, 'stopping with increments not yet written to Redis');
      if (!sessionsClean)
        logger.error({ sessions: sessions.writer.pending }, 'stopping with session changes not yet written to Redis');
      return clean && sessionsClean && eventsClean;
    },
  };
}
