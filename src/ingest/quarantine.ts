// Poison never blocks: a batch whose load fails for a reason of its own (PostgreSQL refused its data:
// SQLSTATE class 22 data exception, 23 integrity violation, 54 limit exceeded) is retried on the next
// cycles, then moved aside. Later batches of its partition, other partitions and other families load
// meanwhile (raw tables are append-only deltas, so order does not matter).
//
// Attempts are counted in Redis (per partition, shared by every worker). After INGEST_MAX_ATTEMPTS the
// batch key is renamed to a quarantine key under the same hash tag, with a record of why, in one MULTI:
// it keeps its batch id, so a replay after the cause is fixed loads it exactly once through the ledger
// like any batch. `npm run quarantine` lists, shows, replays and drops quarantined batches (README:
// "Quarantined batches"); the count is the stats_ingest_quarantined_batches gauge, with an alert.
import pg from 'pg';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { ingestBatches, ingestQuarantined } from '../metrics.js';
import type { RedisClient } from '../redis.js';

/** SQLSTATE classes that say the batch's data is at fault, not the database or the connection. */
const BATCH_SPECIFIC = /^(22|23|54)/;

/** A failure that retrying the same batch later cannot fix by itself, while other batches can still load. */
export function isBatchSpecific(err: unknown): boolean {
  return err instanceof pg.DatabaseError && typeof err.code === 'string' && BATCH_SPECIFIC.test(err.code);
}

export interface QuarantineRecord {
  batchId: string;
  family: string;
  partition: number;
  /** Redis key holding the batch's data now. */
  key: string;
  attempts: number;
  /** SQLSTATE and message of the last failure. */
  code: string | null;
  error: string;
  quarantinedAt: string;
}

export interface QuarantineOptions {
  redis: RedisClient;
  keys: Keys;
  partitions: number;
  /** Loads of one batch before it is quarantined. */
  maxAttempts: number;
  logger?: Logger;
}

/** Records attempts expire: a batch loaded by another worker leaves no lasting trace. */
const ATTEMPTS_TTL_SECONDS = 7 * 86_400;

export class Quarantine {
  constructor(private readonly o: QuarantineOptions) {}

  /**
   * A batch-specific failure of `batchKey`: counts the attempt and quarantines the batch once it has failed
   * maxAttempts times. Returns what happened to it.
   */
  async failed(family: string, partition: number, batchKey: string, err: unknown): Promise<'retry' | 'quarantined'> {
    const { redis, keys, logger } = this.o;
    const batchId = Keys.batchIdOf(batchKey);
    const attemptsKey = keys.ingestAttempts(partition);
    const results = await redis
      .multi()
      .hincrby(attemptsKey, batchId, 1)
      .expire(attemptsKey, ATTEMPTS_TTL_SECONDS)
      .exec();
    const attempts = Number(results?.[0]?.[1] ?? 1);
    const code = (err as { code?: unknown }).code;
    const error = err instanceof Error ? err.message.slice(0, 500) : String(err).slice(0, 500);
    ingestBatches.inc({ family, outcome: 'failed' });
    if (attempts < this.o.maxAttempts) {
      logger?.warn(
        { batchId, family, partition, attempts, maxAttempts: this.o.maxAttempts, code, error },
        'batch failed to load; retried next cycle, later batches go on',
      );
      return 'retry';
    }
    const key = keys.quarantined(family, partition, batchId);
    const record: QuarantineRecord = {
      batchId,
      family,
      partition,
      key,
      attempts,
      code: typeof code === 'string' ? code : null,
      error,
      quarantinedAt: new Date().toISOString(),
    };
    const moved = await redis
      .multi()
      .rename(batchKey, key)
      .hset(keys.quarantineIndex(partition), batchId, JSON.stringify(record))
      .hdel(attemptsKey, batchId)
      .exec();
    const renameErr = moved?.[0]?.[0];
    if (renameErr) throw renameErr;
    ingestBatches.inc({ family, outcome: 'quarantined' });
    logger?.error(
      { batchId, family, partition, attempts, code: record.code, error, key },
      'batch quarantined after repeated load failures: it no longer blocks anything; inspect and replay it with `npm run quarantine`',
    );
    await this.refreshGauge().catch(() => {});
    return 'quarantined';
  }

  /** A batch loaded (or found loaded): forget its failed attempts, if it had any. */
  async loaded(partition: number, batchKey: string): Promise<void> {
    await this.o.redis.hdel(this.o.keys.ingestAttempts(partition), Keys.batchIdOf(batchKey));
  }

  async list(): Promise<QuarantineRecord[]> {
    const out: QuarantineRecord[] = [];
    for (let p = 0; p < this.o.partitions; p++) {
      const h = await this.o.redis.hgetall(this.o.keys.quarantineIndex(p));
      for (const raw of Object.values(h)) out.push(JSON.parse(raw) as QuarantineRecord);
    }
    return out.sort((a, b) => a.quarantinedAt.localeCompare(b.quarantinedAt));
  }

  async find(batchId: string): Promise<QuarantineRecord | undefined> {
    for (let p = 0; p < this.o.partitions; p++) {
      const raw = await this.o.redis.hget(this.o.keys.quarantineIndex(p), batchId);
      if (raw) return JSON.parse(raw) as QuarantineRecord;
    }
    return undefined;
  }

  /** The batch's raw content: hash fields (counters) or stream entries (member events), at most `limit`. */
  async content(r: QuarantineRecord, limit = 50): Promise<{ total: number; sample: unknown[] }> {
    const { redis } = this.o;
    const type = await redis.type(r.key);
    if (type === 'stream') {
      const total = await redis.xlen(r.key);
      const entries = await redis.xrange(r.key, '-', '+', 'COUNT', limit);
      return { total, sample: entries.map(([id, fields]) => ({ id, fields })) };
    }
    const total = await redis.hlen(r.key);
    const [, flat] = await redis.hscan(r.key, '0', 'COUNT', limit);
    const sample: { field: string; value: string }[] = [];
    for (let i = 0; i + 1 < flat.length && sample.length < limit; i += 2)
      sample.push({ field: flat[i]!, value: flat[i + 1]! });
    return { total, sample };
  }

  /** Moves the batch back under its batch key: the next ingest cycle loads it (once: the ledger holds). */
  async replay(batchId: string): Promise<QuarantineRecord | undefined> {
    const r = await this.find(batchId);
    if (!r) return undefined;
    const { redis, keys } = this.o;
    const res = await redis
      .multi()
      .rename(r.key, keys.batch(r.family, r.partition, r.batchId))
      .hdel(keys.quarantineIndex(r.partition), r.batchId)
      .hdel(keys.ingestAttempts(r.partition), r.batchId)
      .exec();
    if (res?.[0]?.[0]) throw res[0][0];
    await this.refreshGauge().catch(() => {});
    return r;
  }

  /** Deletes the batch and its record: its data is gone for good (an operator's decision). */
  async drop(batchId: string): Promise<QuarantineRecord | undefined> {
    const r = await this.find(batchId);
    if (!r) return undefined;
    await this.o.redis.multi().unlink(r.key).hdel(this.o.keys.quarantineIndex(r.partition), r.batchId).exec();
    await this.refreshGauge().catch(() => {});
    return r;
  }

  async count(): Promise<number> {
    // One HLEN per partition, auto-pipelined (per node on a cluster: a pipeline may not span slots there).
    const lens = await Promise.all(
      Array.from({ length: this.o.partitions }, (_, p) => this.o.redis.hlen(this.o.keys.quarantineIndex(p))),
    );
    return lens.reduce((a, b) => a + b, 0);
  }

  /** Sets stats_ingest_quarantined_batches to the deployment's count. */
  async refreshGauge(): Promise<number> {
    const n = await this.count();
    ingestQuarantined.set(n);
    return n;
  }
}
