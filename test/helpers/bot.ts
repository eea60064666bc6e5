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
import { vi } from 'vitest';
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
  /** The session trackers' clock (test/helpers/clock.ts); default the real one. */
  sessionClock?: () => number;
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
  const sim = await startSimulator({ guilds: 6, shards: 1, ...o.sim });
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
    sessionClock: o.sessionClock,
  });
  await bot.start();
  // Invite snapshots taken at connect are in place before a test's first join (src/shard/invites/tracker.ts).
  await bot.members.invites.idle();
  let service: InteractionsService | undefined;
  if (mode === 'http') {
    service = await startInteractionsService({ config, redis, pool, render, logger, host: '127.0.0.1' });
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
