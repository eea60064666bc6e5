// `npm run start:cluster`: the cluster manager process of a deployment.
import { loadConfig, redisTarget, required } from '../config.js';
import { startOpsServer } from '../http.js';
import { handleProcessErrors, handleShutdownSignals } from '../lifecycle.js';
import { stopClusterProcesses } from './supervisor.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics } from '../metrics.js';
import { aggregateMetrics, createManager } from './manager.js';
import { podShards } from './shard-range.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, { role: 'cluster-manager' });
required(config.discordToken, 'DISCORD_TOKEN', 'to connect to Discord');
redisTarget(config, 'for the cluster processes');
required(config.databaseUrl, 'DATABASE_URL', 'for the cluster processes');
collectProcessMetrics();

// A cluster that cannot be kept alive ends the manager: not ready at once, the other clusters stopped
// gracefully, then a non-zero exit with the reason (src/cluster/supervisor.ts).
let gaveUp = false;
const manager = createManager({
  config,
  logger,
  spawnDelayMs: config.clusterSpawnDelayMs,
  onGiveUp(reason, code) {
    gaveUp = true;
    logger.fatal({ reason, exitCode: code }, `giving up: ${reason}`);
    lifecycle.shutdown('a cluster could not be kept alive', code);
  },
});
if (config.podIndex !== undefined) {
  // One pod of the StatefulSet: only its contiguous range of shards, under their deployment-wide cluster ids.
  const own = podShards(config, config.podIndex);
  manager.shardList = own.shards;
  manager.clusterList = own.clusterIds;
  logger.info(
    { pod: config.podIndex, pods: config.pods, clusters: own.clusterIds, shards: own.shards },
    'shard range of this pod',
  );
}
const ops = await startOpsServer({
  port: config.metricsPort,
  logger,
  metrics: () => aggregateMetrics(manager),
  // Ready only once every cluster of this pod is (totalClusters is set when spawn() starts): the StatefulSet
  // starts the next pod after this, so pods never identify at the same time.
  ready: () =>
    !gaveUp &&
    !lifecycle.stopping() &&
    manager.clusters.size > 0 &&
    manager.clusters.size >= manager.totalClusters &&
    [...manager.clusters.values()].every((c) => c.ready),
});

// SIGTERM: no respawns, SIGTERM to every cluster process, wait for each to stop gracefully (they have
// their own SHUTDOWN_GRACE_MS; stragglers are killed a little after it), then exit.
const lifecycle = handleShutdownSignals({
  logger,
  graceMs: config.shutdownGraceMs + 5_000,
  async stop() {
    const clean = await stopClusterProcesses(manager, config.shutdownGraceMs + 2_000, logger);
    await ops.close();
    return clean;
  },
});
handleProcessErrors(logger, lifecycle);

await manager.spawn();
