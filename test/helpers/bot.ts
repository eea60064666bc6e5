// One discord.js bot in the test process (createBot, as a cluster process runs it) against a fresh
// simulator, a fresh migrated database and a unique Redis key prefix; stop() tears all of it down.
// Faster than cluster processes (startStack) for tests that are about one family's counting.
import { loadConfig, type Config } from '../../src/config.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import type { FamilyName } from '../../src/families.js';
import { Ingestor } from '../../src/ingest/ingest.js';
import { Keys } from '../../src/keys.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createRedis, type Redis } from '../../src/redis.js';
import { RenderPool } from '../../src/render/pool.js';
import { createBot, type Bot } from '../../src/shard/bot.js';
import { startInteractionsService, type InteractionsService } from '../../src/interactions/service.js';
import { startSimulator, type Simulator, type SimulatorOptions } from 'discord-sim';
import { Events } from 'discord.js';
import { vi } from 'vitest';
import { testClock, type TestClock } from './clock.js';
import { cleanupPrefix, testDatabase, testRedis } from './services.js';

export interface TestBot {
  sim: Simulator;
  bot: Bot;
  config: Config;
  logger: Logger;
  redis: Redis;
  pool: Pool;
  render: RenderPool;
  ingestor: Ingestor;
  prefix: string;
  /** Who answers commands: the shard (gateway) or the interactions service (http, set as the sim's endpoint). */
  mode: 'gateway' | 'http';
  /** The interactions service in http mode. */
  service?: InteractionsService;
  /** The clock of the simulator's session truth, the bot's session trackers and its command cooldowns. */
  clock: TestClock;
  /**
   * Moves the clock `ms` forward once the bot has received every event the simulator sent (so each was
   * stamped before the jump on both sides): session time and command cooldowns without the wait.
   */
  advance(ms: number): Promise<void>;
  /** Resolves once the bot has received every dispatch the simulator sent on its shard so far. */
  received(): Promise<void>;
  /**
   * Resolves once the trackers' timer has credited every open session up to the clock's now (within about
   * one credit interval of real time): after a jump, what a session holds before, say, a disconnect.
   */
  credited(): Promise<void>;
  /** Runs ingest until `check` reports no difference from the truth; throws with the first ones on timeout. */
  ingestUntil(check: () => Promise<string[]>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestBot(o: {
  name: string;
  sim?: SimulatorOptions;
  /** Extra configuration, as environment variables (e.g. VOICE_CREDIT_INTERVAL_MS). */
  env?: Record<string, string>;
  /** Families the ingestor loads (default all). */
  families?: FamilyName[];
  /** A Redis of the test's own (e.g. one it may flush or stop); default the run's shared one. */
  redisUrl?: string;
  /** The bot's logger (e.g. one whose lines the test reads); default warn level to stdout. */
  logger?: Logger;
  /**
   * Who answers commands; default TEST_INTERACTIONS (the vitest project 'bot-http' sets it to http, so the
   * command suites run in both modes), else gateway.
   */
  interactions?: 'gateway' | 'http';
  /** The clock of the simulator's truth, the session trackers and command cooldowns; default a fresh one. */
  clock?: TestClock;
  /** Runs before the bot connects (e.g. history laid down before the bot joins, opt-outs already made). */
  beforeStart?: (x: {
    sim: Simulator;
    config: Config;
    redis: Redis;
    pool: Pool;
    logger: Logger;
  }) => Promise<void> | void;
}): Promise<TestBot> {
  const mode = o.interactions ?? (process.env.TEST_INTERACTIONS === 'http' ? 'http' : 'gateway');
  const db = await testDatabase();
  const r = { ...testRedis(), ...(o.redisUrl ? { url: o.redisUrl } : {}) };
  const clock = o.clock ?? testClock();
  const sim = await startSimulator({ guilds: 6, shards: 1, ...o.sim, clock });
  const config = loadConfig({
    DISCORD_TOKEN: sim.token,
    DISCORD_API_URL: sim.apiUrl,
    REDIS_KEY_PREFIX: r.prefix,
    LOG_LEVEL: 'warn',
    INTERACTIONS: mode,
    DISCORD_PUBLIC_KEY: sim.publicKey,
    INTERACTIONS_PORT: '0',
    // Backfills on join read every channel's history over REST: only the suites about them turn it on.
    BACKFILL_ON_JOIN: 'false',
    ...o.env,
  });
  const logger = o.logger ?? createLogger('warn', { test: o.name });
  const redis = createRedis(r.url);
  const pool = createPool(db.url);
  const render = new RenderPool({ threads: 1, logger });
  await o.beforeStart?.({ sim, config, redis, pool, logger });
  const bot = createBot({
    config,
    redis,
    pool,
    render,
    logger,
    shards: [0],
    shardCount: 1,
    registerCommands: false,
    sessionClock: clock.now,
    commandClock: clock.now,
  });
  // The last dispatch the bot's shard took in, with its session (READY names it): the trackers read each
  // dispatch synchronously as it arrives (Events.Raw, whose listeners they registered first).
  const seen = { sessionId: '', seq: 0 };
  bot.client.on(Events.Raw, (p: { t?: string; s?: number | null; d?: { session_id?: string } }) => {
    if (p.t === 'READY' && p.d?.session_id) seen.sessionId = p.d.session_id;
    if (typeof p.s === 'number') seen.seq = p.s;
  });
  await bot.start();
  // Invite snapshots taken at connect are in place before a test's first join (src/shard/invites/tracker.ts).
  await bot.members.invites.idle();
  let service: InteractionsService | undefined;
  if (mode === 'http') {
    service = await startInteractionsService({
      config,
      redis,
      pool,
      render,
      logger,
      host: '127.0.0.1',
      commandClock: clock.now,
    });
    // As in the developer portal: the simulator checks the URL (signed PING, forged signature) first.
    await sim.setInteractionsEndpoint(service.url);
  }
  const ingestor = new Ingestor({
    redis,
    pool,
    keys: new Keys(r.prefix),
    partitions: config.redisPartitions,
    logger,
    families: o.families,
  });
  const received = async () => {
    await vi.waitFor(
      () => {
        const sent = sim.lastDispatch(0);
        if (!sent || sent.sessionId !== seen.sessionId || seen.seq < sent.seq)
          throw new Error(
            `the bot has not received every dispatch: sent ${JSON.stringify(sent)}, got ${JSON.stringify(seen)}`,
          );
      },
      { timeout: 20_000, interval: 10 },
    );
  };
  const credited = async () => {
    const at = clock.now();
    const trackers = [bot.sessions.voice, bot.sessions.activities].filter((x) => x !== undefined);
    await vi.waitFor(
      () => {
        for (const tracker of trackers)
          for (const g of sim.world.guilds.keys())
            for (const [field, s] of tracker.sessions(g))
              if (s.last < at)
                throw new Error(`${tracker.family} session ${field} credited through ${s.last}, not ${at}`);
      },
      { timeout: 20_000, interval: 20 },
    );
  };
  return {
    sim,
    bot,
    config,
    logger,
    redis,
    pool,
    render,
    ingestor,
    prefix: r.prefix,
    mode,
    service,
    clock,
    received,
    credited,
    async advance(ms) {
      await received();
      clock.advance(ms);
    },
    async ingestUntil(check, timeoutMs = 30_000) {
      await vi.waitFor(
        async () => {
          await ingestor.runOnce();
          const diff = await check();
          if (diff.length > 0) throw new Error(`database differs from the truth: ${diff.slice(0, 5).join(', ')}`);
        },
        { timeout: timeoutMs, interval: 200 },
      );
    },
    async stop() {
      await service?.stop();
      await bot.stop();
      await ingestor.stop();
      await render.close();
      await sim.close();
      await cleanupPrefix(redis, r.prefix);
      await Promise.allSettled([redis.quit(), pool.end()]);
      await db.drop();
    },
  };
}
