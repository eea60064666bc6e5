// Privacy (docs/architecture.md, invariant 5): members who opted out of tracking, and deletion of a member's data.
//
// Opt-outs are per guild and member. PostgreSQL (privacy_opt_outs) is the record; a Redis set mirrors it
// so a shard process starts without Postgres (invariant 4), and a pub/sub message tells every process at
// once. Collectors ask `tracked(guild, user)`: a synchronous Set lookup on the event path. The ingest
// worker reads the table inside each load transaction (optedOutIn), so increments that were already in
// Redis when the member opted out are dropped rather than loaded.
import { FAMILIES, FAMILY_NAMES, rollupsOf } from './families.js';
import type { RedisClient } from './redis.js';
import { withTransaction, type Pool, type Queryable } from './db/pool.js';
import type { Logger } from './logger.js';

const key = (guildId: string, userId: string) => `${guildId}|${userId}`;

export function optOutSetKey(prefix: string): string {
  return `${prefix}:privacy:opt-outs`;
}

export function optOutChannel(prefix: string): string {
  return `${prefix}:privacy`;
}

/** What collectors need: is this member counted? */
export interface Tracking {
  tracked(guildId: string, userId: string): boolean;
}

export class OptOutStore implements Tracking {
  private readonly set = new Set<string>();
  private subscriber: RedisClient | undefined;
  private readonly listeners: ((guildId: string, userId: string) => void)[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  tracked(guildId: string, userId: string): boolean {
    return this.set.size === 0 || !this.set.has(key(guildId, userId));
  }

  get size(): number {
    return this.set.size;
  }

  /** Called in this process whenever a member opts out (e.g. to close their open voice session). */
  onOptOut(listener: (guildId: string, userId: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Fills the cache from the Redis set; when the set is missing (Redis was emptied) it is rebuilt from
   * Postgres, the record. Opt-outs are few: one SMEMBERS per process start.
   */
  async load(): Promise<void> {
    const setKey = optOutSetKey(this.prefix);
    let members = await this.redis.smembers(setKey);
    if (members.length === 0) {
      const { rows } = await this.db.query<{ k: string }>(
        `SELECT guild_id::text || '|' || user_id::text AS k FROM privacy_opt_outs`,
      );
      members = rows.map((r) => r.k);
      if (members.length > 0) await this.redis.sadd(setKey, ...members);
    }
    for (const m of members) this.set.add(m);
  }

  /** Listens for opt-outs and opt-ins made by any process; a dedicated connection, as pub/sub requires. */
  async subscribe(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err) => this.logger.warn({ err: err.message }, 'privacy subscriber connection error'));
    this.subscriber.on('message', (_channel, message: string) => {
      const [op, guildId, userId] = message.split('|');
      if (!guildId || !userId) return;
      if (op === 'out') this.applyOut(guildId, userId);
      else if (op === 'in') this.set.delete(key(guildId, userId));
    });
    await this.subscriber.subscribe(optOutChannel(this.prefix));
  }

  private applyOut(guildId: string, userId: string): void {
    const k = key(guildId, userId);
    if (this.set.has(k)) return;
    this.set.add(k);
    for (const l of this.listeners) {
      try {
        l(guildId, userId);
      } catch (err) {
        this.logger.warn({ err }, 'opt-out listener failed');
      }
    }
  }

  /** Stops tracking the member everywhere: this process at once, the others on the pub/sub message. */
  async optOut(guildId: string, userId: string): Promise<boolean> {
    const { rowCount } = (await this.db.query(
      'INSERT INTO privacy_opt_outs (guild_id, user_id) VALUES ($1::bigint, $2::bigint) ON CONFLICT DO NOTHING',
      [guildId, userId],
    )) as { rowCount?: number | null };
    this.applyOut(guildId, userId);
    await this.redis.sadd(optOutSetKey(this.prefix), key(guildId, userId));
    await this.redis.publish(optOutChannel(this.prefix), `out|${guildId}|${userId}`);
    return (rowCount ?? 0) > 0;
  }

  /** Resumes tracking from now on. */
  async optIn(guildId: string, userId: string): Promise<boolean> {
    const { rowCount } = (await this.db.query(
      'DELETE FROM privacy_opt_outs WHERE guild_id = $1::bigint AND user_id = $2::bigint',
      [guildId, userId],
    )) as {
      rowCount?: number | null;
    };
    this.set.delete(key(guildId, userId));
    await this.redis.srem(optOutSetKey(this.prefix), key(guildId, userId));
    await this.redis.publish(optOutChannel(this.prefix), `in|${guildId}|${userId}`);
    return (rowCount ?? 0) > 0;
  }

  /** Postgres's answer, for a member asking about their own state. */
  async isOptedOut(guildId: string, userId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      'SELECT 1 FROM privacy_opt_outs WHERE guild_id = $1::bigint AND user_id = $2::bigint',
      [guildId, userId],
    );
    return rows.length > 0;
  }

  close(): void {
    this.subscriber?.disconnect();
  }
}

/**
 * The opted-out members among these guilds, as `guild|user`, read by the ingest worker in its load
 * transaction. Empty (one indexed lookup) in the common case.
 */
export async function optedOutIn(db: Queryable, guildIds: string[]): Promise<Set<string>> {
  if (guildIds.length === 0) return new Set();
  const { rows } = await db.query<{ k: string }>(
    `SELECT guild_id::text || '|' || user_id::text AS k FROM privacy_opt_outs WHERE guild_id = ANY ($1::bigint[])`,
    [guildIds],
  );
  return new Set(rows.map((r) => r.k));
}

export { key as memberKey };

/**
 * Raw tables holding per-member rows (user_id): every family's (src/families.ts), with its rollups in
 * refresh order. Being mentioned is about the member too: mentions of them go with their own. One
 * statement for both: as two DELETEs, TimescaleDB 2.23 left mentions of the member in compressed chunks
 * (test/timescale.test.ts).
 */
export const MEMBER_TABLES: readonly { table: string; rollups: readonly string[]; member?: string }[] =
  FAMILY_NAMES.map((name) => ({
    table: FAMILIES[name].table,
    rollups: rollupsOf(FAMILIES[name]),
    ...(name === 'mentions'
      ? { member: "(user_id = $2::bigint OR (target_id = $2::bigint AND kind = 'member'))" }
      : {}),
  }));

export interface DeletionReport {
  /** Rows deleted per table (raw tables and member_events). */
  deleted: Record<string, number>;
  /** member_events rows where the member was the inviter, inviter now null. */
  inviterCleared: number;
  /** Continuous aggregates refreshed (TimescaleDB only). */
  refreshed: string[];
}

/** Runs `fn` in one transaction: pgTransaction for a pg Pool; PGlite's own `transaction` fits as is. */
export type Transaction = <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;

export function pgTransaction(pool: Pool): Transaction {
  return (fn) => withTransaction(pool, fn);
}

/**
 * Deletes a member's rows from every raw table and member_events in one transaction, and clears them as
 * inviter. Plain PostgreSQL's rollups are tables kept by triggers in the same transaction (sql/015); on TimescaleDB the continuous
 * aggregates over the affected ranges are refreshed afterwards (refresh_continuous_aggregate cannot run
 * inside a transaction), hourly before daily (daily aggregates the hourly one).
 */
export async function deleteMemberData(
  db: Queryable,
  transaction: Transaction,
  guildId: string,
  userId: string,
): Promise<DeletionReport> {
  const ranges: { rollups: readonly string[]; from: string; to: string }[] = [];
  const count = async (tx: Queryable, sql: string) =>
    Number((await tx.query<{ n: string }>(sql, [guildId, userId])).rows[0]!.n);
  const { deleted, inviterCleared } = await transaction(async (tx) => {
    const deleted: Record<string, number> = {};
    for (const t of MEMBER_TABLES) {
      // Table names come from the constant list above, never from input.
      const { rows } = await tx.query<{ n: string; lo: string | null; hi: string | null }>(
        `WITH d AS (DELETE FROM ${t.table} WHERE guild_id = $1::bigint AND ${t.member ?? 'user_id = $2::bigint'} RETURNING bucket)
         SELECT count(*)::text AS n, min(bucket)::text AS lo, max(bucket)::text AS hi FROM d`,
        [guildId, userId],
      );
      const r = rows[0]!;
      deleted[t.table] = Number(r.n);
      if (r.lo && r.hi) ranges.push({ rollups: t.rollups, from: r.lo, to: r.hi });
    }
    deleted.member_events = await count(
      tx,
      'WITH d AS (DELETE FROM member_events WHERE guild_id = $1::bigint AND user_id = $2::bigint RETURNING 1) SELECT count(*)::text AS n FROM d',
    );
    // A bot author's record (bot_authors) goes too; it only ever holds bots, so this is for completeness.
    await tx.query('DELETE FROM bot_authors WHERE guild_id = $1::bigint AND user_id = $2::bigint', [guildId, userId]);
    // Their display name and roles (sql/030); the opt-out that comes with deletion keeps them from coming back.
    deleted.guild_members = await count(
      tx,
      'WITH d AS (DELETE FROM guild_members WHERE guild_id = $1::bigint AND user_id = $2::bigint RETURNING 1) SELECT count(*)::text AS n FROM d',
    );
    await tx.query('DELETE FROM member_roles WHERE guild_id = $1::bigint AND user_id = $2::bigint', [guildId, userId]);
    const inviterCleared = await count(
      tx,
      'WITH d AS (UPDATE member_events SET inviter_id = NULL WHERE guild_id = $1::bigint AND inviter_id = $2::bigint RETURNING 1) SELECT count(*)::text AS n FROM d',
    );
    return { deleted, inviterCleared };
  });

  const refreshed = await refreshRollups(db, ranges);
  return { deleted, inviterCleared, refreshed };
}

/**
 * Brings TimescaleDB's continuous aggregates up to date over ranges of changed raw rows (a deletion, or rows
 * loaded into the past by a backfill, outside the refresh policies' windows); nothing on plain PostgreSQL,
 * whose rollups change with the rows (sql/015). Returns the aggregates refreshed.
 */
export async function refreshRollups(
  db: Queryable,
  ranges: readonly { rollups: readonly string[]; from: string; to: string }[],
): Promise<string[]> {
  const refreshed: string[] = [];
  const caggs = await continuousAggregates(db);
  for (const r of ranges) {
    for (const view of r.rollups) {
      if (!caggs.has(view)) continue;
      // Whole buckets around the deleted range: a refresh only recomputes buckets inside its window (whole
      // hours cover quarter-hours too). The window also reaches back to the aggregate's watermark when that
      // lies before the range: a refresh moves the watermark to its end, and real-time answers only cover
      // what is above it, so buckets between the old watermark and the range, never materialized, would
      // drop out of every answer (the rule 012 and 016 follow). Nothing materialized yet: from the start.
      const unit = view.endsWith('_daily') ? 'day' : 'hour';
      const { rows } = await db.query<{ wm: string | null }>(
        `SELECT CASE WHEN t < '1900-01-01' THEN NULL ELSE t END::text AS wm
           FROM (SELECT _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(mat_hypertable_id)) AS t
                   FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = $1) AS w`,
        [view],
      );
      const watermark = rows[0]?.wm ?? null;
      await db.query(
        `CALL refresh_continuous_aggregate($1::text::regclass,
           CASE WHEN $5::timestamptz IS NULL THEN NULL ELSE least($5::timestamptz, date_trunc($2, $3::timestamptz, 'UTC')) END,
           date_trunc($2, $4::timestamptz, 'UTC') + ('1 ' || $2)::interval)`,
        [view, unit, r.from, r.to, watermark],
      );
      refreshed.push(view);
    }
  }
  return refreshed;
}

/** Names of the continuous aggregates in this database (none on plain PostgreSQL). */
async function continuousAggregates(db: Queryable): Promise<Set<string>> {
  const { rows: ext } = await db.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (ext.length === 0) return new Set();
  const { rows } = await db.query<{ view_name: string }>(
    'SELECT view_name::text AS view_name FROM timescaledb_information.continuous_aggregates',
  );
  return new Set(rows.map((r) => r.view_name));
}

/**
 * Drops the items of opted-out members (ingest, at load time). One query per batch; nothing is copied
 * when nobody in the batch's guilds opted out.
 */
export async function dropOptedOut<T>(
  db: Queryable,
  items: T[],
  guildOf: (t: T) => string,
  userOf: (t: T) => string,
): Promise<T[]> {
  if (items.length === 0) return items;
  const out = await optedOutIn(db, [...new Set(items.map(guildOf))]);
  if (out.size === 0) return items;
  return items.filter((t) => !out.has(key(guildOf(t), userOf(t))));
}
