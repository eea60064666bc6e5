// `npm run start:cluster`: the cluster manager process of a deployment.
import { loadConfig, required } from '../config.js';
import { startOpsServer } from '../http.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics } from '../metrics.js';
import { aggregateMetrics, createManager } from './manager.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, { role: 'cluster-manager' });
required(config.discordToken, 'DISCORD_TOKEN', 'to connect to Discord');
required(config.redisUrl, 'REDIS_URL', 'for the cluster processes');
required(config.databaseUrl, 'DATABASE_URL', 'for the cluster processes');
collectProcessMetrics();

const manager = createManager({ config, logger, spawnDelayMs: Number(process.env.CLUSTER_SPAWN_DELAY_MS ?? 7_000) });
const ops = await startOpsServer({
  port: config.metricsPort,
  logger,
  metrics: () => aggregateMetrics(manager),
  ready: () => manager.clusters.size > 0 && [...manager.clusters.values()].every((c) => c.ready),
});

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'stopping clusters');
  manager.respawn = false;
  // Cluster processes stop gracefully on SIGTERM (close gateway, flush increments).
  for (const cluster of manager.clusters.values()) cluster.kill({ force: false, reason: signal });
  await ops.close();
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await manager.spawn();
