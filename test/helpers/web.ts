// The dashboard in the test process against a test bot's simulator, database and Redis prefix, and a
// scripted "Sign in with Discord" through the simulator's OAuth2 (no browser): follows /auth/login to the
// simulator's authorize page as a chosen user and back to the callback, keeping the session cookie.
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { GuildSettingsStore } from '../../src/settings.js';
import { DiscordClient } from '../../src/web/discord.js';
import { frontEnd } from '../../src/web/frontend.js';
import { buildWebServer } from '../../src/web/server.js';
import type { TestBot } from './bot.js';

export interface TestWeb {
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

export async function startTestWeb(t: TestBot): Promise<TestWeb> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  t.sim.oauth.registerRedirectUri(`${url}/auth/callback`);
  const settings = new GuildSettingsStore(t.pool, t.redis, t.prefix, t.logger);
  const discord = new DiscordClient({
    apiUrl: t.sim.apiUrl,
    oauthUrl: t.sim.baseUrl,
    clientId: t.sim.oauth.clientId,
    clientSecret: t.sim.oauth.clientSecret,
    botToken: t.sim.token,
    redirectUri: `${url}/auth/callback`,
  });
  const app = await buildWebServer({ db: t.pool, redis: t.redis, keyPrefix: t.prefix, settings, discord, publicUrl: url, frontEnd: frontEnd(), logger: t.logger });
  await app.listen({ port, host: '127.0.0.1' });
  return { url, app, settings, stop: () => app.close() };
}

/** A signed-in API client: the session cookie, the CSRF token, and fetch with both. */
export interface WebClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, body: unknown, o?: { csrf?: string | null; origin?: string | null }): Promise<Response>;
}

export async function signIn(web: TestWeb, t: TestBot, userId: string): Promise<WebClient> {
  const login = await fetch(`${web.url}/auth/login`, { redirect: 'manual' });
  const authorize = new URL(login.headers.get('location')!);
  authorize.searchParams.set('sim_user', userId);
  const granted = await fetch(authorize, { redirect: 'manual' });
  const callback = granted.headers.get('location')!;
  if (!callback.startsWith(web.url)) throw new Error(`authorize did not redirect back: ${granted.status} ${callback}`);
  const done = await fetch(callback, { redirect: 'manual' });
  const cookie = (done.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (!cookie.startsWith('sid=')) throw new Error(`no session cookie after the callback (${done.status}: ${await done.text()})`);
  const get = (path: string) => fetch(`${web.url}${path}`, { headers: { cookie } });
  const me = (await (await get('/api/me')).json()) as { csrf: string };
  return {
    cookie,
    csrf: me.csrf,
    get,
    post: (path, body, o = {}) => {
      const headers: Record<string, string> = { cookie, 'content-type': 'application/json' };
      const csrf = o.csrf === undefined ? me.csrf : o.csrf;
      const origin = o.origin === undefined ? web.url : o.origin;
      if (csrf !== null) headers['x-csrf-token'] = csrf;
      if (origin !== null) headers.origin = origin;
      return fetch(`${web.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    },
  };
}
