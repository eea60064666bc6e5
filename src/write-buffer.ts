// The shard's Redis writes, sent at once and never awaited by the caller (invariant 4). A write that fails
// waits in a bounded retry buffer that a timer resends; writes with the same merge key are merged into one
// (counter increments add up, so an outage costs memory per distinct counter, not per event), the others
// queue in order. Past the bound, writes are shed with a metric and a (rate-limited) log line.
import { InFlight } from './in-flight.js';
import type { Keys } from './keys.js';
import type { Logger } from './logger.js';
import type { RedisClient } from './redis.js';

/** What a shard writer built on the buffer is given: where to write, and the buffer's bound. */
export interface ShardWriterOptions {
  redis: RedisClient;
  keys: Keys;
  partitions: number;
  logger: Logger;
  /** Most writes kept for retry while Redis is unavailable (distinct counters, or events). */
  maxBuffered: number;
  retryIntervalMs?: number;
}

export interface WriteBufferOptions<T> {
  /** Sends one write to Redis; rejects when Redis did not take it. */
  send(item: T): Promise<unknown>;
  /** Writes with the same key are merged while they wait for retry (merge must then be given too). */
  mergeKey?(item: T): string;
  merge?(waiting: T, item: T): T;
  /** Most writes kept for retry. */
  maxBuffered: number;
  retryIntervalMs?: number;
  logger: Logger;
  /** Called for each failed send, each write shed (with its weight) and each change of the buffer's size. */
  onError(): void;
  onShed(item: T): void;
  onBuffered(size: number): void;
  /** How many units a write stands for in the shed log line (an increment's amount, or 1). */
  weight?(item: T): number;
  messages: { buffering: string; full: string; flushed: string };
}

export class WriteBuffer<T> {
  private buffer = new Map<string, T>();
  private readonly inflight = new InFlight();
  private seq = 0;
  private retrying = false;
  private shedSinceLog = 0;
  private lastShedLog = 0;
  private readonly timer: NodeJS.Timeout;
  /** Writes Redis took since start (for tests and logs). */
  written = 0;

  constructor(private readonly o: WriteBufferOptions<T>) {
    this.timer = setInterval(() => void this.retry(), o.retryIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Sends `item` now; resolves when Redis took it, or false when it went to the retry buffer (or was shed). */
  write(item: T): Promise<boolean> {
    const p = this.o.send(item).then(
      () => {
        this.written++;
        return true;
      },
      (err: Error) => {
        this.o.onError();
        this.keep(item, err);
        return false;
      },
    );
    return this.inflight.track(p);
  }

  /**
   * Sends several writes as one Redis command (`send`); if it fails, each of `items()` (built only then)
   * goes to the retry buffer as if it had been written alone.
   */
  protected writeAll(count: number, send: () => Promise<unknown>, items: () => T[]): Promise<boolean> {
    const p = send().then(
      () => {
        this.written += count;
        return true;
      },
      (err: Error) => {
        this.o.onError();
        for (const i of items()) this.keep(i, err);
        return false;
      },
    );
    return this.inflight.track(p);
  }

  private keep(item: T, err: Error): void {
    const key = this.o.mergeKey?.(item);
    const waiting = key === undefined ? undefined : this.buffer.get(key);
    if (waiting !== undefined) {
      this.buffer.set(key!, this.o.merge!(waiting, item));
      return;
    }
    if (this.buffer.size >= this.o.maxBuffered) {
      this.o.onShed(item);
      this.shedSinceLog += this.o.weight?.(item) ?? 1;
      const now = Date.now();
      if (now - this.lastShedLog > 10_000) {
        this.o.logger.error(
          { shed: this.shedSinceLog, buffered: this.buffer.size, err: err.message },
          this.o.messages.full,
        );
        this.shedSinceLog = 0;
        this.lastShedLog = now;
      }
      return;
    }
    this.buffer.set(key ?? `#${this.seq++}`, item);
    this.o.onBuffered(this.buffer.size);
    if (this.buffer.size === 1) this.o.logger.warn({ err: err.message }, this.o.messages.buffering);
  }

  /** Resends the buffered writes, in order; each goes back to the buffer if it fails again. */
  private async retry(): Promise<void> {
    if (this.retrying || this.buffer.size === 0) return;
    this.retrying = true;
    try {
      const items = [...this.buffer.values()];
      this.buffer = new Map();
      this.o.onBuffered(0);
      for (const i of items) void this.write(i);
      await this.inflight.settled(5_000);
      if (this.buffer.size === 0) this.o.logger.info({ writes: items.length }, this.o.messages.flushed);
    } finally {
      this.retrying = false;
    }
  }

  /** Resolves once no write is in flight (or after timeoutMs): awaits the writes themselves. */
  async settled(timeoutMs = 10_000): Promise<void> {
    await this.inflight.settled(timeoutMs);
  }

  /** For shutdown: waits for the writes in flight and retries the buffer until it is empty or time runs out. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    await this.settled(timeoutMs);
    while (this.buffer.size > 0 && Date.now() < end) {
      await this.retry();
      if (this.buffer.size > 0) await new Promise((r) => setTimeout(r, 200));
    }
    return this.buffer.size === 0 && this.inflight.size === 0;
  }

  get pending(): { inflight: number; buffered: number } {
    return { inflight: this.inflight.size, buffered: this.buffer.size };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
