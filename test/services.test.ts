import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { resolveServices, startEmbeddedPostgres, startEmbeddedRedis } from '../dev/embedded.js';

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Whether anything listens on the port (a stopped server must leave nothing behind). */
function listening(port: number): boolean {
  try {
    return execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

describe('embedded services', () => {
  it('startEmbeddedRedis answers PING and stops cleanly', async () => {
    const r = await startEmbeddedRedis();
    const client = new Redis(r.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      expect(await client.ping()).toBe('PONG');
      // Throwaway: no persistence configured.
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      client.disconnect();
    }
    await r.stop();
    await r.stop(); // idempotent
    expect(listening(portOf(r.url))).toBe(false);
  });

  it('startEmbeddedPostgres serves the stats database and stops cleanly', async () => {
    const s = await startEmbeddedPostgres();
    const client = new pg.Client({ connectionString: s.url });
    await client.connect();
    const { rows } = await client.query('SELECT current_database() AS db');
    await client.end();
    expect(rows[0].db).toBe('stats');
    await s.stop();
    expect(listening(portOf(s.url))).toBe(false);
  }, 60_000);

  it('resolveServices keeps configured URLs and starts nothing for them', async () => {
    const res = await resolveServices({ databaseUrl: 'postgres://x@127.0.0.1:1/db', redisUrl: 'redis://127.0.0.1:1' });
    expect(res).toMatchObject({
      databaseUrl: 'postgres://x@127.0.0.1:1/db',
      redisUrl: 'redis://127.0.0.1:1',
      embedded: { postgres: false, redis: false },
    });
    await res.stop();
  });

  it('resolveServices starts an embedded redis when REDIS_URL is missing', async () => {
    const res = await resolveServices({ databaseUrl: 'postgres://x@127.0.0.1:1/db', redisUrl: undefined });
    expect(res.embedded).toEqual({ postgres: false, redis: true });
    const client = new Redis(res.redisUrl, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await res.stop();
    expect(listening(portOf(res.redisUrl))).toBe(false);
  });

  it('names the install command when redis-server is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startEmbeddedRedis()).rejects.toThrow(/apt-get install redis-server.*brew install redis/);
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync('/nonexistent')).toBe(false);
  });
});
