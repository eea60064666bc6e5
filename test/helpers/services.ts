// Isolation for integration tests that share the run's one PostgreSQL and one Redis (global-setup.ts):
// a fresh migrated database per call, a unique Redis key prefix per call.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { scanKeys, type RedisClient } from '../../src/redis.js';
import { inject } from 'vitest';
import { migrate } from '../../src/db/migrate.js';

function uniqueSuffix(): string {
  return `${process.pid}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function admin<T>(baseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new database on the run's server, migrated unless `migrate: false`. Call drop() in afterAll. */
export async function testDatabase(
  opts: { migrate?: boolean } = {},
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const base = inject('databaseUrl');
  const name = `test_${uniqueSuffix()}`;
  // template0: template1 refuses to be copied while another session (a parallel test file) is on it.
  await admin(base, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> =>
    (dropped ??= admin(base, async (c) => {
      // FORCE: a pool a test forgot to end must not keep the database alive.
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }));
  try {
    if (opts.migrate !== false) await migrate(url);
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  return { url, name, drop };
}

/** The run's Redis and a key prefix no other test uses (valid as REDIS_KEY_PREFIX). */
export function testRedis(): { url: string; prefix: string } {
  return { url: inject('redisUrl'), prefix: `t-${uniqueSuffix()}` };
}

/** Deletes every key under `prefix:` (SCAN + UNLINK, never KEYS). */
export async function cleanupPrefix(redis: RedisClient, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
  // One UNLINK per key (auto-pipelined): on a cluster a multi-key UNLINK may not span slots.
  const deleted = await Promise.all((await scanKeys(redis, pattern)).map((k) => redis.unlink(k)));
  return deleted.reduce((a, b) => a + b, 0);
}
