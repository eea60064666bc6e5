// Discord's REST rate limits (developers/topics/rate-limits.mdx): per-route buckets per top-level resource
// with X-RateLimit-* headers on every response, the global per-bot limit that interaction endpoints are
// exempt from, and real 429s with Retry-After, retry_after, global and X-RateLimit-Scope; discord.js, which
// reads the headers, never gets one.
import { REST } from 'discord.js';
import { Routes } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/index.js';

let sims: Simulator[] = [];
async function sim(o: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ guilds: 12, seed: 5, ...o });
  sims.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

const get = (s: Simulator, path: string, token = s.token) =>
  fetch(`${s.apiUrl}/v10${path}`, { headers: { authorization: `Bot ${token}` } });
const rateHeaders = (r: Response) => ({
  limit: Number(r.headers.get('x-ratelimit-limit')),
  remaining: Number(r.headers.get('x-ratelimit-remaining')),
  reset: Number(r.headers.get('x-ratelimit-reset')),
  resetAfter: Number(r.headers.get('x-ratelimit-reset-after')),
  bucket: r.headers.get('x-ratelimit-bucket'),
});

describe('per-route buckets', () => {
  it('reports the bucket on every response and answers the request past its limit with a 429', async () => {
    const s = await sim();
    const [a, b] = [...s.world.guilds.keys()];
    const seen = [];
    for (let i = 0; i < 5; i++) {
      const r = await get(s, `/guilds/${a}/channels`);
      expect(r.status).toBe(200);
      seen.push(rateHeaders(r));
    }
    expect(seen.map((h) => h.remaining)).toEqual([4, 3, 2, 1, 0]);
    for (const h of seen) {
      expect(h.limit).toBe(5);
      expect(h.bucket).toMatch(/^[0-9a-f]{32}$/);
      expect(h.resetAfter).toBeGreaterThan(0);
      expect(h.resetAfter).toBeLessThanOrEqual(1);
      expect(h.reset * 1000).toBeGreaterThan(Date.now() - 1000);
    }
    const over = await get(s, `/guilds/${a}/channels`);
    expect(over.status).toBe(429);
    expect(over.headers.get('x-ratelimit-scope')).toBe('user');
    expect(over.headers.get('x-ratelimit-global')).toBeNull();
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await over.json()) as { message: string; retry_after: number; global: boolean };
    expect(body.global).toBe(false);
    expect(body.retry_after).toBeGreaterThan(0);
    expect(s.restStats.rateLimited.user).toBe(1);

    // Another guild is another resource: same bucket hash, its own count.
    const other = await get(s, `/guilds/${b}/channels`);
    expect(other.status).toBe(200);
    expect(rateHeaders(other)).toMatchObject({ bucket: seen[0]!.bucket, remaining: 4 });

    // After retry_after the bucket has refilled (wall-clock on purpose: the refill is what is tested).
    await new Promise((r) => setTimeout(r, body.retry_after * 1000 + 20));
    expect((await get(s, `/guilds/${a}/channels`)).status).toBe(200);
  });

  it('GET /gateway/bot allows 2 requests per 5 s, as Discord reports', async () => {
    const s = await sim();
    const [r1, r2, r3] = [await get(s, '/gateway/bot'), await get(s, '/gateway/bot'), await get(s, '/gateway/bot')];
    expect([r1.status, r2.status, r3.status]).toEqual([200, 200, 429]);
    expect(rateHeaders(r1)).toMatchObject({ limit: 2, remaining: 1 });
    expect(rateHeaders(r3).resetAfter).toBeGreaterThan(4);
  });

  it('is switched off with limits.rest: no headers, no 429s', async () => {
    const s = await sim({ limits: { rest: false } });
    const g = [...s.world.guilds.keys()][0]!;
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        get(s, `/guilds/${g}/roles`).then((r) => [r.status, r.headers.get('x-ratelimit-limit')]),
      ),
    );
    expect(statuses.every(([status, limit]) => status === 200 && limit === null)).toBe(true);
  });
});

describe('the global limit', () => {
  it('refuses requests past the per-second limit with a global 429; interaction endpoints are exempt', async () => {
    // 10 per second instead of Discord's 50, so a burst fits in one window even on a loaded machine.
    const s = await sim({ limits: { restGlobalPerSecond: 10 } });
    const guilds = [...s.world.guilds.keys()];
    // One request per route and guild: no bucket is used twice, only the global limit can refuse.
    const paths = guilds.flatMap((g) => [`/guilds/${g}`, `/guilds/${g}/roles`]);
    const replies = await Promise.all(paths.map((p) => get(s, p)));
    const refused = replies.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 200).length).toBeLessThanOrEqual(10);
    for (const r of refused) {
      expect(r.headers.get('x-ratelimit-global')).toBe('true');
      expect(r.headers.get('x-ratelimit-scope')).toBe('global');
      expect(((await r.json()) as { global: boolean }).global).toBe(true);
    }
    // Within the same second, an interaction callback is not refused (a 404 for an unknown interaction).
    const callback = await fetch(`${s.apiUrl}/v10/interactions/123456789012345678/token/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 1 }),
    });
    expect(callback.status).toBe(404);
  });
});

describe('a client that reads the headers', () => {
  it('discord.js spreads a burst over the buckets and never gets a 429', async () => {
    const s = await sim();
    const rest = new REST({ api: s.apiUrl }).setToken(s.token);
    const g = [...s.world.guilds.keys()][0]!;
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 12 }, () => rest.get(Routes.guildChannels(g))));
    expect(results).toHaveLength(12);
    expect(s.restStats.rateLimited).toEqual({ user: 0, global: 0 });
    // 12 requests through a bucket of 5 per second need at least two refills.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });
});
