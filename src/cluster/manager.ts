// The ClusterManager: spawns cluster processes (each a discord.js client for a range of shards),
// respawns the dead, and aggregates their Prometheus registries over the sharding IPC, because
// prom-client's own aggregator only understands node:cluster.
import type { ChildProcess } from 'node:child_process';
import { ClusterManager } from 'discord-hybrid-sharding';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Config } from '../config.js';
import { entryPoint } from '../entry.js';
import type { Logger } from '../logger.js';
import { registry } from '../metrics.js';
import { METRICS_REQUEST, type MetricsReply } from '../cluster-ipc.js';
import { ClusterSupervisor } from './supervisor.js';

export interface ManagerOptions {
  config: Config;
  logger: Logger;
  /**
   * Delay between cluster spawns. Identifies are spaced by the Redis identify throttler across every
   * process (src/shard/identify-throttler.ts), so this only staggers process start-up (CPU, memory).
   */
  spawnDelayMs?: number;
  /** A cluster could not be kept alive (src/cluster/supervisor.ts); default: log only. */
  onGiveUp?: (reason: string, code: number) => void;
}

/** Cluster processes inherit this process's environment (hybrid sharding sets it at spawn). */
export function createManager(opts: ManagerOptions): ClusterManager {
  const { config, logger } = opts;
  const shard = entryPoint('../shard/main.ts', import.meta.url);
  const manager = new ClusterManager(shard.file, {
    // Never 'auto': that asks discord.com itself, which the simulator (and tests) cannot answer.
    totalShards: config.totalShards,
    shardsPerClusters: config.shardsPerCluster,
    mode: 'process',
    // Respawns are the supervisor's (backoff, a budget that recovers, giving up loudly).
    respawn: false,
    execArgv: shard.execArgv,
    token: config.discordToken,
    spawnOptions: { delay: opts.spawnDelayMs ?? 1_000, timeout: -1 },
  });
  new ClusterSupervisor(manager, {
    logger,
    budget: config.clusterRestartBudget,
    recoveryMs: config.clusterRestartRecoveryMs,
    backoffMs: config.clusterRestartBackoffMs,
    onGiveUp: opts.onGiveUp ?? ((reason) => logger.fatal({ reason }, 'giving up on a cluster')),
  });
  manager.on('clusterCreate', (cluster) => {
    const log = logger.child({ cluster: cluster.id });
    log.info({ shards: cluster.shardList }, 'cluster created');
    cluster.on('spawn', (thread) =>
      log.info({ pid: (thread as ChildProcess | null | undefined)?.pid }, 'cluster process started'),
    );
    cluster.on('death', (_c, thread) => {
      const child = thread as ChildProcess | null | undefined;
      const code = child?.exitCode ?? null;
      const fields = { code, signal: child?.signalCode ?? null };
      if (code === 0) log.info(fields, 'cluster process exited');
      else log.warn(fields, 'cluster process exited');
    });
    cluster.on('error', (err) => log.error({ err }, 'cluster error'));
  });
  manager.on('clusterReady', (cluster) => logger.info({ cluster: cluster.id }, 'cluster ready'));
  manager.on('debug', (msg) => logger.debug({ msg }, 'cluster manager'));
  return manager;
}

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** Manager's own metrics plus every live cluster's, each cluster's series labelled `cluster`. */
export async function aggregateMetrics(
  manager: ClusterManager,
  timeoutMs = 2_000,
): Promise<{ contentType: string; body: string }> {
  const perCluster = await Promise.all(
    [...manager.clusters.values()].map(async (cluster) => {
      if (!cluster.thread) return [];
      try {
        const reply = (await cluster.request({
          kind: METRICS_REQUEST,
          options: { timeout: timeoutMs },
        })) as MetricsReply;
        return reply.metrics.map((m) => ({
          ...m,
          values: m.values.map((v) => ({ ...v, labels: { ...v.labels, cluster: String(cluster.id) } })),
        }));
      } catch {
        return []; // a cluster that is respawning has no metrics to give this scrape
      }
    }),
  );
  const own = (await registry.getMetricsAsJSON()) as MetricJson[];
  // Shared metric names (the cluster processes define the same ones) are merged, not duplicated.
  const aggregated = AggregatorRegistry.aggregate([own, ...perCluster] as MetricJson[][]);
  return { contentType: aggregated.contentType, body: await aggregated.metrics() };
}
