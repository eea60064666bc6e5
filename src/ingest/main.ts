// `npm run start:ingest`: the ingest worker process. Production config only: DATABASE_URL and REDIS_URL
// (or REDIS_CLUSTER_NODES) are required (no embedded fallbacks here: a worker silently loading into a throwaway database would
// lose data). Runs migrations, then the ingest loop; serves /metrics, /healthz and /readyz.
import { ConfigError, loadConfig, redisTarget, required, type Config } from '../config.js';
import { migrate } from '../db/migrate.js';
import { startOpsServer } from '../http.js';
import { createPool } from '../db/pool.js';
import { Keys } from '../keys.js';
import { createLogger } from '../logger.js';
import { handleProcessErrors, handleShutdownSignals } from '../lifecycle.js';
import { collectProcessMetrics, ingestInterval, ingestLag, registry } from '../metrics.js';
import { connectRedis, type RedisTarget } from '../redis.js';
import { Ingestor } from './ingest.js';

let cfg: Config;
let databaseUrl: string;
let redisAt: RedisTarget;
try {
  cfg = loadConfig();
  databaseUrl = required(
    cfg.databaseUrl,
    'DATABASE_URL',
    'by the ingest worker (e.g. postgres://user:pass@host:5432/stats)',
  );
  redisAt = redisTarget(cfg, 'by the ingest worker (e.g. redis://host:6379)');
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = createLogger(cfg.logLevel, { service: 'ingest' });
collectProcessMetrics();
ingestInterval.set(cfg.ingestIntervalMs / 1000);

await migrate(databaseUrl, logger);

const redis = connectRedis(redisAt);
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(databaseUrl);
const ingestor = new Ingestor({
  redis,
  pool,
  keys: new Keys(cfg.redisKeyPrefix),
  partitions: cfg.redisPartitions,
  waitReplicas: cfg.redisWaitReplicas,
  maxAttempts: cfg.ingestMaxAttempts,
  logger,
  // Leases must comfortably outlive the gap between cycles (they are also renewed in between).
  leaseMs: Math.max(cfg.ingestLeaseMs, cfg.ingestIntervalMs * 3),
});

const startedAt = Date.now();
const ops = await startOpsServer({
  port: cfg.metricsPort,
  logger,
  metrics: async () => {
    // Lag: nothing older than the last successful cycle (plus that cycle's length) is waiting in Redis.
    ingestLag.set((Date.now() - (ingestor.status().lastSuccessAt ?? startedAt)) / 1000);
    return { contentType: registry.contentType, body: await registry.metrics() };
  },
  ready: () => !lifecycle.stopping(),
  status: () => ({ ...ingestor.status(), stopping: lifecycle.stopping() }),
});
logger.info({ partitions: cfg.redisPartitions, intervalMs: cfg.ingestIntervalMs }, 'ingest worker started');

ingestor.start(cfg.ingestIntervalMs);

// SIGTERM: finish the current batch (its COPY commits with its ledger row, then the batch key is
// unlinked), then exit 0. Past SHUTDOWN_GRACE_MS, or on a second signal, exit 1 at once: a batch in
// flight stays in Redis and the ledger makes the next worker's retry load it exactly once.
const lifecycle = handleShutdownSignals({
  logger,
  graceMs: cfg.shutdownGraceMs,
  async stop() {
    await ingestor.stop();
    await ops.close();
    await Promise.allSettled([redis.quit(), pool.end()]);
    return true;
  },
});
handleProcessErrors(logger, lifecycle);
