// `npm run start:ingest`: the ingest worker process. Production config only: DATABASE_URL and REDIS_URL
// are required (no embedded fallbacks here: a worker silently loading into a throwaway database would
// lose data). Runs migrations, then the ingest loop; serves /metrics, /healthz and /readyz.
import { ConfigError, loadConfig, required, type Config } from '../config.js';
import { migrate } from '../db/migrate.js';
import { startOpsServer } from '../http.js';
import { createPool } from '../db/pool.js';
import { Keys } from '../keys.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics, registry } from '../metrics.js';
import { createRedis } from '../redis.js';
import { Ingestor } from './ingest.js';

let cfg: Config;
let databaseUrl: string;
let redisUrl: string;
try {
  cfg = loadConfig();
  databaseUrl = required(cfg.databaseUrl, 'DATABASE_URL', 'by the ingest worker (e.g. postgres://user:pass@host:5432/stats)');
  redisUrl = required(cfg.redisUrl, 'REDIS_URL', 'by the ingest worker (e.g. redis://host:6379)');
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = createLogger(cfg.logLevel, { service: 'ingest' });
collectProcessMetrics();

await migrate(databaseUrl, logger);

const redis = createRedis(redisUrl);
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(databaseUrl);
const ingestor = new Ingestor({
  redis,
  pool,
  keys: new Keys(cfg.redisKeyPrefix),
  partitions: cfg.redisPartitions,
  waitReplicas: cfg.redisWaitReplicas,
  logger,
  // Leases must comfortably outlive the gap between cycles (they are also renewed in between).
  leaseMs: Math.max(cfg.ingestLeaseMs, cfg.ingestIntervalMs * 3),
});

let stopping = false;
const ops = await startOpsServer({
  port: cfg.metricsPort,
  logger,
  metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  ready: () => !stopping,
  status: () => ({ ...ingestor.status(), stopping }),
});
logger.info({ partitions: cfg.redisPartitions, intervalMs: cfg.ingestIntervalMs }, 'ingest worker started');

ingestor.start(cfg.ingestIntervalMs);

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now (batches in flight stay in Redis and are retried)');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'stopping after the current batch');
  try {
    await ingestor.stop();
    await ops.close();
    await Promise.allSettled([redis.quit(), pool.end()]);
    logger.info('ingest worker stopped');
    process.exit(0);
  } catch (err) {
    logger.error({ err }, 'unclean shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
