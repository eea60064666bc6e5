// Identify throttling shared by every process of a deployment. Discord allows one IDENTIFY per 5 s per
// rate-limit bucket (`shard_id % max_concurrency`) for the whole bot, but discord.js's built-in
// SimpleIdentifyThrottler only knows about the shards of its own process: two cluster processes starting
// together would identify in the same bucket at once. Here each bucket is a Redis lock
// (SET NX PX on `{prefix}:identify:{bucket}`) that is never released early, so whoever takes it next
// is at least the interval behind. The daily session budget (session_start_limit, from GET /gateway/bot at
// most every 5 s per process) is checked under the lock, against the identifies granted since across all
// processes, so the check and the identify cannot interleave within a bucket.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimpleIdentifyThrottler, type ClientOptions, type IIdentifyThrottler } from 'discord.js';
import type { RedisClient } from '../redis.js';
import type { Logger } from '../logger.js';
import { identifyWait, sessionStartRemaining } from '../metrics.js';

export interface SessionStartLimit {
  remaining: number;
  /** Milliseconds until `remaining` is restored to `total`. */
  reset_after: number;
}

export interface RedisIdentifyThrottlerOptions {
  redis: RedisClient;
  /** The deployment's Redis key prefix; the lock is `{prefix}:identify:{bucket}`. */
  prefix: string;
  maxConcurrency: number;
  /** Gap between identifies of one bucket (Discord: 5000). */
  intervalMs: number;
  /** Current session_start_limit, fetched fresh (GET /gateway/bot). */
  sessionStartLimit: () => Promise<SessionStartLimit>;
  logger: Logger;
  /** A Redis command slower than this counts as an outage: the process falls back to local throttling. */
  redisTimeoutMs?: number;
}

/**
 * The lock is held a little longer than the interval: an identify leaves right after the lock is taken
 * but reaches Discord after a variable network delay, so two identifies exactly one interval apart at
 * the lock could arrive closer than that.
 */
export function lockHoldMs(intervalMs: number): number {
  return intervalMs + Math.min(500, Math.round(intervalMs / 10));
}

/** @discordjs/ws's WebSocketManager (discord.js exports its own class of that name). */
export type BuildIdentifyThrottler = NonNullable<NonNullable<ClientOptions['ws']>['buildIdentifyThrottler']>;
type GatewayManager = Parameters<BuildIdentifyThrottler>[0];

/** How long a granted identify counts against the budget before Discord's own `remaining` reflects it. */
const GRANT_TTL_MS = 10_000;
/** KEYS[1] grants; ARGV now, ttl, remaining, member. 1 when `remaining` exceeds the recent grants (and records one). */
const RESERVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export class RedisIdentifyThrottler implements IIdentifyThrottler {
  private readonly local: SimpleIdentifyThrottler;
  private readonly holdMs: number;

  constructor(private readonly o: RedisIdentifyThrottlerOptions) {
    this.local = new SimpleIdentifyThrottler(o.maxConcurrency);
    this.holdMs = lockHoldMs(o.intervalMs);
  }

  lockKey(shardId: number): string {
    return `${this.o.prefix}:identify:${shardId % this.o.maxConcurrency}`;
  }

  async waitForIdentify(shardId: number, signal: AbortSignal): Promise<void> {
    const end = identifyWait.startTimer();
    const key = this.lockKey(shardId);
    const token = `${process.pid}:${shardId}:${randomBytes(6).toString('hex')}`;
    try {
      for (;;) {
        signal.throwIfAborted();
        let acquired: boolean;
        try {
          acquired = (await this.redis((r) => r.set(key, token, 'PX', this.holdMs, 'NX'))) === 'OK';
        } catch (err) {
          // Without Redis, fall back to discord.js's per-process throttle rather than keep the shard offline.
          this.o.logger.warn(
            { err: (err as Error).message, shard: shardId },
            'identify lock unavailable (Redis); throttling identifies in this process only',
          );
          await this.local.waitForIdentify(shardId, signal);
          await this.waitForBudget(shardId, signal, undefined);
          return;
        }
        if (acquired) {
          if (await this.waitForBudget(shardId, signal, key)) return;
          continue; // the budget was exhausted and we waited for its reset: take the lock again
        }
        const ttl = await this.redis((r) => r.pttl(key)).catch(() => 100);
        // Jitter so waiters of one bucket in different processes do not all retry in the same instant.
        await sleep(Math.min(Math.max(ttl, 10), this.holdMs) + Math.random() * 50, undefined, { signal });
      }
    } finally {
      end();
    }
  }

  /**
   * True once the budget allows an identify. Discord's `remaining` only drops once an identify arrives, so
   * identifies of other buckets that were just let through are reserved in Redis (a sorted set of recent
   * grants) and counted against it. When the budget is exhausted: logs loudly, gives the lock back (if
   * `key`), waits for `reset_after` and returns false; when only recent grants fill it, waits briefly.
   */
  private async waitForBudget(shardId: number, signal: AbortSignal, key: string | undefined): Promise<boolean> {
    let limit: SessionStartLimit;
    try {
      limit = await this.o.sessionStartLimit();
    } catch (err) {
      // discord.js would fail the same request itself; identifying without the check matches its default.
      this.o.logger.warn(
        { err, shard: shardId },
        'could not fetch session_start_limit; identifying without checking it',
      );
      return true;
    }
    sessionStartRemaining.set(limit.remaining);
    if (limit.remaining > 0) {
      const reserved = await this.redis((r) =>
        r.eval(
          RESERVE,
          1,
          `${this.o.prefix}:identify:grants`,
          Date.now(),
          GRANT_TTL_MS,
          limit.remaining,
          `${process.pid}:${shardId}:${randomBytes(4).toString('hex')}`,
        ),
      ).catch(() => 1); // Redis gone: the per-bucket fallback already applies; do not block on the reservation
      if (reserved === 1) return true;
      if (key) await this.redis((r) => r.del(key)).catch(() => 0);
      await sleep(GRANT_TTL_MS / 4, undefined, { signal });
      return false;
    }
    this.o.logger.error(
      { shard: shardId, resetAfterMs: limit.reset_after },
      'session_start_limit exhausted: no identify is allowed until it resets; the shard stays offline until then',
    );
    if (key) await this.redis((r) => r.del(key)).catch(() => 0);
    await sleep(Math.max(limit.reset_after, 1_000), undefined, { signal });
    return false;
  }

  private redis<T>(fn: (r: RedisClient) => Promise<T>): Promise<T> {
    const ms = this.o.redisTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([fn(this.o.redis), timeout]).finally(() => clearTimeout(timer));
  }
}

/**
 * How long a fetched session_start_limit is reused. GET /gateway/bot has a route limit of its own (Discord
 * reported 2 requests per 5 s), so a process starting several shards must not fetch it once per shard.
 * A value this old is still safe: every identify granted since it was fetched is among the reserved grants
 * (GRANT_TTL_MS), which the budget check counts against it.
 */
const SESSION_LIMIT_FRESH_MS = 5_000;

/**
 * For `new Client({ ws: { buildIdentifyThrottler } })`: reads max_concurrency from GET /gateway/bot
 * (as discord.js's default does) and session_start_limit before each identify, fetched again at most every
 * SESSION_LIMIT_FRESH_MS (and once for identifies waiting at the same time).
 */
export function redisIdentifyThrottler(
  o: Omit<RedisIdentifyThrottlerOptions, 'maxConcurrency' | 'sessionStartLimit'>,
): BuildIdentifyThrottler {
  return async (manager: GatewayManager) => {
    // discord.js fetched this at login, moments ago.
    const info = await manager.fetchGatewayInformation();
    let cached = { limit: info.session_start_limit, at: Date.now() };
    let inflight: Promise<SessionStartLimit> | null = null;
    const sessionStartLimit = async (): Promise<SessionStartLimit> => {
      const age = Date.now() - cached.at;
      if (age < SESSION_LIMIT_FRESH_MS)
        return { remaining: cached.limit.remaining, reset_after: cached.limit.reset_after - age };
      inflight ??= manager
        .fetchGatewayInformation(true)
        .then((fresh) => (cached = { limit: fresh.session_start_limit, at: Date.now() }).limit)
        .finally(() => (inflight = null));
      return inflight;
    };
    return new RedisIdentifyThrottler({
      ...o,
      maxConcurrency: info.session_start_limit.max_concurrency,
      sessionStartLimit,
    });
  };
}
