// The dashboard (src/web) in this process against the simulator: the simulator's OAuth2 application with
// our redirect URI registered, as an operator does in Discord's developer portal. Used by the stack (the
// demo) and the tests.
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Simulator } from 'discord-sim';
import type { Queryable } from '../src/db/pool.js';
import type { Logger } from '../src/logger.js';
import type { RedisClient } from '../src/redis.js';
import { GuildSettingsStore } from '../src/settings.js';
import { DiscordClient } from '../src/web/discord.js';
import { buildWebServer } from '../src/web/server.js';
import { bundledFrontEnd } from '../web/bundle.js';

export interface Dashboard {
  url: string;
  app: FastifyInstance;
  settings: GuildSettingsStore;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startDashboard(o: {
  sim: Simulator;
  pool: Queryable;
  redis: RedisClient;
  keyPrefix: string;
  logger: Logger;
  port?: number;
}): Promise<Dashboard> {
  const port = o.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  o.sim.oauth.registerRedirectUri(`${url}/auth/callback`);
  const settings = new GuildSettingsStore(o.pool, o.redis, o.keyPrefix, o.logger);
  const discord = new DiscordClient({
    apiUrl: o.sim.apiUrl,
    oauthUrl: o.sim.baseUrl,
    clientId: o.sim.oauth.clientId,
    clientSecret: o.sim.oauth.clientSecret,
    botToken: o.sim.token,
    redirectUri: `${url}/auth/callback`,
  });
  const app = await buildWebServer({
    db: o.pool,
    redis: o.redis,
    keyPrefix: o.keyPrefix,
    settings,
    discord,
    publicUrl: url,
    frontEnd: await bundledFrontEnd(),
    logger: o.logger,
  });
  await app.listen({ port, host: '127.0.0.1' });
  return { url, app, settings, stop: () => app.close() };
}
