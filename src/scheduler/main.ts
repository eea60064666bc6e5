// `npm run start:scheduler`: the scheduler process (counters, digests and the other periodic per-guild
// jobs of ./jobs.ts). Any number of replicas: each job run is claimed by one replica through its row in
// scheduled_runs (./scheduler.ts). Talks to Discord over REST only (no gateway session, so no identify
// budget spent); serves /metrics, /healthz and /readyz on METRICS_PORT.
import { ConfigError, loadConfig, redisTarget, required, type Config } from '../config.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { startOpsServer } from '../http.js';
import { handleProcessErrors, handleShutdownSignals } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics, registry, schedulerDue } from '../metrics.js';
import { connectRedis, type RedisTarget } from '../redis.js';
import { RenderPool } from '../render/pool.js';
import { JOBS } from './jobs.js';
import { createSchedulerRest } from './rest.js';
import { Scheduler } from './scheduler.js';
import { Keys } from '../keys.js';

let cfg: Config;
let databaseUrl: string;
let redisAt: RedisTarget;
let token: string;
try {
  cfg = loadConfig();
  databaseUrl = required(cfg.databaseUrl, 'DATABASE_URL', 'by the scheduler');
  redisAt = redisTarget(cfg, 'by the scheduler (open voice sessions feed counters)');
  token = required(cfg.discordToken, 'DISCORD_TOKEN', 'by the scheduler (channel renames, digest posts)');
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = createLogger(cfg.logLevel, { service: 'scheduler' });
collectProcessMetrics();
await migrate(databaseUrl, logger);

const redis = connectRedis(redisAt);
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(databaseUrl);
const render = new RenderPool({ threads: cfg.renderThreads, logger });
// @discordjs/rest queues per route bucket and waits out 429s; the global share keeps this replica within
// its part of the bot's 50 requests per second.
const rest = createSchedulerRest({
  api: cfg.discordApiUrl,
  token,
  globalRequestsPerSecond: cfg.schedulerRestPerSecond,
});

const scheduler = new Scheduler({
  pool,
  redis,
  rest,
  logger,
  jobs: JOBS,
  keys: new Keys(cfg.redisKeyPrefix),
  partitions: cfg.redisPartitions,
  render,
  leaseMs: cfg.schedulerLeaseMs,
  concurrency: cfg.schedulerConcurrency,
  tickMs: cfg.schedulerTickMs,
});

const ops = await startOpsServer({
  port: cfg.metricsPort,
  logger,
  metrics: async () => {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM scheduled_runs WHERE next_run_at <= now() AND (lease_until IS NULL OR lease_until <= now())',
    );
    schedulerDue.set(Number(rows[0]!.n));
    return { contentType: registry.contentType, body: await registry.metrics() };
  },
  ready: () => !lifecycle.stopping(),
  status: () => ({ running: scheduler.running(), stopping: lifecycle.stopping() }),
});
scheduler.start();
logger.info({ jobs: JOBS.map((j) => j.name), concurrency: cfg.schedulerConcurrency }, 'scheduler started');

// SIGTERM: stop claiming, abort the runs in flight (each hands its run back, due as it was), exit 0.
const lifecycle = handleShutdownSignals({
  logger,
  graceMs: cfg.shutdownGraceMs,
  async stop() {
    await scheduler.stop();
    await ops.close();
    await Promise.allSettled([render.close(), redis.quit(), pool.end()]);
    return true;
  },
});
handleProcessErrors(logger, lifecycle);
