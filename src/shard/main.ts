// Entry point of one cluster process, spawned by the ClusterManager (src/cluster). Runs one discord.js
// client for the shards the manager assigned, and answers the manager's metrics requests over IPC.
import { ClusterClient, getInfo, type IPCMessage } from 'discord-hybrid-sharding';
import { Events } from 'discord.js';
import { EXIT_UNRECOVERABLE, FATAL_REPORT, isMetricsRequest, type FatalReport } from '../cluster-ipc.js';
import { loadConfig, redisTarget, required } from '../config.js';
import { createPool } from '../db/pool.js';
import { commandsInFlight } from '../commands/framework/router.js';
import { handleProcessErrors, handleShutdownSignals } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { registry } from '../metrics.js';
import { connectRedis } from '../redis.js';
import { RenderPool } from '../render/pool.js';
import { createBot } from './bot.js';

const info = getInfo();
const config = loadConfig();
const logger = createLogger(config.logLevel, { cluster: info.CLUSTER, shards: info.SHARD_LIST });
const redis = connectRedis(redisTarget(config, 'in a cluster process'));
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(required(config.databaseUrl, 'DATABASE_URL', 'in a cluster process'));
const render = new RenderPool({ threads: config.renderThreads, logger });

// Discord refused us for good (token, intents, shard layout): say why to the manager, stop cleanly and
// exit with EXIT_UNRECOVERABLE, which the manager does not restart but reports and exits with.
const unrecoverable = (reason: string) => {
  logger.fatal({ reason }, `cannot run: ${reason}`);
  const report: FatalReport = { kind: FATAL_REPORT, reason };
  void Promise.resolve(cluster.send(report)).catch(() => {});
  lifecycle.shutdown('unrecoverable', EXIT_UNRECOVERABLE);
};

const bot = createBot({
  config,
  redis,
  pool,
  render,
  logger,
  shards: info.SHARD_LIST,
  shardCount: info.TOTAL_SHARDS,
  registerCommands: info.CLUSTER === 0,
  onUnrecoverable: unrecoverable,
});
const cluster = new ClusterClient(bot.client);

cluster.on('message', (msg) => {
  const message = msg as IPCMessage;
  if (!isMetricsRequest(message)) return;
  void registry.getMetricsAsJSON().then((metrics) => message.reply({ metrics }));
});
// discord-hybrid-sharding v3 only starts its heartbeat and spawn queue once the cluster says it is ready.
bot.client.once(Events.ClientReady, () => cluster.triggerReady());

// SIGTERM: bot.stop() closes the gateway first, so no new event or interaction reaches this process
// (Discord delivers the shards' events to the process that identifies next; an interaction sent in that
// gap is not answered). Commands already running finish, increments and sessions are written, then exit
// 0 — or exit 1 when SHUTDOWN_GRACE_MS runs out first.
const lifecycle = handleShutdownSignals({
  logger,
  graceMs: config.shutdownGraceMs,
  async stop() {
    const clean = await bot.stop();
    const answered = await commandsInFlight.settled(config.shutdownGraceMs);
    if (!answered) logger.warn({ inFlight: commandsInFlight.size }, 'stopping with slash commands unanswered');
    await Promise.allSettled([render.close(), pool.end(), redis.quit()]);
    return clean;
  },
});
// One bad event never ends the process (src/shard/dispatch-guard.ts); what still escapes is handled here.
handleProcessErrors(logger, lifecycle);

bot.start().catch((err: unknown) => {
  if ((err as { code?: unknown }).code === 'TokenInvalid')
    return unrecoverable('Discord rejected the bot token (401 Unauthorized): check DISCORD_TOKEN');
  logger.fatal({ err }, 'cluster process failed to start');
  lifecycle.shutdown('start failed', 1);
});
