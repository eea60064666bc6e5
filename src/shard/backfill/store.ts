// The runner's side of sql/045: leases on jobs, channel cursors, and the page commit that loads a page's
// rows in the same transaction as its cursor advance (the exactly-once step of a backfill).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Pool } from '../../db/pool.js';
import { FAMILIES, type FamilyName } from '../../families.js';
import { botAuthors, copyChunks, copySql, type RawRow } from '../../raw-rows.js';

export class LostLease extends Error {
  override name = 'LostLease';
}

export interface ChannelRow {
  channelId: string;
  parentId: string;
  cutId: string;
  cursorId: string | null;
  state: 'pending' | 'done' | 'skipped';
}

export interface PageCommit {
  guildId: string;
  channelId: string;
  owner: string;
  leaseMs: number;
  /** The cursor this page was read from (null: the channel's first page); the commit fails if it moved. */
  prevCursor: string | null;
  /** Oldest id of the page (the next page reads before it); prevCursor when the page was empty. */
  cursor: string | null;
  done: boolean;
  exhausted: boolean;
  read: number;
  loaded: number;
  rows: [FamilyName, RawRow[]][];
}

export class BackfillStore {
  constructor(private readonly pool: Pool) {}

  /** Queued or running jobs among `guildIds` whose lease is free, oldest request first. */
  async claimable(guildIds: string[], limit = 100): Promise<string[]> {
    if (guildIds.length === 0) return [];
    const { rows } = await this.pool.query<{ guild_id: string }>(
      `SELECT guild_id::text FROM backfill_jobs WHERE guild_id = ANY($1::bigint[]) AND state IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now())
        ORDER BY requested_at LIMIT $2`,
      [guildIds, limit],
    );
    return rows.map((r) => r.guild_id);
  }

  /**
   * Takes the job's lease if it is free (or already ours). Fixes the depth when the job first starts.
   * Returns the depth and whether the job was fresh (queued) rather than resumed, or undefined.
   */
  async acquire(
    guildId: string,
    owner: string,
    leaseMs: number,
    days: number,
  ): Promise<{ since: Date; fresh: boolean } | undefined> {
    const { rows } = await this.pool.query<{ since: Date; fresh: boolean }>(
      `WITH old AS (SELECT state FROM backfill_jobs WHERE guild_id = $1::bigint FOR UPDATE)
       UPDATE backfill_jobs SET lease_owner = $2, lease_until = now() + $3::int * interval '1 millisecond', state = 'running',
              started_at = coalesce(started_at, now()), days = coalesce(days, $4::int), since = coalesce(since, now() - $4::int * interval '1 day')
        WHERE guild_id = $1::bigint AND state IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2)
        RETURNING since, (SELECT state FROM old) = 'queued' AS fresh`,
      [guildId, owner, leaseMs, days],
    );
    return rows[0];
  }

  /** A fresh job: every channel not exhausted is read again from its cursor; skipped ones are retried. */
  async reopenChannels(guildId: string): Promise<void> {
    await this.pool.query(
      `UPDATE backfill_channels SET state = CASE WHEN exhausted THEN 'done' ELSE 'pending' END, note = NULL WHERE guild_id = $1::bigint`,
      [guildId],
    );
  }

  /** Adds channels not seen before; an existing channel keeps its cut and cursor. */
  async addChannel(guildId: string, channelId: string, parentId: string, cutId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO backfill_channels (guild_id, channel_id, parent_id, cut_id, state) VALUES ($1::bigint, $2::bigint, $3::bigint, $4::bigint, 'pending')
       ON CONFLICT (guild_id, channel_id) DO NOTHING`,
      [guildId, channelId, parentId, cutId],
    );
  }

  async skipChannel(guildId: string, channelId: string, note: string): Promise<void> {
    await this.pool.query(
      `UPDATE backfill_channels SET state = 'skipped', note = $3 WHERE guild_id = $1::bigint AND channel_id = $2::bigint`,
      [guildId, channelId, note],
    );
  }

  async channels(guildId: string): Promise<ChannelRow[]> {
    const { rows } = await this.pool.query<{
      channel_id: string;
      parent_id: string;
      cut_id: string;
      cursor_id: string | null;
      state: ChannelRow['state'];
    }>(
      `SELECT channel_id::text, parent_id::text, cut_id::text, cursor_id::text, state FROM backfill_channels WHERE guild_id = $1::bigint ORDER BY channel_id`,
      [guildId],
    );
    return rows.map((r) => ({
      channelId: r.channel_id,
      parentId: r.parent_id,
      cutId: r.cut_id,
      cursorId: r.cursor_id,
      state: r.state,
    }));
  }

  /**
   * One page, exactly once: the lease is checked (and renewed), the cursor moved from where this page was
   * read, and the page's rows COPYed, all in one transaction. A lost lease or a moved cursor (another
   * runner got there) rolls everything back.
   */
  async commitPage(p: PageCommit): Promise<void> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const lease = await client.query(
        `UPDATE backfill_jobs SET lease_until = now() + $3::int * interval '1 millisecond' WHERE guild_id = $1::bigint AND lease_owner = $2 AND state = 'running'`,
        [p.guildId, p.owner, p.leaseMs],
      );
      if (lease.rowCount !== 1) throw new LostLease(`lease on guild ${p.guildId} lost`);
      const moved = await client.query(
        `UPDATE backfill_channels SET cursor_id = $4::bigint, state = $5, exhausted = exhausted OR $6, pages = pages + 1,
                messages_read = messages_read + $7, messages_loaded = messages_loaded + $8
          WHERE guild_id = $1::bigint AND channel_id = $2::bigint AND cursor_id IS NOT DISTINCT FROM $3::bigint`,
        [p.guildId, p.channelId, p.prevCursor, p.cursor, p.done ? 'done' : 'pending', p.exhausted, p.read, p.loaded],
      );
      if (moved.rowCount !== 1) throw new LostLease(`cursor of channel ${p.channelId} moved under us`);
      for (const [family, rows] of p.rows) {
        if (rows.length === 0) continue;
        const spec = FAMILIES[family];
        for (const q of botAuthors(spec, rows)) await client.query(q.text, q.values);
        await pipeline(Readable.from(copyChunks(rows)), client.query(copyFrom(copySql(spec))));
      }
      await client.query('COMMIT');
    } catch (err) {
      failed = err as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release(failed);
    }
  }

  async finish(guildId: string, owner: string, state: 'done' | 'failed', error?: string): Promise<void> {
    await this.pool.query(
      `UPDATE backfill_jobs SET state = $3, finished_at = now(), error = $4, lease_owner = NULL, lease_until = NULL WHERE guild_id = $1::bigint AND lease_owner = $2`,
      [guildId, owner, state, error ?? null],
    );
  }

  /** Hands the lease back (shutdown): another process, or this one restarted, resumes at once. */
  async release(guildId: string, owner: string): Promise<void> {
    await this.pool.query(
      `UPDATE backfill_jobs SET lease_until = NULL WHERE guild_id = $1::bigint AND lease_owner = $2`,
      [guildId, owner],
    );
  }
}
