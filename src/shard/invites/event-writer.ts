// The shard's write path for member join/leave events: XADD to the guild's partition stream, not awaited
// by the caller (invariant 4). Events cannot be merged like counter increments, so a failed XADD keeps the
// event itself in a bounded FIFO buffer that a timer retries; past the bound, events are shed with a metric
// and a (rate-limited) log line.
import type { RedisClient } from '../../redis.js';
import { encodeMemberEvent, type MemberEvent } from '../../member-events.js';
import { Keys, partitionOf } from '../../keys.js';
import type { Logger } from '../../logger.js';
import { memberEventBufferSize, memberEventsShed, memberEventWriteErrors } from './metrics.js';

export interface MemberEventWriterOptions {
  redis: RedisClient;
  keys: Keys;
  partitions: number;
  logger: Logger;
  /** Most events kept for retry while Redis is unavailable. */
  maxBuffered: number;
  retryIntervalMs?: number;
}

export class MemberEventWriter {
  private buffer: MemberEvent[] = [];
  private inflight = 0;
  private retrying = false;
  private shedSinceLog = 0;
  private lastShedLog = 0;
  /** Events written to Redis since start (for tests and logs). */
  written = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: MemberEventWriterOptions) {
    this.timer = setInterval(() => void this.retry(), o.retryIntervalMs ?? 1_000);
    this.timer.unref();
  }

  add(e: MemberEvent): void {
    this.send(e);
  }

  private send(e: MemberEvent): void {
    this.inflight++;
    const key = this.o.keys.memberEvents(partitionOf(e.guildId, this.o.partitions));
    this.o.redis.xadd(key, '*', ...encodeMemberEvent(e)).then(
      () => {
        this.inflight--;
        this.written++;
      },
      (err: Error) => {
        this.inflight--;
        memberEventWriteErrors.inc();
        this.keep(e, err);
      },
    );
  }

  private keep(e: MemberEvent, err: Error): void {
    if (this.buffer.length >= this.o.maxBuffered) {
      memberEventsShed.inc();
      this.shedSinceLog++;
      const now = Date.now();
      if (now - this.lastShedLog > 10_000) {
        this.o.logger.error({ shed: this.shedSinceLog, buffered: this.buffer.length, err: err.message }, 'member event buffer full: shedding events while Redis is unavailable');
        this.shedSinceLog = 0;
        this.lastShedLog = now;
      }
      return;
    }
    this.buffer.push(e);
    memberEventBufferSize.set(this.buffer.length);
    if (this.buffer.length === 1) this.o.logger.warn({ err: err.message }, 'member event write failed; buffering for retry');
  }

  private async retry(): Promise<void> {
    if (this.retrying || this.buffer.length === 0) return;
    this.retrying = true;
    try {
      const events = this.buffer;
      this.buffer = [];
      memberEventBufferSize.set(0);
      for (const e of events) this.send(e);
      await this.settled(5_000);
      if (this.buffer.length === 0) this.o.logger.info({ events: events.length }, 'member event buffer flushed to Redis');
    } finally {
      this.retrying = false;
    }
  }

  async settled(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  }

  /** For shutdown: true when every event reached Redis. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    await this.settled(timeoutMs);
    while (this.buffer.length > 0 && Date.now() < end) {
      await this.retry();
      if (this.buffer.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    return this.buffer.length === 0 && this.inflight === 0;
  }

  get pending(): { inflight: number; buffered: number } {
    return { inflight: this.inflight, buffered: this.buffer.length };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
