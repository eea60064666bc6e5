// The shard's write path into Redis. add() issues HINCRBYs that ioredis auto-pipelines and returns at
// once: a gateway event never waits on Redis (invariant 4). A failed increment goes to the bounded retry
// buffer (write-buffer.ts), merged by field, so an outage costs memory per distinct counter, not per event.
import { FAMILIES, encodeField, type FamilyName } from './families.js';
import { partitionOf } from './keys.js';
import { incrementsShed, redisWriteErrors, retryBufferSize } from './metrics.js';
import { WriteBuffer, type ShardWriterOptions } from './write-buffer.js';

/** maxBuffered counts distinct (key, field) pairs. */
export type CounterWriterOptions = ShardWriterOptions;

interface Increment {
  key: string;
  field: string;
  by: number;
}

/** Where counting functions put increments: the shard's CounterWriter live, a page's rows in a backfill. */
export interface CounterSink {
  add(
    family: FamilyName,
    guildId: string,
    minute: number,
    dims: readonly string[],
    values: readonly number[],
    marks?: readonly string[],
  ): void;
}

/** The shard's counters: increments into the live hashes, through a write buffer that merges them by field. */
export class CounterWriter extends WriteBuffer<Increment> implements CounterSink {
  constructor(private readonly opts: CounterWriterOptions) {
    super({
      send: (i) => opts.redis.hincrby(i.key, i.field, i.by),
      mergeKey: (i) => `${i.key}\u0000${i.field}`,
      merge: (waiting, i) => ({ ...waiting, by: waiting.by + i.by }),
      maxBuffered: opts.maxBuffered,
      retryIntervalMs: opts.retryIntervalMs,
      logger: opts.logger,
      onError: () => redisWriteErrors.inc(),
      onShed: (i) => incrementsShed.inc(i.by),
      onBuffered: (n) => retryBufferSize.set(n),
      weight: (i) => i.by,
      messages: {
        buffering: 'Redis increment failed; buffering for retry',
        full: 'retry buffer full: shedding counter increments while Redis is unavailable',
        flushed: 'retry buffer flushed to Redis',
      },
    });
  }

  /**
   * Adds `values` (one per metric of the family, zeros skipped) to the minute bucket of `dims`; `marks` are
   * the family's row marks (FamilySpec.marks), '0' each when omitted.
   */
  add(
    family: FamilyName,
    guildId: string,
    minute: number,
    dims: readonly string[],
    values: readonly number[],
    marks?: readonly string[],
  ): void {
    const spec = FAMILIES[family];
    const key = this.opts.keys.live(family, partitionOf(guildId, this.opts.partitions));
    for (let m = 0; m < values.length; m++) {
      const by = values[m] ?? 0;
      if (by !== 0) void this.write({ key, field: encodeField(spec, minute, dims, m, marks), by });
    }
  }
}
