// Entry point of one cluster process, spawned by the ClusterManager (src/cluster). Runs one discord.js
// client for the shards the manager assigned, and answers the manager's metrics requests over IPC.
import { ClusterClient, getInfo, type IPCMessage } from 'discord-hybrid-sharding';
import { Events } from 'discord.js';
import { isMetricsRequest } from '../cluster/ipc.js';
import { loadConfig, required } from '../config.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logger.js';
import { registry } from '../metrics.js';
import { createRedis } from '../redis.js';
import { RenderPool } from '../render/pool.js';
import { createBot } from './bot.js';

const info = getInfo();
const config = loadConfig();
const logger = createLogger(config.logLevel, { cluster: info.CLUSTER, shards: info.SHARD_LIST });
const redis = createRedis(required(config.redisUrl, 'REDIS_URL', 'in a cluster process'));
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(required(config.databaseUrl, 'DATABASE_URL', 'in a cluster process'));
const render = new RenderPool({ threads: config.renderThreads, logger });

const bot = createBot({
  config,
  redis,
  pool,
  render,
  logger,
  shards: info.SHARD_LIST,
  shardCount: info.TOTAL_SHARDS,
  registerCommands: info.CLUSTER === 0,
});
const cluster = new ClusterClient(bot.client);

cluster.on('message', (msg) => {
  const message = msg as IPCMessage;
  if (!isMetricsRequest(message)) return;
  void registry.getMetricsAsJSON().then((metrics) => message.reply({ metrics }));
});
// discord-hybrid-sharding v3 only starts its heartbeat and spawn queue once the cluster says it is ready.
bot.client.once(Events.ClientReady, () => cluster.triggerReady());

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping cluster process');
  const clean = await bot.stop();
  await Promise.allSettled([render.close(), pool.end(), redis.quit()]);
  process.exit(clean ? 0 : 1);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

bot.start().catch((err: unknown) => {
  logger.fatal({ err }, 'cluster process failed to start');
  process.exit(1);
});
