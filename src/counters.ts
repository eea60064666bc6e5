// The shard's write path into Redis. add() issues HINCRBYs that ioredis auto-pipelines and returns at
// once: a gateway event never waits on Redis (invariant 4). A failed increment goes to a bounded retry
// buffer that merges by field, so an outage costs memory per distinct counter, not per event; past the
// bound, increments are shed with a metric and a (rate-limited) log line.
import type { RedisClient } from './redis.js';
import { FAMILIES, encodeField, type FamilyName } from './families.js';
import { Keys, partitionOf } from './keys.js';
import type { Logger } from './logger.js';
import { incrementsShed, redisWriteErrors, retryBufferSize } from './metrics.js';

export interface CounterWriterOptions {
  redis: RedisClient;
  keys: Keys;
  partitions: number;
  logger: Logger;
  /** Most distinct (key, field) pairs kept for retry. */
  maxBuffered: number;
  retryIntervalMs?: number;
}

/** Where counting functions put increments: the shard's CounterWriter live, a page's rows in a backfill. */
export interface CounterSink {
  add(family: FamilyName, guildId: string, minute: number, dims: readonly string[], values: readonly number[], marks?: readonly string[]): void;
}

export class CounterWriter implements CounterSink {
  private readonly buffer = new Map<string, Map<string, number>>();
  private buffered = 0;
  private inflight = 0;
  private shedSinceLog = 0;
  private lastShedLog = 0;
  private readonly timer: NodeJS.Timeout;
  private flushing = false;

  constructor(private readonly opts: CounterWriterOptions) {
    this.timer = setInterval(() => void this.retry(), opts.retryIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Adds `values` (one per metric of the family, zeros skipped) to the minute bucket of `dims`; `marks` are
   * the family's row marks (FamilySpec.marks), '0' each when omitted.
   */
  add(family: FamilyName, guildId: string, minute: number, dims: readonly string[], values: readonly number[], marks?: readonly string[]): void {
    const spec = FAMILIES[family];
    const key = this.opts.keys.live(family, partitionOf(guildId, this.opts.partitions));
    for (let m = 0; m < values.length; m++) {
      const by = values[m] ?? 0;
      if (by !== 0) this.send(key, encodeField(spec, minute, dims, m, marks), by);
    }
  }

  private send(key: string, field: string, by: number): void {
    this.inflight++;
    this.opts.redis.hincrby(key, field, by).then(
      () => {
        this.inflight--;
      },
      (err: Error) => {
        this.inflight--;
        redisWriteErrors.inc();
        this.keep(key, field, by, err);
      },
    );
  }

  private keep(key: string, field: string, by: number, err: Error): void {
    let fields = this.buffer.get(key);
    const had = fields?.get(field);
    if (had !== undefined) {
      fields!.set(field, had + by);
      return;
    }
    if (this.buffered >= this.opts.maxBuffered) {
      incrementsShed.inc(by);
      this.shedSinceLog += by;
      const now = Date.now();
      if (now - this.lastShedLog > 10_000) {
        this.opts.logger.error(
          { shed: this.shedSinceLog, buffered: this.buffered, err: err.message },
          'retry buffer full: shedding counter increments while Redis is unavailable',
        );
        this.shedSinceLog = 0;
        this.lastShedLog = now;
      }
      return;
    }
    if (!fields) this.buffer.set(key, (fields = new Map()));
    fields.set(field, by);
    this.buffered++;
    retryBufferSize.set(this.buffered);
    if (this.buffered === 1) this.opts.logger.warn({ err: err.message }, 'Redis increment failed; buffering for retry');
  }

  /** Re-sends buffered increments; each goes back to the buffer if it fails again. */
  private async retry(): Promise<void> {
    if (this.flushing || this.buffered === 0) return;
    this.flushing = true;
    try {
      const entries = [...this.buffer];
      this.buffer.clear();
      this.buffered = 0;
      retryBufferSize.set(0);
      for (const [key, fields] of entries) for (const [field, by] of fields) this.send(key, field, by);
      await this.settled(5_000);
      if (this.buffered === 0) this.opts.logger.info('retry buffer flushed to Redis');
    } finally {
      this.flushing = false;
    }
  }

  /** Resolves once no increment is in flight (or after timeoutMs). */
  async settled(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  }

  /** For shutdown: waits for in-flight writes and tries the buffer until it is empty or time runs out. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    await this.settled(timeoutMs);
    while (this.buffered > 0 && Date.now() < end) {
      await this.retry();
      if (this.buffered > 0) await new Promise((r) => setTimeout(r, 200));
    }
    return this.buffered === 0 && this.inflight === 0;
  }

  get pending(): { inflight: number; buffered: number } {
    return { inflight: this.inflight, buffered: this.buffered };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
