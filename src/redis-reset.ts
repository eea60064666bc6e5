// Notices that Redis lost its data (FLUSHALL, a restart without persistence, a failover to an empty
// replica) while this process keeps running, so what it mirrors into Redis can be rebuilt at once instead
// of at the next process start: the opt-out set, the invite snapshots, the open sessions.
//
// Each process plants a sentinel key of its own (`{prefix}:alive:<id>`, expiring after a day) and checks it
// every few seconds and whenever the connection comes back: `SET ... GET` re-plants it and says whether
// it was still there. Missing means Redis was emptied since the last check.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis.js';
import type { Logger } from './logger.js';
import { redisResets } from './metrics.js';

const TTL_SECONDS = 86_400;

export interface RedisResetWatcherOptions {
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  /** Called once per detected loss; it rebuilds (and must not throw). */
  onReset: () => void;
  /** How often the sentinel is checked; default 5 s. */
  intervalMs?: number;
}

export class RedisResetWatcher {
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private planted = false;
  private checking = false;
  private readonly onReady = () => void this.check();

  constructor(private readonly o: RedisResetWatcherOptions) {
    this.key = `${o.prefix}:alive:${randomUUID()}`;
  }

  /** Plants the sentinel (failures are retried by the timer) and starts watching. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.o.intervalMs ?? 5_000);
    this.timer.unref();
    this.o.redis.on('ready', this.onReady);
  }

  /** One check now; resolves true when a loss was found (and reported). */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      const previous = (await this.o.redis.call('SET', this.key, '1', 'EX', String(TTL_SECONDS), 'GET')) as
        string | null;
      const lost = this.planted && previous === null;
      this.planted = true;
      if (!lost) return false;
      redisResets.inc();
      this.o.logger.warn(
        'Redis lost its data (flushed, or restarted without persistence): rebuilding what this process keeps there',
      );
      this.o.onReset();
      return true;
    } catch {
      return false; // Redis unavailable: the next check (or the reconnect) tells
    } finally {
      this.checking = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.o.redis.off('ready', this.onReady);
    await this.o.redis.del(this.key).catch(() => {});
  }
}
