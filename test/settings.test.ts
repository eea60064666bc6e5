// Guild settings reach a running shard over pub/sub: a guild that turns "include bots" on has its bots'
// messages counted from then on, other guilds do not; webhooks never count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { createRedis, type Redis } from '../src/redis.js';
import { RenderPool } from '../src/render/pool.js';
import { GuildSettingsStore } from '../src/settings.js';
import { createBot, type Bot } from '../src/shard/bot.js';
import { startSimulator, type Simulator } from '../src/sim/index.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

const logger = createLogger('silent');
let sim: Simulator;
let bot: Bot;
let redis: Redis;
let pool: Pool;
let render: RenderPool;
let prefix: string;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  const r = testRedis();
  prefix = r.prefix;
  sim = await startSimulator({ guilds: 4, shards: 1 });
  const config = loadConfig({ DISCORD_TOKEN: sim.token, DISCORD_API_URL: sim.apiUrl, DATABASE_URL: db.url, REDIS_URL: r.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent' });
  redis = createRedis(r.url);
  pool = createPool(db.url);
  render = new RenderPool({ threads: 1, logger });
  bot = createBot({ config, redis, pool, render, logger, shards: [0], shardCount: 1, registerCommands: false });
  await bot.start();
});

afterAll(async () => {
  await bot?.stop();
  await sim?.close();
  await render?.close();
  await cleanupPrefix(redis, prefix);
  redis?.disconnect();
  await pool?.end();
  await dropDb?.();
});

describe('guild settings', () => {
  it('counts bots only in guilds that include them, from the moment the setting changes', async () => {
    const [a, b] = [...sim.world.guilds.keys()] as [string, string];
    const send = async (phase: number) => {
      await sim.sendTraffic({ messages: 1_500, guildIds: [a, b], seed: phase });
      // Some certain bot messages in both guilds, whatever the random mix gave.
      for (const g of [a, b]) {
        const botMember = sim.world.botMembers(g).find((m) => m.user.id !== sim.world.botUser.id)!;
        sim.sendMessage({ guildId: g, channelId: sim.world.textChannels(g)[0]!.id, authorId: botMember.user.id, content: `beep boop ${phase}` });
      }
    };
    let received = 0;
    bot.client.on('messageCreate', () => received++);
    await send(1);
    const split = sim.truth.messages.length;
    // The setting applies from the moment the shard hears it: let it finish the first phase first.
    for (const end = Date.now() + 20_000; received < split && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    expect(received).toBe(split);

    // Another process (an admin's /settings) changes guild A; the running shard hears it over pub/sub.
    const admin = new GuildSettingsStore(pool, redis, prefix, logger);
    await admin.update(a, { includeBots: true });
    const deadline = Date.now() + 10_000;
    while (!bot.settings.get(a).includeBots && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(bot.settings.get(a).includeBots).toBe(true);
    expect(bot.settings.get(b).includeBots).toBe(false);
    await send(2);

    const expected = new Map<string, number>();
    sim.truth.messages.forEach((m, i) => {
      const counted = !m.webhook && (!m.bot || (i >= split && m.guildId === a));
      if (!counted) return;
      const k = `${m.guildId}|${m.channelId}|${m.authorId}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    });
    const ingestor = new Ingestor({ redis, pool, keys: new Keys(prefix), partitions: 16, families: ['messages'], logger });
    const same = (x: Map<string, number>) => JSON.stringify([...x].sort()) === JSON.stringify([...expected].sort());
    let got = new Map<string, number>();
    for (const end = Date.now() + 30_000; !same(got) && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      await bot.counters.settled();
      await ingestor.runOnce();
      got = new Map([...(await messageTotalsByChannelMember(pool, [a, b]))].map(([k, t]) => [k, t.messages]));
    }
    await ingestor.stop();
    expect(got).toEqual(expected);
    const botMessagesCounted = sim.truth.messages.filter((m, i) => i >= split && m.guildId === a && m.bot && !m.webhook).length;
    expect(botMessagesCounted).toBeGreaterThan(0);
  }, 60_000);
});
