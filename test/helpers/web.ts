// The dashboard in the test process against a test bot's simulator, database and Redis prefix, and a
// scripted "Sign in with Discord" through the simulator's OAuth2 (no browser): follows /auth/login to the
// simulator's authorize page as a chosen user and back to the callback, keeping the session cookie.
import { startDashboard, type Dashboard } from '../../dev/web.js';
import type { TestBot } from './bot.js';

export type TestWeb = Dashboard;

export function startTestWeb(t: TestBot): Promise<TestWeb> {
  return startDashboard({ sim: t.sim, pool: t.pool, redis: t.redis, keyPrefix: t.prefix, logger: t.logger });
}

/** A signed-in API client: the session cookie, the CSRF token, and fetch with both. */
export interface WebClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, body: unknown, o?: { csrf?: string | null; origin?: string | null }): Promise<Response>;
}

export async function signIn(web: TestWeb, _t: TestBot, userId: string): Promise<WebClient> {
  const login = await fetch(`${web.url}/auth/login`, { redirect: 'manual' });
  const authorize = new URL(login.headers.get('location')!);
  authorize.searchParams.set('sim_user', userId);
  const granted = await fetch(authorize, { redirect: 'manual' });
  const callback = granted.headers.get('location')!;
  if (!callback.startsWith(web.url)) throw new Error(`authorize did not redirect back: ${granted.status} ${callback}`);
  const done = await fetch(callback, { redirect: 'manual' });
  const cookie = (done.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (!cookie.startsWith('sid='))
    throw new Error(`no session cookie after the callback (${done.status}: ${await done.text()})`);
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
