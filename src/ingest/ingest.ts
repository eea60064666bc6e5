// The ingest worker: moves counter deltas from Redis live hashes into the raw Postgres tables, each
// increment exactly once (docs/architecture.md, invariant 1).
//
// Per (family, partition) it owns through a lease, one cycle:
//   (a) finish leftover batch keys (a crashed worker's, or our own failed ones);
//   (b) rotate: RENAME live -> batch:<fresh id>, and the row hash the same way (Keys.liveRows ->
//       rowBatch). Shards' writes recreate a live key at once, so every increment is either in the
//       renamed batch or in the next live hash;
//   (c) with replicas, WAIT for them to acknowledge before loading (a failover to a replica that never
//       saw the RENAME would otherwise resurrect the live hash after we loaded it);
//   (d) read the batch page by page into rows (src/ingest/batch-rows.ts);
//   (e) one transaction: ledger row (ON CONFLICT DO NOTHING) + COPY, the pages after the first streamed
//       into the COPY as they are read. A conflicting ledger row means the
//       batch was committed before (crash between commit and unlink): nothing is loaded again;
//   (f) only after commit, UNLINK the batch key.
// Any failure leaves the batch key in place; the next cycle starts again at (a). A failure of the batch's
// own data (PostgreSQL refuses it) ends neither the partition's turn nor the cycle: the next batches load,
// and after INGEST_MAX_ATTEMPTS the batch is quarantined (src/ingest/quarantine.ts). Leases only avoid
// wasted work: two workers racing on the same batch still load it once, thanks to the ledger.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import type { Pool } from '../db/pool.js';
import { FAMILIES, FAMILY_NAMES, type FamilyName, type FamilySpec } from '../families.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { ingestBatches, ingestDuration, ingestErrors, ingestRows } from '../metrics.js';
import { scanKeys, waitReplicas, type RedisClient } from '../redis.js';
import { loadWithLedger } from './ledger.js';
import { MemberEventLoader } from './events.js';
import { MEMBER_EVENTS } from '../member-events.js';
import { memberKey, optedOutIn } from '../privacy.js';
import { batchPages, type BatchRead } from './batch-rows.js';
import { isBatchSpecific, Quarantine } from './quarantine.js';
import { Roster } from './roster.js';
import { botAuthors, copyChunks, copySql, type RawRow } from '../raw-rows.js';

export interface IngestorOptions {
  redis: RedisClient;
  pool: Pool;
  keys: Keys;
  partitions: number;
  families?: FamilyName[];
  /** Replicas that must acknowledge a rotation (Redis WAIT) before its batch is loaded; 0 = none. */
  waitReplicas?: number;
  /** How long WAIT may take before the cycle fails (and is retried). */
  waitTimeoutMs?: number;
  workerId?: string;
  logger?: Logger;
  /** Lease time-to-live; renewed every cycle and every leaseMs/3 while started. */
  leaseMs?: number;
  /** Cap of the exponential backoff after failed cycles in start(). */
  maxBackoffMs?: number;
  /** Also load the member join/leave streams of each partition (src/ingest/events.ts). Default true. */
  memberEvents?: boolean;
  /** Failed loads of one batch (for a reason of its own) before it is quarantined. Default 3. */
  maxAttempts?: number;
}

export interface IngestResult {
  /** Batches finished: loaded, found already loaded (duplicate) or empty. */
  batches: number;
  /** Rows COPYed into raw tables. */
  rows: number;
  /** Batches whose ledger row already existed: unlinked, not loaded. */
  duplicates: number;
  /** Fields skipped because they could not be decoded or their value is not a valid integer. */
  malformed: number;
  /** (family, partition) pairs skipped because another worker holds the lease. */
  skipped: number;
  /** Load attempts that failed for a reason of the batch (it stays for a retry, or was quarantined). */
  failed: number;
  /** Batches moved to quarantine in this cycle. */
  quarantined: number;
}

// Lease scripts: take or renew only if free or already ours; release only if ours.
const ACQUIRE_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** PostgreSQL answered (as opposed to a dead connection): other partitions may still load this cycle. */
function databaseAnswered(err: unknown): boolean {
  return err instanceof pg.DatabaseError;
}

export class Ingestor {
  readonly workerId: string;
  private readonly redis: RedisClient;
  private readonly pool: Pool;
  private readonly keys: Keys;
  private readonly partitions: number;
  private readonly families: FamilyName[];
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: Logger | undefined;
  private readonly held = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  /** Set while stop() waits: the cycle in progress ends after its current batch. */
  private halting = false;
  private consecutiveFailures = 0;
  private lastSuccess: number | undefined;
  private cycles = 0;
  private readonly memberEvents: MemberEventLoader | undefined;
  readonly quarantine: Quarantine;
  /** Batch keys this worker failed to load: their attempt count is cleared once they load. */
  private readonly retried = new Set<string>();
  private readonly roster: Roster;
  /** Leases this worker may hold: its fair share among the live workers (src/ingest/roster.ts). */
  private share = Number.POSITIVE_INFINITY;

  constructor(opts: IngestorOptions) {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1)
      throw new Error('partitions must be a positive integer');
    this.redis = opts.redis;
    this.pool = opts.pool;
    this.keys = opts.keys;
    this.partitions = opts.partitions;
    this.families = opts.families ?? FAMILY_NAMES;
    this.waitReplicas = opts.waitReplicas ?? 0;
    this.waitTimeoutMs = opts.waitTimeoutMs ?? 1_000;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.workerId = opts.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.log = opts.logger?.child({ component: 'ingest', workerId: this.workerId });
    this.roster = new Roster(this.redis, this.keys.ingestWorkers(), this.workerId, this.leaseMs);
    this.quarantine = new Quarantine({
      redis: this.redis,
      keys: this.keys,
      partitions: this.partitions,
      maxAttempts: opts.maxAttempts ?? 3,
      logger: this.log,
    });
    if (opts.memberEvents ?? true) {
      this.memberEvents = new MemberEventLoader({
        redis: this.redis,
        pool: this.pool,
        keys: this.keys,
        waitReplicas: this.waitReplicas,
        waitTimeoutMs: this.waitTimeoutMs,
        logger: this.log,
        quarantine: this.quarantine,
      });
    }
  }

  /** For /healthz: when the last cycle succeeded, how many failed in a row since, cycles finished. */
  status(): { lastSuccessAt: number | undefined; consecutiveFailures: number; leases: number; cycles: number } {
    return {
      lastSuccessAt: this.lastSuccess,
      consecutiveFailures: this.consecutiveFailures,
      leases: this.held.size,
      cycles: this.cycles,
    };
  }

  /** One cycle over every owned (family, partition). Cycles of one Ingestor never overlap. */
  runOnce(): Promise<IngestResult> {
    const next = this.chain.then(
      () => this.cycle(),
      () => this.cycle(),
    );
    this.chain = next.catch(() => {});
    return next;
  }

  start(intervalMs: number): void {
    if (this.started) throw new Error('Ingestor already started');
    this.started = true;
    this.stopping = undefined;
    const tick = async (): Promise<void> => {
      let delay = intervalMs;
      try {
        await this.runOnce();
      } catch {
        // runOnce logged and counted it; back off so a dead database is not hammered.
        delay = Math.min(intervalMs * 2 ** this.consecutiveFailures, Math.max(intervalMs, this.maxBackoffMs));
        this.log?.warn({ retryInMs: delay, failures: this.consecutiveFailures }, 'ingest cycle failed; backing off');
      }
      if (this.started) this.timer = setTimeout(() => void tick(), delay);
    };
    this.timer = setTimeout(() => void tick(), 0);
    // Keep our partitions between cycles and during long loads.
    this.renewTimer = setInterval(() => void this.renewAll(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  /** Stops the loop after the batch in progress, then releases the leases. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.started = false;
      this.halting = true;
      clearTimeout(this.timer);
      clearInterval(this.renewTimer);
      await this.chain;
      // The loop may have scheduled one more tick while we awaited.
      clearTimeout(this.timer);
      await Promise.allSettled([...this.held].map((k) => this.redis.eval(RELEASE_LUA, 1, k, this.workerId)));
      this.held.clear();
      await this.roster.leave().catch(() => {});
      this.halting = false;
    })();
    return this.stopping;
  }

  private async cycle(): Promise<IngestResult> {
    const total: IngestResult = {
      batches: 0,
      rows: 0,
      duplicates: 0,
      malformed: 0,
      skipped: 0,
      failed: 0,
      quarantined: 0,
    };
    const errors: unknown[] = [];
    await this.takeShare();
    outer: for (const family of this.families) {
      for (let p = 0; p < this.partitions; p++) {
        if (this.halting) break outer;
        try {
          await this.partition(family, p, total);
        } catch (err) {
          errors.push(err);
          ingestErrors.inc();
          this.log?.error({ err, family, partition: p }, 'ingest failed; batch kept for the next cycle');
          // A broken connection fails every partition the same way: stop here and let backoff work.
          if (!databaseAnswered(err)) break outer;
        }
      }
    }
    // Member join/leave streams: same rotation, ledger and lease discipline, loaded by their own module.
    const broken = errors.some((e) => !databaseAnswered(e));
    for (let p = 0; this.memberEvents && !broken && p < this.partitions && !this.halting; p++) {
      try {
        await this.memberEventPartition(p, total);
      } catch (err) {
        errors.push(err);
        ingestErrors.inc();
        this.log?.error({ err, family: MEMBER_EVENTS, partition: p }, 'ingest failed; batch kept for the next cycle');
        if (!databaseAnswered(err)) break;
      }
    }
    this.cycles++;
    // One pipelined HLEN per partition: the gauge follows replays and drops made with the tool too.
    if (!broken) await this.quarantine.refreshGauge().catch(() => {});
    if (errors.length > 0) {
      this.consecutiveFailures++;
      throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} ingest failures`);
    }
    this.consecutiveFailures = 0;
    this.lastSuccess = Date.now();
    return total;
  }

  private leaseKey(family: FamilyName, partition: number): string {
    // Keys.lease is per partition; a worker may serve only some families, so the lease is per family too.
    return `${this.keys.lease(partition)}:${family}`;
  }

  /** Heartbeat, then hand back leases above our fair share (the most recently taken first). */
  private async takeShare(): Promise<void> {
    const leases = (this.families.length + (this.memberEvents ? 1 : 0)) * this.partitions;
    this.share = await this.roster.share(leases);
    for (const key of [...this.held].reverse()) {
      if (this.held.size <= this.share) break;
      this.held.delete(key);
      await this.redis.eval(RELEASE_LUA, 1, key, this.workerId);
    }
  }

  private async acquire(key: string): Promise<boolean> {
    if (!this.held.has(key) && this.held.size >= this.share) return false;
    const ok = (await this.redis.eval(ACQUIRE_LUA, 1, key, this.workerId, String(this.leaseMs))) === 1;
    if (ok) this.held.add(key);
    else if (this.held.delete(key)) this.log?.warn({ lease: key }, 'lease lost to another worker');
    return ok;
  }

  private async renewAll(): Promise<void> {
    await this.roster.heartbeat().catch(() => {});
    for (const key of [...this.held]) {
      try {
        await this.acquire(key);
      } catch {
        // Redis down: the next cycle reports it.
      }
    }
  }

  private async partition(family: FamilyName, p: number, total: IngestResult): Promise<void> {
    const lease = this.leaseKey(family, p);
    if (!(await this.acquire(lease))) {
      total.skipped++;
      return;
    }
    const spec = FAMILIES[family];
    // (a) leftovers first: they are older than anything in the live hash.
    const pending = await this.scanBatches(family, p);
    // (b) rotate under a name never used before: the row hash (CounterWriter) and the counter hash (timed
    // sessions, shards of the previous release).
    for (const [live, batchKey] of [
      [this.keys.liveRows(family, p), this.keys.rowBatch(family, p, Keys.newBatchId())],
      [this.keys.live(family, p), this.keys.batch(family, p, Keys.newBatchId())],
    ] as const) {
      try {
        await this.redis.rename(live, batchKey);
        pending.push(batchKey);
      } catch (err) {
        if (!/no such key/i.test((err as Error).message)) throw err;
      }
    }
    if (pending.length === 0) return;
    // (c) replicas must hold the rotation (and any earlier unlink) before we load.
    if (this.waitReplicas > 0) {
      const acked = await waitReplicas(this.redis, this.keys.live(family, p), this.waitReplicas, this.waitTimeoutMs);
      if (acked < this.waitReplicas) {
        throw new Error(`only ${acked} of ${this.waitReplicas} replicas acknowledged within ${this.waitTimeoutMs} ms`);
      }
    }
    for (const key of pending) {
      if (this.halting) return;
      // Renew per batch so a long backlog does not outlive the lease; a lost lease ends our turn.
      if (!(await this.acquire(lease))) return;
      try {
        await this.loadBatch(spec, family, p, key, total);
      } catch (err) {
        // Only a failure of this batch's own data lets the turn go on to the next batch.
        if (!isBatchSpecific(err)) throw err;
        total.failed++;
        const outcome = await this.quarantine.failed(family, p, key, err);
        if (outcome === 'quarantined') {
          total.quarantined++;
          this.retried.delete(key);
        } else this.retried.add(key);
      }
    }
  }

  private async memberEventPartition(p: number, total: IngestResult): Promise<void> {
    const lease = `${this.keys.lease(p)}:${MEMBER_EVENTS}`;
    if (!(await this.acquire(lease))) {
      total.skipped++;
      return;
    }
    await this.memberEvents!.runPartition(
      p,
      total,
      async () => !this.halting && (await this.acquire(lease)),
      this.retried,
    );
  }

  private async scanBatches(family: FamilyName, p: number): Promise<string[]> {
    // Batch ids start with a base-36 timestamp: oldest first, whichever layout.
    const keys = [
      ...(await scanKeys(this.redis, this.keys.rowBatchPattern(family, p))),
      ...(await scanKeys(this.redis, this.keys.batchPattern(family, p))),
    ];
    const id = new Map(keys.map((k) => [k, Keys.batchIdOf(k)]));
    return keys.sort((a, b) => (id.get(a)! < id.get(b)! ? -1 : id.get(a)! > id.get(b)! ? 1 : 0));
  }

  private async loadBatch(
    spec: FamilySpec,
    family: FamilyName,
    p: number,
    key: string,
    total: IngestResult,
  ): Promise<void> {
    const endTimer = ingestDuration.startTimer({ family });
    const batchId = Keys.batchIdOf(key);
    const t0 = performance.now();
    const read: BatchRead = { malformed: 0, samples: [] };
    const pages = batchPages(this.redis, spec, key, read);
    // Opted-out members (src/privacy.ts): increments still in Redis when they opted out never land. One
    // query per page, for the guilds not asked about yet.
    const optedOut = new Set<string>();
    const asked = new Set<string>();
    const userDim = spec.dims.indexOf('user_id');
    const tracked = async (rows: RawRow[]): Promise<RawRow[]> => {
      const fresh = new Set<string>();
      for (const r of rows) if (!asked.has(r.dims[0]!)) fresh.add(r.dims[0]!);
      if (fresh.size > 0) {
        for (const k of await optedOutIn(this.pool, [...fresh])) optedOut.add(k);
        for (const g of fresh) asked.add(g);
      }
      return optedOut.size === 0 ? rows : rows.filter((r) => !optedOut.has(memberKey(r.dims[0]!, r.dims[userDim]!)));
    };
    const first = await pages.next();
    const firstPage = first.done ? { rows: [], last: true } : first.value;
    const firstRows = await tracked(firstPage.rows);
    const logMalformed = (): void => {
      total.malformed += read.malformed;
      if (read.malformed > 0)
        this.log?.warn(
          { batch: key, malformed: read.malformed, samples: read.samples },
          'skipped malformed counter fields',
        );
    };

    let outcome: 'loaded' | 'duplicate' | 'empty';
    let loaded = 0;
    let readMs = 0;
    if (firstPage.last) {
      // The whole batch was one page: its rows are known before the transaction opens.
      readMs = performance.now() - t0;
      logMalformed();
      loaded = firstRows.length;
      outcome =
        loaded === 0
          ? 'empty'
          : await loadWithLedger(this.pool, {
              batchId,
              family,
              partition: p,
              rows: loaded,
              copySql: copySql(spec),
              chunks: copyChunks(firstRows),
              also: () => botAuthors(spec, firstRows),
            });
    } else {
      // Several pages: each page's rows are COPYed while the next page is read and decoded. The bot
      // authors and the row count are known once the COPY has read the last page, in the same transaction.
      const bots: RawRow[] = [];
      const mark = spec.marks?.indexOf('bot') ?? -1;
      async function* chunks(): AsyncGenerator<string> {
        let rows = firstRows;
        for (;;) {
          loaded += rows.length;
          if (mark >= 0) for (const r of rows) if (r.marks[mark] === '1') bots.push(r);
          yield* copyChunks(rows);
          const next = await pages.next();
          if (next.done) break;
          rows = await tracked(next.value.rows);
        }
      }
      outcome = await loadWithLedger(this.pool, {
        batchId,
        family,
        partition: p,
        copySql: copySql(spec),
        chunks: chunks(),
        also: () => botAuthors(spec, bots),
      });
      logMalformed();
    }

    if (outcome === 'empty') {
      await this.redis.unlink(key);
      ingestBatches.inc({ family, outcome: 'empty' });
      total.batches++;
      endTimer();
      return;
    }

    // (f) Committed (or committed before): the batch key may go. If UNLINK fails, the next cycle finds
    // the ledger row and unlinks then.
    await this.redis.unlink(key);
    if (this.retried.delete(key)) await this.quarantine.loaded(p, key);
    total.batches++;
    if (outcome === 'duplicate') {
      total.duplicates++;
      ingestBatches.inc({ family, outcome: 'duplicate' });
      this.log?.warn({ batchId, family, partition: p }, 'batch was already loaded; unlinked without loading again');
    } else {
      total.rows += loaded;
      ingestBatches.inc({ family, outcome: 'loaded' });
      ingestRows.inc({ family }, loaded);
      this.log?.debug(
        {
          batchId,
          family,
          partition: p,
          rows: loaded,
          // A streamed batch's read overlaps its load: only the total is its own.
          ...(readMs > 0 ? { readMs: Math.round(readMs) } : {}),
          totalMs: Math.round(performance.now() - t0),
        },
        'batch loaded',
      );
    }
    endTimer();
  }
}
