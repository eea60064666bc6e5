// Fair shares of the ingest leases. Leases alone let the first worker take every (family, partition) and
// renew them for ever, leaving later workers idle. Each worker therefore heartbeats into a roster (one
// sorted set, score = expiry on Redis's clock) and holds at most ceil(leases / live workers); one above
// its share releases the excess at the start of a cycle, between batches, so a worker that joins gets its
// share within a cycle, and a dead worker's share (its heartbeat and leases expire) goes to the others.
import type { RedisClient } from '../redis.js';

// One key: ZADD our expiry, drop the expired, count the live (Redis TIME, so workers' clocks do not matter).
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return redis.call('ZCARD', KEYS[1])`;

export class Roster {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly workerId: string,
    private readonly ttlMs: number,
  ) {}

  /** Heartbeat; returns the live workers, this one included. */
  async heartbeat(): Promise<number> {
    return Number(await this.redis.eval(HEARTBEAT_LUA, 1, this.key, String(this.ttlMs), this.workerId));
  }

  /** This worker's fair share of `leases` (at least 1). */
  async share(leases: number): Promise<number> {
    return Math.max(1, Math.ceil(leases / Math.max(1, await this.heartbeat())));
  }

  /** Leaving: the others' shares grow at their next cycle instead of after our heartbeat expires. */
  async leave(): Promise<void> {
    await this.redis.zrem(this.key, this.workerId);
  }
}
