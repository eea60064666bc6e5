// Backfill throughput: a server's message history laid down in the simulator before the bot joins, read back
// by the bot's backfill (GET /channels/{id}/messages, 100 per page, through discord.js's REST queue) and
// loaded (the live counting functions, COPY with the cursor advance in one transaction). Printed against
// the ceiling Discord's rate limits allow: in one busy channel, 100 messages × the route's 5 requests per
// second per channel; over many channels (read one after another, each bucket starting with its burst of
// 5), 100 messages × the process's share of the global limit (25 requests/s for one cluster process).
// A run with the simulator's rate limits off shows what the pipeline itself could do. Nothing is asserted.
import { randomBytes } from 'node:crypto';
import { sendEmojiTraffic, startSimulator } from 'discord-sim';
import { loadConfig } from '../src/config.js';
import { restRequestsPerSecond } from '../src/shard/bot.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import { createRedis, scanKeys } from '../src/redis.js';
import { RenderPool } from '../src/render/pool.js';
import { createBot } from '../src/shard/bot.js';
import { startEmbeddedRedis } from '../dev/embedded.js';
import { scratchDatabase } from './scratch-database.js';

/** The route's bucket in the simulator, as Discord's headers report it: 5 requests per second per channel. */
const ROUTE_PER_SECOND = 5;
const PAGE = 100;

interface Run {
  seconds: number;
  read: number;
  loaded: number;
  requests: number;
  limited: { user: number; global: number };
}

async function runOnce(messages: number, oneChannel: boolean, rateLimits: boolean, redisUrl: string): Promise<Run> {
  const logger = createLogger('error');
  const db = await scratchDatabase('backfill');
  const sim = await startSimulator({ guilds: 1, seed: 11, ...(rateLimits ? {} : { limits: { rest: false } }) });
  const past = sim.historyChat({ fromMs: Date.now() - 20 * 86_400_000, toMs: Date.now() - 60_000, seed: 12 });
  if (oneChannel) {
    const g = [...sim.world.guilds.keys()][0]!;
    const channelId = sim.world.textChannels(g)[0]!.id;
    const humans = sim.world.humanMembers(g);
    for (let i = 0; i < messages; i++)
      past.sendMessage({
        guildId: g,
        channelId,
        authorId: humans[i % humans.length]!.user.id,
        content: `message ${i} with a few words 🎉 <@${humans[(i * 7) % humans.length]!.user.id}>`,
      });
  } else await sendEmojiTraffic(past, { messages, reactions: 0, seed: 13 });
  const prefix = `bench-backfill-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DISCORD_TOKEN: sim.token,
    DISCORD_API_URL: sim.apiUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'error',
    BACKFILL_ON_JOIN: 'true',
    BACKFILL_POLL_MS: '50',
  });
  const redis = createRedis(redisUrl);
  const pool = createPool(db.url);
  const render = new RenderPool({ threads: 1, logger });
  const bot = createBot({ config, redis, pool, render, logger, shards: [0], shardCount: 1, registerCommands: false });
  try {
    await bot.start();
    for (;;) {
      const { rows } = await pool.query<{ state: string }>('SELECT state FROM backfill_jobs');
      if (rows.length > 0 && rows.every((r) => r.state === 'done' || r.state === 'failed')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { rows } = await pool.query<{ s: number; read: string; loaded: string }>(
      `SELECT (SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM backfill_jobs)::float8 AS s,
              sum(messages_read)::text AS read, sum(messages_loaded)::text AS loaded FROM backfill_channels`,
    );
    const r = rows[0]!;
    return {
      seconds: r.s,
      read: Number(r.read),
      loaded: Number(r.loaded),
      requests: sim.restStats.routes.get('GET /channels/{id}/messages') ?? 0,
      limited: { ...sim.restStats.rateLimited },
    };
  } finally {
    await bot.stop();
    await render.close();
    await sim.close();
    await Promise.all((await scanKeys(redis, `${prefix}:*`)).map((k) => redis.unlink(k)));
    await Promise.allSettled([redis.quit(), pool.end()]);
    await db.drop();
  }
}

export async function benchBackfill(opts: { messages?: number } = {}): Promise<void> {
  const messages = opts.messages ?? 10_000;
  const embedded = process.env.REDIS_URL ? undefined : await startEmbeddedRedis();
  const redisUrl = process.env.REDIS_URL ?? embedded!.url;
  try {
    const perChannel = PAGE * ROUTE_PER_SECOND;
    const global = PAGE * restRequestsPerSecond(loadConfig({}));
    const rate = (r: Run, n: number) => n / r.seconds;
    const line = (label: string, r: Run, ceiling: number) =>
      console.log(
        `  ${label.padEnd(34)} ${r.seconds.toFixed(1).padStart(5)} s, ${r.requests} requests, 429s ${r.limited.user}+${r.limited.global}: read ${rate(r, r.read).toFixed(0)} msg/s (${(rate(r, r.read) / ceiling).toFixed(2)}× the ceiling), loaded ${rate(r, r.loaded).toFixed(0)} msg/s (${(rate(r, r.loaded) / ceiling).toFixed(2)}×)`,
      );
    console.log(
      `  ceilings from the rate limits: one channel ${PAGE} × ${ROUTE_PER_SECOND} req/s = ${perChannel} msg/s; many channels ${PAGE} × ${global / PAGE} req/s (the process's global share) = ${global} msg/s`,
    );
    line(`one channel, ${messages / 2} messages`, await runOnce(messages / 2, true, true, redisUrl), perChannel);
    line(`all channels, ${messages} messages`, await runOnce(messages, false, true, redisUrl), global);
    line(`all channels, limits off`, await runOnce(messages, false, false, redisUrl), global);
  } finally {
    await embedded?.stop();
  }
}
