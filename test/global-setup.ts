// Vitest globalSetup of the integration projects: one PostgreSQL and one Redis for the whole run.
// DATABASE_URL / REDIS_URL when set (CI, or a developer's own servers), otherwise embedded throwaway
// servers. Test files get the URLs with inject('databaseUrl') / inject('redisUrl') and isolate themselves
// via test/helpers/services.ts. The unit project runs without it (log capture only: log-capture-setup.ts).
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../src/logger.js';
import { resolveServices } from '../dev/embedded.js';
import { captureLogs } from './log-capture-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Hide the password when naming a URL in an error. */
function safe(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `DATABASE_URL (${safe(url)}) does not answer: ${(err as Error).message}. Unset it to use an embedded PostgreSQL.`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5_000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `REDIS_URL (${safe(url)}) does not answer: ${(err as Error).message}. Unset it to use an embedded redis-server.`,
    );
  } finally {
    redis.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopCapture = captureLogs();
  const logger = createLogger(env('LOG_LEVEL') ?? 'warn', { service: 'test-setup' });
  const databaseUrl = env('DATABASE_URL');
  const redisUrl = env('REDIS_URL');
  await Promise.all([databaseUrl && checkPostgres(databaseUrl), redisUrl && checkRedis(redisUrl)]);
  const services = await resolveServices({ databaseUrl, redisUrl }, logger);
  project.provide('databaseUrl', services.databaseUrl);
  project.provide('redisUrl', services.redisUrl);
  return async () => {
    await services.stop();
    stopCapture();
  };
}
