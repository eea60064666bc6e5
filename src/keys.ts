// The keys of the counting path (live hashes, batches, sessions, member-event streams, quarantine, ingest
// leases) and of interaction dedup are built here. Keys of one partition share a hash tag `{p<N>}` so that
// RENAME of a live hash to its batch key stays within one slot on a Redis Cluster, and partitions can be
// spread over several ingest workers. Keys outside the partitions are built, under the same prefix, by the
// module that owns them: settings.ts (settings channel), privacy.ts (opt-outs), redis-reset.ts (sentinel),
// shard/identify-throttler.ts (identify grants) and web/sessions.ts (dashboard sessions).
import { randomUUID } from 'node:crypto';

/** Partition of a guild: FNV-1a of its id, so guilds spread evenly whatever their snowflake bits. */
export function partitionOf(guildId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < guildId.length; i++) {
    h ^= guildId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export class Keys {
  constructor(readonly prefix: string) {}

  private tag(partition: number): string {
    return `${this.prefix}:{p${partition}}`;
  }

  /** The hash shards increment into. */
  live(family: string, partition: number): string {
    return `${this.tag(partition)}:${family}:live`;
  }

  /** A rotated, immutable hash awaiting load. The id is unique per rotation: names are never reused. */
  batch(family: string, partition: number, batchId: string): string {
    return `${this.tag(partition)}:${family}:batch:${batchId}`;
  }

  /** SCAN pattern for leftover batch keys of one family and partition. */
  batchPattern(family: string, partition: number): string {
    // `{` and `}` are not glob metacharacters, `[`/`]` would be: the tag uses braces only.
    return `${this.tag(partition)}:${family}:batch:*`;
  }

  /**
   * The hash CounterWriter adds counter rows to (the row layout, src/families.ts encodeField). A key of its
   * own, beside `live` (where timed sessions and shards of the previous release write one counter per
   * field): an ingest worker of the previous release reads only `live` and `batch`, so during a rolling
   * deploy it never meets a row field it would take for malformed; rows wait here for a current worker.
   */
  liveRows(family: string, partition: number): string {
    return `${this.tag(partition)}:${family}:rows`;
  }

  /** A rotated `liveRows` hash; batch ids are shared with `batch` (unique per rotation). */
  rowBatch(family: string, partition: number, batchId: string): string {
    return `${this.tag(partition)}:${family}:rows:batch:${batchId}`;
  }

  /** SCAN pattern for leftover row batches; `batchPattern` does not match them. */
  rowBatchPattern(family: string, partition: number): string {
    return `${this.tag(partition)}:${family}:rows:batch:*`;
  }

  /** Open timed sessions (voice, activities) of a partition's guilds; same tag as `live`, so one script updates both. */
  sessions(family: string, partition: number): string {
    return `${this.tag(partition)}:${family}:sessions`;
  }

  /** Invite snapshot of one guild: hash code -> `uses|max_uses|inviter|expires_ms` (see src/shard/invites). */
  inviteSnapshot(guildId: string, partition: number): string {
    return `${this.tag(partition)}:invites:${guildId}`;
  }

  /** Stream of member join/leave events of one partition; rotated like a live hash (batch('member_events', ...)). */
  memberEvents(partition: number): string {
    return this.live('member_events', partition);
  }

  /** A batch the ingest worker gave up on (src/ingest/quarantine.ts), under its batch id; same tag as the batch. */
  quarantined(family: string, partition: number, batchId: string): string {
    return `${this.tag(partition)}:${family}:quarantine:${batchId}`;
  }

  /** Per partition: batch id -> JSON record (family, error, attempts, time) of each quarantined batch. */
  quarantineIndex(partition: number): string {
    return `${this.tag(partition)}:quarantine`;
  }

  /** Per partition: batch id -> failed load attempts so far (shared by every ingest worker). */
  ingestAttempts(partition: number): string {
    return `${this.tag(partition)}:ingest:attempts`;
  }

  /** Lease that makes one ingest worker the owner of a partition at a time. */
  lease(partition: number): string {
    return `${this.tag(partition)}:lease`;
  }

  /**
   * Per guild: channel id -> id of the first message the gateway delivered there, and '*' -> a snowflake
   * of when a shard first saw the guild. A backfill reads only older messages (src/shard/backfill).
   */
  backfillCut(guildId: string, partition: number): string {
    return `${this.tag(partition)}:backfill:cut:${guildId}`;
  }

  /** Roster of live ingest workers (src/ingest/roster.ts); one key of its own, touched alone. */
  ingestWorkers(): string {
    return `${this.prefix}:ingest:workers`;
  }

  static newBatchId(): string {
    return `${Date.now().toString(36)}-${randomUUID()}`;
  }

  static batchIdOf(batchKey: string): string {
    const i = batchKey.lastIndexOf(':batch:');
    if (i < 0) throw new Error(`not a batch key: ${batchKey}`);
    return batchKey.slice(i + ':batch:'.length);
  }

  /** An interaction id the interactions service has received (replay protection across replicas). */
  interactionSeen(interactionId: string): string {
    return `${this.prefix}:interaction:${interactionId}`;
  }
}
