// Discord's global REST limit (50 requests per second) is per bot, not per process. Two cluster processes
// (here two clients, each with its own discord.js REST queue, as each process has) start at once and each
// snapshots the invites of its guilds: together they stay within the limit, so the simulator, which
// enforces it, answers no request with a global 429.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { RenderPool } from '../src/render/pool.js';
import { createBot, restRequestsPerSecond, type Bot } from '../src/shard/bot.js';
import { startSimulator } from 'discord-sim';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

const logger = createLogger('warn', { test: 'rest-budget' });
const r = testRedis();
const redis = createRedis(r.url);
const cleanup: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await cleanupPrefix(redis, r.prefix);
  await redis.quit();
});

describe("the bot's share of Discord's global REST limit", () => {
  it('two cluster processes snapshotting 240 guilds draw no global 429', async () => {
    const sim = await startSimulator({ guilds: 240, shards: 2, invites: true });
    cleanup.push(() => sim.close());
    const db = await testDatabase();
    cleanup.push(db.drop);
    const config = loadConfig({
      DISCORD_TOKEN: sim.token,
      DISCORD_API_URL: sim.apiUrl,
      REDIS_KEY_PREFIX: r.prefix,
      TOTAL_SHARDS: '2',
      SHARDS_PER_CLUSTER: '1',
      LOG_LEVEL: 'warn',
    });
    expect(restRequestsPerSecond(config) * 2).toBeLessThanOrEqual(50);
    const pool = createPool(db.url);
    const render = new RenderPool({ threads: 1, logger });
    const bots: Bot[] = [0, 1].map((shard) =>
      createBot({ config, redis, pool, render, logger, shards: [shard], shardCount: 2, registerCommands: false }),
    );
    cleanup.push(async () => {
      await Promise.all(bots.map((b) => b.stop()));
      await render.close();
      await pool.end();
    });
    await Promise.all(bots.map((b) => b.start()));

    // Every guild's invites are read once at start (vanity URLs too where a guild has one).
    const invites = () => sim.restStats.routes.get('GET /guilds/{id}/invites') ?? 0;
    await expect.poll(invites, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(sim.world.guilds.size);
    await Promise.all(bots.map((b) => b.members.invites.idle()));
    expect(sim.restStats.rateLimited).toEqual({ user: 0, global: 0 });
  }, 90_000);
});
