// Member join/leave events: their loader (the stream format is src/member-events.ts). Events are rows, not counters,
// but they travel the same way (docs/architecture.md, invariant 1): per partition, the stream is rotated by RENAME
// to a batch key never used before, read with XRANGE, COPYed into member_events in the same transaction
// as its ingest_ledger row (family 'member_events'), and UNLINKed only after commit. Leftover batches are
// finished first; a batch whose ledger row exists is unlinked, never loaded twice.
import type { Pool } from '../db/pool.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { ingestBatches, ingestDuration, ingestRows } from '../metrics.js';
import { scanKeys, waitReplicas, type RedisClient } from '../redis.js';
import { loadWithLedger } from './ledger.js';
import { memberKey, optedOutIn } from '../privacy.js';
import { MEMBER_EVENTS, decodeMemberEvent, type MemberEvent } from '../member-events.js';
import { isBatchSpecific, type Quarantine } from './quarantine.js';

export interface EventLoadResult {
  batches: number;
  rows: number;
  duplicates: number;
  malformed: number;
  failed: number;
  quarantined: number;
}

export interface MemberEventLoaderOptions {
  redis: RedisClient;
  pool: Pool;
  keys: Keys;
  waitReplicas?: number;
  waitTimeoutMs?: number;
  logger?: Logger;
  /** Where batches that keep failing for a reason of their own go (src/ingest/quarantine.ts). */
  quarantine?: Quarantine;
}

const XRANGE_COUNT = 10_000;
const COPY_CHUNK_ROWS = 512;
const COLUMNS = 'at, guild_id, user_id, kind, attribution, inviter_id, invite_code, account_created_at, bot';

export class MemberEventLoader {
  constructor(private readonly o: MemberEventLoaderOptions) {}

  /**
   * One partition: leftover batches first (oldest first), then the rotated stream. `proceed` is asked
   * before each batch (the caller renews its lease and checks for shutdown there); false ends the turn.
   * A batch PostgreSQL refuses is counted towards quarantine and the next batch goes on; `retried` holds
   * the keys that failed before (their attempt count is cleared once they load).
   */
  async runPartition(
    p: number,
    total: EventLoadResult,
    proceed: () => Promise<boolean> = async () => true,
    retried = new Set<string>(),
  ): Promise<void> {
    const { redis, keys } = this.o;
    const pending = await this.scanBatches(p);
    const batchKey = keys.batch(MEMBER_EVENTS, p, Keys.newBatchId());
    try {
      await redis.rename(keys.memberEvents(p), batchKey);
      pending.push(batchKey);
    } catch (err) {
      if (!/no such key/i.test((err as Error).message)) throw err;
    }
    if (pending.length === 0) return;
    const replicas = this.o.waitReplicas ?? 0;
    if (replicas > 0) {
      const timeout = this.o.waitTimeoutMs ?? 1_000;
      const acked = await waitReplicas(redis, keys.memberEvents(p), replicas, timeout);
      if (acked < replicas) throw new Error(`only ${acked} of ${replicas} replicas acknowledged within ${timeout} ms`);
    }
    for (const key of pending) {
      if (!(await proceed())) return;
      try {
        await this.loadBatch(p, key, total);
        if (retried.delete(key)) await this.o.quarantine?.loaded(p, key);
      } catch (err) {
        if (!this.o.quarantine || !isBatchSpecific(err)) throw err;
        total.failed++;
        const outcome = await this.o.quarantine.failed(MEMBER_EVENTS, p, key, err);
        if (outcome === 'quarantined') {
          total.quarantined++;
          retried.delete(key);
        } else retried.add(key);
      }
    }
  }

  private async scanBatches(p: number): Promise<string[]> {
    // Batch ids start with a base-36 timestamp: oldest first.
    return (await scanKeys(this.o.redis, this.o.keys.batchPattern(MEMBER_EVENTS, p))).sort();
  }

  /** XRANGE in pages: a batch key is immutable, so paging by exclusive start id sees every entry once. */
  private async readBatch(key: string): Promise<{ events: MemberEvent[]; malformed: number }> {
    const events: MemberEvent[] = [];
    let malformed = 0;
    const samples: string[] = [];
    let start = '-';
    for (;;) {
      const page = await this.o.redis.xrange(key, start, '+', 'COUNT', XRANGE_COUNT);
      for (const [id, fields] of page) {
        const e = decodeMemberEvent(fields);
        if (e) events.push(e);
        else {
          malformed++;
          if (samples.length < 5) samples.push(`${id} ${fields.join(' ').slice(0, 160)}`);
        }
      }
      if (page.length < XRANGE_COUNT) break;
      start = `(${page[page.length - 1]![0]}`;
    }
    if (malformed > 0) this.o.logger?.warn({ batch: key, malformed, samples }, 'skipped malformed member events');
    return { events, malformed };
  }

  private async loadBatch(p: number, key: string, total: EventLoadResult): Promise<void> {
    const endTimer = ingestDuration.startTimer({ family: MEMBER_EVENTS });
    const batchId = Keys.batchIdOf(key);
    const read = await this.readBatch(key);
    const { malformed } = read;
    // Opted-out members' joins and leaves never land, nor do they appear as anyone's inviter (src/privacy.ts).
    const optedOut = await optedOutIn(this.o.pool, [...new Set(read.events.map((e) => e.guildId))]);
    const events =
      optedOut.size === 0
        ? read.events
        : read.events
            .filter((e) => !optedOut.has(memberKey(e.guildId, e.userId)))
            .map((e) =>
              e.inviterId && optedOut.has(memberKey(e.guildId, e.inviterId)) ? { ...e, inviterId: null } : e,
            );
    total.malformed += malformed;
    if (events.length === 0) {
      await this.o.redis.unlink(key);
      ingestBatches.inc({ family: MEMBER_EVENTS, outcome: 'empty' });
      total.batches++;
      endTimer();
      return;
    }
    const duplicate =
      (await loadWithLedger(this.o.pool, {
        batchId,
        family: MEMBER_EVENTS,
        partition: p,
        rows: events.length,
        copySql: `COPY member_events (${COLUMNS}) FROM STDIN`,
        chunks: copyChunks(events),
      })) === 'duplicate';
    // Committed (now or before): the batch key may go. A failed UNLINK is retried as a duplicate next cycle.
    await this.o.redis.unlink(key);
    total.batches++;
    if (duplicate) {
      total.duplicates++;
      ingestBatches.inc({ family: MEMBER_EVENTS, outcome: 'duplicate' });
      this.o.logger?.warn(
        { batchId, family: MEMBER_EVENTS, partition: p },
        'batch was already loaded; unlinked without loading again',
      );
    } else {
      total.rows += events.length;
      ingestBatches.inc({ family: MEMBER_EVENTS, outcome: 'loaded' });
      ingestRows.inc({ family: MEMBER_EVENTS }, events.length);
    }
    endTimer();
  }
}

/** COPY text rows; decodeMemberEvent guarantees nothing needs escaping. */
function* copyChunks(events: MemberEvent[]): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const e of events) {
    chunk +=
      [
        new Date(e.at).toISOString(),
        e.guildId,
        e.userId,
        e.kind,
        e.attribution ?? '\\N',
        e.inviterId ?? '\\N',
        e.inviteCode ?? '\\N',
        new Date(e.accountCreatedAt).toISOString(),
        e.bot ? 't' : 'f',
      ].join('\t') + '\n';
    if (++n === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk !== '') yield chunk;
}
