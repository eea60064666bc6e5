// `npm run start:interactions`: the interactions service, behind the application's Interactions Endpoint
// URL (INTERACTIONS=http). Stateless: any number of replicas behind a load balancer. Serves POST
// /interactions (and /healthz, /readyz) on INTERACTIONS_PORT and /metrics on METRICS_PORT.
import { ConfigError, loadConfig, redisTarget, required, type Config } from '../config.js';
import { createPool } from '../db/pool.js';
import { startOpsServer } from '../http.js';
import { commandsInFlight } from '../commands/framework/router.js';
import { handleProcessErrors, handleShutdownSignals } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics, registry } from '../metrics.js';
import { connectRedis, type RedisTarget } from '../redis.js';
import { RenderPool } from '../render/pool.js';
import { startInteractionsService } from './service.js';

let cfg: Config;
let databaseUrl: string;
let redisAt: RedisTarget;
try {
  cfg = loadConfig();
  databaseUrl = required(cfg.databaseUrl, 'DATABASE_URL', 'by the interactions service');
  redisAt = redisTarget(cfg, 'by the interactions service');
  required(cfg.discordToken, 'DISCORD_TOKEN', 'by the interactions service (replies are edited over REST)');
  required(
    cfg.discordPublicKey,
    'DISCORD_PUBLIC_KEY',
    "by the interactions service (the application's public key, developer portal)",
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const logger = createLogger(cfg.logLevel, { service: 'interactions' });
collectProcessMetrics();
const redis = connectRedis(redisAt);
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(databaseUrl);
const render = new RenderPool({ threads: cfg.renderThreads, logger });

const service = await startInteractionsService({
  config: cfg,
  redis,
  pool,
  render,
  logger,
  ready: () => !lifecycle.stopping(),
});
const ops = await startOpsServer({
  port: cfg.metricsPort,
  logger,
  metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  ready: () => !lifecycle.stopping(),
});

// SIGTERM: /readyz turns 503 so the load balancer stops sending, the server closes (requests in flight are
// answered), acknowledged commands finish their edits, then exit 0.
const lifecycle = handleShutdownSignals({
  logger,
  graceMs: cfg.shutdownGraceMs,
  async stop() {
    await service.stop();
    const answered = await commandsInFlight.settled(cfg.shutdownGraceMs);
    if (!answered) logger.warn({ inFlight: commandsInFlight.size }, 'stopping with slash commands unanswered');
    await ops.close();
    await Promise.allSettled([render.close(), pool.end(), redis.quit()]);
    return answered;
  },
});
handleProcessErrors(logger, lifecycle);
