// ioredis connections. Auto-pipelining batches the shard's un-awaited HINCRBYs into one round trip per
// event-loop tick; commands fail fast (no endless offline queue) so the caller's bounded retry buffer,
// not ioredis, decides what to keep while Redis is down.
import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    // Reconnect forever with capped backoff; a shard must outlive a Redis outage.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
    lazyConnect: false,
    ...opts,
  });
}
