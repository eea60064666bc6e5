// `npm run start:web`: the dashboard. Needs DATABASE_URL, REDIS_URL, the bot token (to list the bot's
// servers), DISCORD_CLIENT_ID / DISCORD_CLIENT_SECRET and WEB_PUBLIC_URL (the OAuth2 redirect is
// WEB_PUBLIC_URL/auth/callback, registered in the developer portal). Serves the pages and API on WEB_PORT,
// /metrics and the probes on METRICS_PORT. Reads the statistics tables; never migrates them.
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, redisTarget, required } from '../config.js';
import { createPool } from '../db/pool.js';
import { startOpsServer } from '../http.js';
import { handleProcessErrors, handleShutdownSignals } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { collectProcessMetrics, registry } from '../metrics.js';
import { connectRedis, type RedisTarget } from '../redis.js';
import { GuildSettingsStore } from '../settings.js';
import { DiscordClient } from './discord.js';
import { prebuiltFrontEnd } from './frontend.js';
import { buildWebServer } from './server.js';

let env: {
  cfg: ReturnType<typeof loadConfig>;
  databaseUrl: string;
  redisAt: RedisTarget;
  token: string;
  clientId: string;
  clientSecret: string;
  publicUrl: string;
};
try {
  const cfg = loadConfig();
  const why = 'by the dashboard';
  env = {
    cfg,
    databaseUrl: required(cfg.databaseUrl, 'DATABASE_URL', why),
    redisAt: redisTarget(cfg, why),
    token: required(cfg.discordToken, 'DISCORD_TOKEN', `${why} (to list the bot's servers)`),
    clientId: required(cfg.discordClientId, 'DISCORD_CLIENT_ID', `${why} (the application id)`),
    clientSecret: required(cfg.discordClientSecret, 'DISCORD_CLIENT_SECRET', `${why} (developer portal, OAuth2)`),
    publicUrl: required(cfg.webPublicUrl, 'WEB_PUBLIC_URL', `${why} (e.g. https://stats.example.com)`),
  };
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}

const { cfg } = env;
const logger = createLogger(cfg.logLevel, { service: 'web' });
collectProcessMetrics();
const redis = connectRedis(env.redisAt);
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const pool = createPool(env.databaseUrl, 10);
const settings = new GuildSettingsStore(pool, redis, cfg.redisKeyPrefix, logger);
const discord = new DiscordClient({
  apiUrl: cfg.discordApiUrl,
  oauthUrl: cfg.discordOAuthUrl,
  clientId: env.clientId,
  clientSecret: env.clientSecret,
  botToken: env.token,
  redirectUri: `${env.publicUrl}/auth/callback`,
});
// dist/src/web/main.js → dist/web, written by npm run build.
const web = await prebuiltFrontEnd(fileURLToPath(new URL('../../web/', import.meta.url)));
const app = await buildWebServer({
  db: pool,
  redis,
  keyPrefix: cfg.redisKeyPrefix,
  settings,
  discord,
  publicUrl: env.publicUrl,
  frontEnd: web,
  logger,
});
await app.listen({ port: cfg.webPort, host: '0.0.0.0' });
const ops = await startOpsServer({
  port: cfg.metricsPort,
  logger,
  metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  ready: () => !lifecycle.stopping(),
});
logger.info({ port: cfg.webPort, publicUrl: env.publicUrl }, 'dashboard listening');

const lifecycle = handleShutdownSignals({
  logger,
  graceMs: cfg.shutdownGraceMs,
  async stop() {
    await app.close();
    await ops.close();
    await Promise.allSettled([redis.quit(), pool.end()]);
    return true;
  },
});
handleProcessErrors(logger, lifecycle);
