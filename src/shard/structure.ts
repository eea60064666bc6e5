// Names and structure of each guild in PostgreSQL (sql/030_guild_structure.sql, sql/055_guild_names.sql): the
// guild's name, channels, categories and threads, roles, members' display names and current roles. Answers, exports and Grafana read them there,
// so nothing needs discord.js's guild cache (the interactions service has none).
//
// Read from raw dispatches (the payloads as Discord sends them, after the dispatch guard's checks): the
// client caches no members. The gateway path only notes rows in memory, keyed so that the latest state
// wins; a timer writes what is pending in one transaction every few seconds, or sooner when a lot is
// pending (a member chunk). Pending rows are bounded: past the bound a row is dropped with a log line,
// and the next GUILD_CREATE or chunk notes it again. Opted-out members are never written (invariant 5).
//
// A big guild's member list arrives all at once (100,000 members: 100 chunks of 1,000 within a second),
// faster than PostgreSQL takes the rows. While writes succeed, the shard's socket stops being read when
// the pending members pass a high-water mark, and is read again once a write brings them down (TCP holds
// the rest at Discord's end): the list is written whole without being held whole. A failed write, or a
// pause longer than a few seconds, reads on at once and the bound drops rows as before, so storage
// trouble never holds the gateway (invariant 4).
//
// GUILD_CREATE is a full list of channels (threads: active ones only) and roles: those missing are marked
// deleted. Members come in full only from a complete member list (GUILD_CREATE of a small guild, or the
// chunks answering our own REQUEST_GUILD_MEMBERS): members not seen since it began have left unseen and
// are removed.
import { Events, GatewayOpcodes, Status, type Client } from 'discord.js';
import type { Pool } from '../db/pool.js';
import { textDim } from '../families.js';
import type { Logger } from '../logger.js';
import { pgTransaction, type Tracking } from '../privacy.js';
import { PendingRecorder } from './recorder.js';

export interface ChannelRow {
  guildId: string;
  id: string;
  type: number;
  parentId: string | null;
  name: string;
  position: number;
}

export interface RoleRow {
  guildId: string;
  id: string;
  name: string;
  colour: number;
  position: number;
}

export interface MemberRow {
  guildId: string;
  userId: string;
  name: string;
  bot: boolean;
  roles: string[];
  /** When this state was seen (ms). */
  seenAt: number;
}

type Sweep =
  | { kind: 'channels'; guildId: string; keep: string[] }
  | { kind: 'roles'; guildId: string; keep: string[] }
  | { kind: 'members'; guildId: string; before: number };

/** Thread channel types: GUILD_CREATE lists active threads only, so a sweep never marks a thread deleted. */
export const THREAD_TYPES = [10, 11, 12];

const MAX_PENDING = 20_000;
/** Members written per transaction; more pending schedules the next write at once. */
const MEMBER_BATCH = 5_000;
/**
 * Pending members past which a member chunk pauses its shard's reads, and below which they resume: the gap
 * to MAX_PENDING leaves room for what was already read off the socket when it paused.
 */
const PAUSE_AT = 12_000;
const RESUME_AT = MEMBER_BATCH;
/** The longest a shard's reads stay paused: its heartbeat ACKs wait meanwhile (Discord's interval is ~41 s). */
const MAX_PAUSE_MS = 5_000;

export class StructureRecorder extends PendingRecorder {
  /** guild id → its latest name. */
  private readonly guildNames = new Map<string, string>();
  private readonly channels = new Map<string, { row?: ChannelRow; guildId: string; id: string; deleted: boolean }>();
  private readonly roles = new Map<string, { row?: RoleRow; guildId: string; id: string; deleted: boolean }>();
  private readonly members = new Map<string, MemberRow | { guildId: string; userId: string; removed: true }>();
  private sweeps: Sweep[] = [];
  /** Guilds whose full member list lost a row to the bound: their member sweep must not run. */
  private readonly incomplete = new Set<string>();
  private readonly written: ((ok: boolean) => void)[] = [];

  constructor(
    private readonly pool: Pool,
    logger: Logger,
    private readonly privacy?: Tracking,
    intervalMs = 3_000,
  ) {
    super(
      logger,
      intervalMs,
      'guild structure rows dropped while writes were behind; the next full list notes them again',
    );
  }

  get pending(): number {
    return this.guildNames.size + this.channels.size + this.roles.size + this.members.size + this.sweeps.length;
  }

  /** Member rows noted and not yet written. */
  get pendingMembers(): number {
    return this.members.size;
  }

  /** Called after each write with whether it succeeded. */
  onWritten(fn: (ok: boolean) => void): void {
    this.written.push(fn);
  }

  private full(key: string, map: Map<string, unknown>): boolean {
    if (this.pending < MAX_PENDING || map.has(key)) return false;
    this.drop();
    return true;
  }

  guild(guildId: string, name: string): void {
    if (!this.full(guildId, this.guildNames)) this.guildNames.set(guildId, name);
  }

  channel(row: ChannelRow, deleted = false): void {
    const k = `${row.guildId}:${row.id}`;
    if (!this.full(k, this.channels)) this.channels.set(k, { row, guildId: row.guildId, id: row.id, deleted });
    if (!deleted) this.keepInSweeps('channels', row.guildId, row.id);
  }

  /** A deletion whose payload has no name (THREAD_DELETE): the last name stays. */
  channelDeleted(guildId: string, id: string): void {
    const k = `${guildId}:${id}`;
    const prev = this.channels.get(k);
    if (prev) prev.deleted = true;
    else if (!this.full(k, this.channels)) this.channels.set(k, { guildId, id, deleted: true });
  }

  role(row: RoleRow): void {
    const k = `${row.guildId}:${row.id}`;
    if (!this.full(k, this.roles)) this.roles.set(k, { row, guildId: row.guildId, id: row.id, deleted: false });
    this.keepInSweeps('roles', row.guildId, row.id);
  }

  /**
   * A channel or role seen after a full list whose sweep is still pending (sweeps wait for the members noted
   * before them) exists: the sweep must not mark it deleted nor, for a role, drop who holds it.
   */
  private keepInSweeps(kind: 'channels' | 'roles', guildId: string, id: string): void {
    for (const s of this.sweeps) if (s.kind === kind && s.guildId === guildId && !s.keep.includes(id)) s.keep.push(id);
  }

  roleDeleted(guildId: string, id: string): void {
    const k = `${guildId}:${id}`;
    const prev = this.roles.get(k);
    if (prev) prev.deleted = true;
    else if (!this.full(k, this.roles)) this.roles.set(k, { guildId, id, deleted: true });
  }

  member(row: MemberRow): void {
    if (this.privacy && !this.privacy.tracked(row.guildId, row.userId)) return;
    const k = `${row.guildId}:${row.userId}`;
    if (this.full(k, this.members)) this.incomplete.add(row.guildId);
    else this.members.set(k, row);
    if (this.members.size >= MEMBER_BATCH) void this.flush();
  }

  memberRemoved(guildId: string, userId: string): void {
    const k = `${guildId}:${userId}`;
    if (this.full(k, this.members)) this.incomplete.add(guildId);
    else this.members.set(k, { guildId, userId, removed: true });
  }

  /** After a full list of the guild's channels (and roles): those not in it are marked deleted. */
  sweepChannels(guildId: string, keep: string[]): void {
    this.sweeps.push({ kind: 'channels', guildId, keep });
  }

  sweepRoles(guildId: string, keep: string[]): void {
    this.sweeps.push({ kind: 'roles', guildId, keep });
  }

  /** After a complete member list that began at `before` (ms): members not seen since have left. */
  sweepMembers(guildId: string, before: number): void {
    if (this.incomplete.delete(guildId))
      return void this.logger.warn(
        { guild: guildId },
        'member list incomplete (pending bound reached); members who left unseen stay until the next full list',
      );
    this.sweeps.push({ kind: 'members', guildId, before });
  }

  protected async write(): Promise<void> {
    if (this.pending === 0) return;
    const guildNames = [...this.guildNames];
    const channels = [...this.channels.values()];
    const roles = [...this.roles.values()];
    const members = [...this.members.entries()].slice(0, MEMBER_BATCH);
    // Sweeps wait until every member noted before them is written.
    const sweeps = members.length === this.members.size ? this.sweeps : [];
    this.guildNames.clear();
    this.channels.clear();
    this.roles.clear();
    for (const [k] of members) this.members.delete(k);
    if (sweeps.length > 0) this.sweeps = [];
    try {
      await pgTransaction(this.pool)(async (tx) => {
        if (guildNames.length > 0) {
          await tx.query(
            `INSERT INTO guild_names (guild_id, name) SELECT * FROM unnest($1::bigint[], $2::text[])
             ON CONFLICT (guild_id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()`,
            [guildNames.map(([id]) => id), guildNames.map(([, name]) => name)],
          );
        }
        const upsert = channels.flatMap((c) => (c.row ? [{ ...c.row, deleted: c.deleted }] : []));
        if (upsert.length > 0) {
          await tx.query(
            `INSERT INTO guild_channels (guild_id, channel_id, type, parent_id, name, position, deleted_at)
             SELECT g, c, t, p, n, pos, CASE WHEN d THEN now() END
               FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::bigint[], $5::text[], $6::int[], $7::boolean[]) AS x(g, c, t, p, n, pos, d)
             ON CONFLICT (guild_id, channel_id) DO UPDATE SET type = EXCLUDED.type, parent_id = EXCLUDED.parent_id, name = EXCLUDED.name,
               position = EXCLUDED.position, deleted_at = CASE WHEN EXCLUDED.deleted_at IS NULL THEN NULL ELSE coalesce(guild_channels.deleted_at, EXCLUDED.deleted_at) END, updated_at = now()`,
            [
              upsert.map((c) => c.guildId),
              upsert.map((c) => c.id),
              upsert.map((c) => c.type),
              upsert.map((c) => c.parentId),
              upsert.map((c) => c.name),
              upsert.map((c) => c.position),
              upsert.map((c) => c.deleted),
            ],
          );
        }
        const gone = channels.filter((c) => !c.row);
        if (gone.length > 0) {
          await tx.query(
            `UPDATE guild_channels SET deleted_at = now(), updated_at = now() FROM unnest($1::bigint[], $2::bigint[]) AS x(g, c)
              WHERE guild_id = x.g AND channel_id = x.c AND deleted_at IS NULL`,
            [gone.map((c) => c.guildId), gone.map((c) => c.id)],
          );
        }
        // A role created and deleted within one write still gets its row, marked deleted.
        const roleRows = roles.flatMap((r) => (r.row ? [{ ...r.row, deleted: r.deleted }] : []));
        if (roleRows.length > 0) {
          await tx.query(
            `INSERT INTO guild_roles (guild_id, role_id, name, colour, position, deleted_at)
             SELECT g, r, n, c, p, CASE WHEN d THEN now() END FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::boolean[]) AS x(g, r, n, c, p, d)
             ON CONFLICT (guild_id, role_id) DO UPDATE SET name = EXCLUDED.name, colour = EXCLUDED.colour, position = EXCLUDED.position,
               deleted_at = CASE WHEN EXCLUDED.deleted_at IS NULL THEN NULL ELSE coalesce(guild_roles.deleted_at, EXCLUDED.deleted_at) END, updated_at = now()`,
            [
              roleRows.map((r) => r.guildId),
              roleRows.map((r) => r.id),
              roleRows.map((r) => r.name),
              roleRows.map((r) => r.colour),
              roleRows.map((r) => r.position),
              roleRows.map((r) => r.deleted),
            ],
          );
        }
        const rolesGone = roles.filter((r) => r.deleted);
        if (rolesGone.length > 0) {
          const args = [rolesGone.map((r) => r.guildId), rolesGone.map((r) => r.id)];
          await tx.query(
            `UPDATE guild_roles SET deleted_at = now(), updated_at = now() FROM unnest($1::bigint[], $2::bigint[]) AS x(g, r)
              WHERE guild_id = x.g AND role_id = x.r AND deleted_at IS NULL`,
            args,
          );
          // Nobody holds a deleted role (Discord sends no member updates for it).
          await tx.query(
            'DELETE FROM member_roles m USING unnest($1::bigint[], $2::bigint[]) AS x(g, r) WHERE m.guild_id = x.g AND m.role_id = x.r',
            args,
          );
        }
        if (members.length > 0)
          await writeMembers(
            tx,
            members.map(([, m]) => m),
          );
        for (const s of sweeps) await runSweep(tx, s);
      });
      this.reportDropped();
    } catch (err) {
      // Back in, unless a newer state was noted meanwhile.
      for (const [id, name] of guildNames) if (!this.guildNames.has(id)) this.guildNames.set(id, name);
      for (const c of channels)
        if (!this.channels.has(`${c.guildId}:${c.id}`)) this.channels.set(`${c.guildId}:${c.id}`, c);
      for (const r of roles) if (!this.roles.has(`${r.guildId}:${r.id}`)) this.roles.set(`${r.guildId}:${r.id}`, r);
      for (const [k, m] of members) if (!this.members.has(k)) this.members.set(k, m);
      this.sweeps = [...sweeps, ...this.sweeps];
      this.logger.warn({ err, pending: this.pending }, 'could not write guild structure; retrying');
      for (const fn of this.written) fn(false);
      return;
    }
    for (const fn of this.written) fn(true);
    if (this.members.size >= MEMBER_BATCH || (this.members.size === 0 && this.sweeps.length > 0 && sweeps.length === 0))
      setImmediate(() => void this.flush());
  }

  /** Stops the timer after writing what is pending. */
  async close(): Promise<void> {
    this.stopTimer();
    for (let i = 0; i < 100 && this.pending > 0; i++) {
      const before = this.pending;
      await this.flush();
      if (this.pending >= before) break;
    }
  }
}

type Tx = Parameters<Parameters<ReturnType<typeof pgTransaction>>[0]>[0];

async function writeMembers(
  tx: Tx,
  members: (MemberRow | { guildId: string; userId: string; removed: true })[],
): Promise<void> {
  const present = members.filter((m): m is MemberRow => !('removed' in m));
  // Every member in the batch loses their role rows; those present get their current ones back.
  await tx.query(
    'DELETE FROM member_roles m USING unnest($1::bigint[], $2::bigint[]) AS x(g, u) WHERE m.guild_id = x.g AND m.user_id = x.u',
    [members.map((m) => m.guildId), members.map((m) => m.userId)],
  );
  const removed = members.filter((m) => 'removed' in m);
  if (removed.length > 0) {
    await tx.query(
      'DELETE FROM guild_members m USING unnest($1::bigint[], $2::bigint[]) AS x(g, u) WHERE m.guild_id = x.g AND m.user_id = x.u',
      [removed.map((m) => m.guildId), removed.map((m) => m.userId)],
    );
  }
  if (present.length === 0) return;
  await tx.query(
    `INSERT INTO guild_members (guild_id, user_id, display_name, bot, seen_at)
     SELECT g, u, n, b, to_timestamp(s / 1000.0) FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::boolean[], $5::float8[]) AS x(g, u, n, b, s)
     ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = EXCLUDED.display_name, bot = EXCLUDED.bot, seen_at = greatest(guild_members.seen_at, EXCLUDED.seen_at)`,
    [
      present.map((m) => m.guildId),
      present.map((m) => m.userId),
      present.map((m) => m.name),
      present.map((m) => m.bot),
      present.map((m) => m.seenAt),
    ],
  );
  const held = present.flatMap((m) => m.roles.map((r) => [m.guildId, r, m.userId] as const));
  if (held.length > 0) {
    await tx.query(
      'INSERT INTO member_roles (guild_id, role_id, user_id) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) ON CONFLICT DO NOTHING',
      [held.map((h) => h[0]), held.map((h) => h[1]), held.map((h) => h[2])],
    );
  }
}

async function runSweep(tx: Tx, s: Sweep): Promise<void> {
  if (s.kind === 'channels') {
    await tx.query(
      `UPDATE guild_channels SET deleted_at = now(), updated_at = now()
        WHERE guild_id = $1::bigint AND deleted_at IS NULL AND type <> ALL ($3::smallint[]) AND NOT (channel_id = ANY ($2::bigint[]))`,
      [s.guildId, s.keep, THREAD_TYPES],
    );
  } else if (s.kind === 'roles') {
    await tx.query(
      'UPDATE guild_roles SET deleted_at = now(), updated_at = now() WHERE guild_id = $1::bigint AND deleted_at IS NULL AND NOT (role_id = ANY ($2::bigint[]))',
      [s.guildId, s.keep],
    );
    await tx.query('DELETE FROM member_roles WHERE guild_id = $1::bigint AND NOT (role_id = ANY ($2::bigint[]))', [
      s.guildId,
      s.keep,
    ]);
  } else {
    const before = s.before / 1000;
    await tx.query(
      'DELETE FROM member_roles r USING guild_members m WHERE m.guild_id = $1::bigint AND m.seen_at < to_timestamp($2) AND r.guild_id = m.guild_id AND r.user_id = m.user_id',
      [s.guildId, before],
    );
    await tx.query('DELETE FROM guild_members WHERE guild_id = $1::bigint AND seen_at < to_timestamp($2)', [
      s.guildId,
      before,
    ]);
  }
}

// ---- raw dispatch payloads (fields as the dispatch guard lets them through: most are optional) ----

interface RawUser {
  id: string;
  username?: string;
  global_name?: string | null;
  bot?: boolean;
}
interface RawMember {
  user?: RawUser;
  nick?: string | null;
  roles?: string[];
}
interface RawChannel {
  id: string;
  type: number;
  guild_id?: string;
  parent_id?: string | null;
  name?: string | null;
  position?: number;
}
interface RawRole {
  id: string;
  name?: string;
  color?: number;
  position?: number;
}

/**
 * A name as PostgreSQL can store it: one NUL would fail the whole batch's transaction on every retry
 * (control characters become spaces, lone surrogates U+FFFD, as for every text dimension).
 */
export function nameOf(raw: string | null | undefined): string {
  return raw ? (textDim(raw) ?? '') : '';
}

export function channelRow(guildId: string, c: RawChannel): ChannelRow {
  return {
    guildId,
    id: c.id,
    type: c.type,
    parentId: c.parent_id ?? null,
    name: nameOf(c.name),
    position: c.position ?? 0,
  };
}

export function roleRow(guildId: string, r: RawRole): RoleRow {
  return { guildId, id: r.id, name: nameOf(r.name), colour: r.color ?? 0, position: r.position ?? 0 };
}

/** Display name as Discord shows it in a server: nickname, else global name, else username. */
export function memberRow(guildId: string, m: RawMember, seenAt: number): MemberRow | undefined {
  const u = m.user;
  if (!u) return undefined;
  return {
    guildId,
    userId: u.id,
    name: nameOf(m.nick || u.global_name || u.username) || u.id,
    bot: u.bot === true,
    roles: (m.roles ?? []).filter((r) => r !== guildId),
    seenAt,
  };
}

/** Discord's nonce limit is 32 bytes. */
const NONCE_PREFIX = 'structure:';
/** Full member-list requests sent per second by this process (Discord: 120 gateway sends a minute per shard). */
const REQUEST_INTERVAL_MS = 1_000;

/** Stops and restarts reading a shard's gateway socket (src/shard/read-pause.ts). */
export interface ShardReads {
  pause(shardId: number): void;
  resume(shardId: number): void;
}

/**
 * Keeps the guild structure tables current from this client's dispatches, and asks for the full member
 * list (REQUEST_GUILD_MEMBERS) of guilds whose GUILD_CREATE does not carry every member, one request at a
 * time. With `reads`, member chunks that arrive faster than they are written pause their shard's reads.
 */
export function collectStructure(
  client: Client,
  recorder: StructureRecorder,
  logger: Logger,
  reads?: ShardReads,
): { stop(): void; idle(): boolean } {
  /** Paused shards, each with the timer that ends its pause at the latest. */
  const paused = new Map<number, NodeJS.Timeout>();
  const resume = (shardId: number) => {
    const timer = paused.get(shardId);
    if (timer === undefined) return;
    clearTimeout(timer);
    paused.delete(shardId);
    reads!.resume(shardId);
  };
  let healthy = true;
  recorder.onWritten((ok) => {
    healthy = ok;
    if (!ok || recorder.pendingMembers < RESUME_AT) for (const id of [...paused.keys()]) resume(id);
  });
  const maybePause = (shardId: number) => {
    if (!reads || !healthy || paused.has(shardId) || recorder.pendingMembers < PAUSE_AT) return;
    reads.pause(shardId);
    paused.set(
      shardId,
      setTimeout(() => {
        // Writes this slow count as trouble: no new pause until one succeeds.
        healthy = false;
        logger.warn({ shard: shardId }, 'member rows still pending after a pause of 5 s: reading the gateway again');
        resume(shardId);
      }, MAX_PAUSE_MS),
    );
  };
  const queue: { guildId: string; shardId: number }[] = [];
  /** nonce → the guild and when its request was sent. */
  const requests = new Map<string, { guildId: string; at: number }>();
  let seq = 0;
  const timer = setInterval(() => {
    // A request Discord never answered (the guild went away) is forgotten after a while.
    for (const [nonce, r] of requests) if (Date.now() - r.at > 5 * 60_000) requests.delete(nonce);
    const next = queue.shift();
    if (!next) return;
    const shard = client.ws.shards.get(next.shardId);
    // Only over a ready connection: discord.js does not surface a failed send (it rejects unhandled).
    if (!shard || shard.status !== Status.Ready) {
      if (shard) queue.push(next);
      return;
    }
    const nonce = `${NONCE_PREFIX}${(seq++).toString(36)}`;
    requests.set(nonce, { guildId: next.guildId, at: Date.now() });
    // The shard may be gone (reconnecting, shutting down): the guild's next GUILD_CREATE asks again.
    const failed = (err: unknown) => {
      requests.delete(nonce);
      logger.debug({ err, guild: next.guildId }, 'could not send a member list request');
    };
    try {
      const sent = shard.send({
        op: GatewayOpcodes.RequestGuildMembers,
        d: { guild_id: next.guildId, query: '', limit: 0, nonce },
      }) as unknown;
      if (sent instanceof Promise) sent.catch(failed);
    } catch (err) {
      failed(err);
    }
  }, REQUEST_INTERVAL_MS);
  timer.unref();

  client.on(Events.Raw, (packet: { t?: string | null; d?: unknown }, shardId: number) => {
    const d = packet.d as Record<string, unknown> | null;
    if (!packet.t || !d) return;
    const now = Date.now();
    switch (packet.t) {
      case 'GUILD_CREATE': {
        if (d.unavailable === true) return;
        const guildId = d.id as string;
        if (typeof d.name === 'string') recorder.guild(guildId, nameOf(d.name));
        const channels = [
          ...((d.channels as RawChannel[] | undefined) ?? []),
          ...((d.threads as RawChannel[] | undefined) ?? []),
        ];
        for (const c of channels) recorder.channel(channelRow(guildId, c));
        if (Array.isArray(d.channels))
          recorder.sweepChannels(
            guildId,
            channels.map((c) => c.id),
          );
        const roles = (d.roles as RawRole[] | undefined) ?? [];
        for (const r of roles) recorder.role(roleRow(guildId, r));
        if (Array.isArray(d.roles))
          recorder.sweepRoles(
            guildId,
            roles.map((r) => r.id),
          );
        const members = (d.members as RawMember[] | undefined) ?? [];
        for (const m of members) {
          const row = memberRow(guildId, m, now);
          if (row) recorder.member(row);
        }
        if (typeof d.member_count === 'number' && members.length >= d.member_count) recorder.sweepMembers(guildId, now);
        else if (!queue.some((q) => q.guildId === guildId)) queue.push({ guildId, shardId });
        return;
      }
      case 'GUILD_UPDATE':
        if (typeof d.name === 'string') recorder.guild(d.id as string, nameOf(d.name));
        return;
      case 'CHANNEL_CREATE':
      case 'CHANNEL_UPDATE':
      case 'THREAD_CREATE':
      case 'THREAD_UPDATE': {
        const c = d as unknown as RawChannel;
        if (c.guild_id) recorder.channel(channelRow(c.guild_id, c));
        return;
      }
      case 'CHANNEL_DELETE': {
        const c = d as unknown as RawChannel;
        if (c.guild_id) recorder.channel(channelRow(c.guild_id, c), true);
        return;
      }
      case 'THREAD_DELETE':
        if (typeof d.guild_id === 'string') recorder.channelDeleted(d.guild_id, d.id as string);
        return;
      case 'THREAD_LIST_SYNC':
        for (const c of (d.threads as RawChannel[] | undefined) ?? [])
          recorder.channel(channelRow(d.guild_id as string, c));
        return;
      case 'GUILD_ROLE_CREATE':
      case 'GUILD_ROLE_UPDATE':
        recorder.role(roleRow(d.guild_id as string, d.role as RawRole));
        return;
      case 'GUILD_ROLE_DELETE':
        recorder.roleDeleted(d.guild_id as string, d.role_id as string);
        return;
      case 'GUILD_MEMBER_ADD':
      case 'GUILD_MEMBER_UPDATE': {
        const row = memberRow(d.guild_id as string, d as RawMember, now);
        if (row) recorder.member(row);
        return;
      }
      case 'GUILD_MEMBER_REMOVE': {
        const user = d.user as RawUser | undefined;
        if (user) recorder.memberRemoved(d.guild_id as string, user.id);
        return;
      }
      case 'GUILD_MEMBERS_CHUNK': {
        const guildId = d.guild_id as string;
        for (const m of (d.members as RawMember[] | undefined) ?? []) {
          const row = memberRow(guildId, m, now);
          if (row) recorder.member(row);
        }
        const nonce = typeof d.nonce === 'string' ? d.nonce : undefined;
        const req = nonce ? requests.get(nonce) : undefined;
        if (req && d.chunk_index === (d.chunk_count as number) - 1) {
          requests.delete(nonce!);
          recorder.sweepMembers(req.guildId, req.at);
        }
        maybePause(shardId);
        return;
      }
      case 'RATE_LIMITED': {
        // Our member request came too soon after another: try it again later.
        const meta = d.meta as { guild_id?: string; nonce?: string } | undefined;
        const req = meta?.nonce ? requests.get(meta.nonce) : undefined;
        if (!req) return;
        requests.delete(meta!.nonce!);
        const retryMs = typeof d.retry_after === 'number' ? d.retry_after * 1000 : 30_000;
        setTimeout(() => queue.push({ guildId: req.guildId, shardId }), retryMs).unref();
        logger.debug({ guild: req.guildId, retryMs }, 'member list request rate limited; retrying');
        return;
      }
    }
  });
  return {
    stop: () => {
      clearInterval(timer);
      for (const id of [...paused.keys()]) resume(id);
    },
    idle: () => queue.length === 0 && requests.size === 0,
  };
}
