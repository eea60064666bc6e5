// Per-guild invite snapshots in Redis: what each invite's use count was when we last looked, so a join can
// be attributed by diffing. One hash per guild under the guild's partition tag:
//   <code>    -> uses|max_uses|inviter_id|expires_ms   (inviter and expiry empty when none)
//   ~vanity   -> code|uses                              (guilds with a vanity URL)
//   ~at       -> ms when the full list was last fetched (a hash without it is not a usable snapshot)
// Field names starting with '~' cannot collide with invite codes ([A-Za-z0-9-]).
import type { RedisClient } from '../../redis.js';
import { partitionOf, type Keys } from '../../keys.js';

export interface InviteState {
  uses: number;
  /** 0 = unlimited. */
  maxUses: number;
  inviterId: string | null;
  /** Milliseconds since the epoch; null = never expires. */
  expiresAt: number | null;
}

export interface InviteSnapshot {
  invites: Map<string, InviteState>;
  vanity: { code: string; uses: number } | null;
}

const AT = '~at';
const VANITY = '~vanity';
// A guild the bot left keeps its hash at most this long after the last full fetch.
const TTL_SECONDS = 30 * 24 * 3600;

export function encodeInvite(s: InviteState): string {
  return `${s.uses}|${s.maxUses}|${s.inviterId ?? ''}|${s.expiresAt ?? ''}`;
}

export function decodeInvite(raw: string): InviteState | undefined {
  const [uses, maxUses, inviter, expires] = raw.split('|');
  if (uses === undefined || maxUses === undefined || inviter === undefined || expires === undefined) return undefined;
  const u = Number(uses);
  const m = Number(maxUses);
  if (!Number.isSafeInteger(u) || !Number.isSafeInteger(m)) return undefined;
  return {
    uses: u,
    maxUses: m,
    inviterId: inviter === '' ? null : inviter,
    expiresAt: expires === '' ? null : Number(expires),
  };
}

export class InviteSnapshotStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly partitions: number,
  ) {}

  key(guildId: string): string {
    return this.keys.inviteSnapshot(guildId, partitionOf(guildId, this.partitions));
  }

  /** The last full snapshot, or undefined when none was taken (or it expired, or Redis lost it). */
  async load(guildId: string): Promise<InviteSnapshot | undefined> {
    const h = await this.redis.hgetall(this.key(guildId));
    if (h[AT] === undefined) return undefined;
    const snap: InviteSnapshot = { invites: new Map(), vanity: null };
    for (const [field, raw] of Object.entries(h)) {
      if (field === AT) continue;
      if (field === VANITY) {
        const bar = raw.lastIndexOf('|');
        snap.vanity = { code: raw.slice(0, bar), uses: Number(raw.slice(bar + 1)) || 0 };
        continue;
      }
      const s = decodeInvite(raw);
      if (s) snap.invites.set(field, s);
    }
    return snap;
  }

  /** Replaces the guild's snapshot atomically (MULTI), so a reader never sees half of it. */
  async save(guildId: string, snap: InviteSnapshot, at = Date.now()): Promise<void> {
    const key = this.key(guildId);
    const fields: string[] = [AT, String(at)];
    for (const [code, s] of snap.invites) fields.push(code, encodeInvite(s));
    if (snap.vanity) fields.push(VANITY, `${snap.vanity.code}|${snap.vanity.uses}`);
    await this.redis
      .multi()
      .del(key)
      .hset(key, ...fields)
      .expire(key, TTL_SECONDS)
      .exec()
      .then(throwOnError);
  }

  /**
   * INVITE_CREATE: a new invite starts at its reported uses (0). HSETNX: a fetch that already listed the
   * invite (its dispatch came after our fetch) holds newer uses, which a reset to 0 would credit again.
   */
  async put(guildId: string, code: string, s: InviteState): Promise<void> {
    const key = this.key(guildId);
    // NX: a guild that never had a full snapshot (no Manage Server) still gets a TTL, never a keyless leak.
    await this.redis
      .multi()
      .hsetnx(key, code, encodeInvite(s))
      .expire(key, TTL_SECONDS, 'NX')
      .exec()
      .then(throwOnError);
  }

  /** INVITE_DELETE (deleted, or used up). */
  async remove(guildId: string, code: string): Promise<void> {
    await this.redis.hdel(this.key(guildId), code);
  }

  async drop(guildId: string): Promise<void> {
    await this.redis.unlink(this.key(guildId));
  }
}

function throwOnError(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('snapshot transaction aborted');
  for (const [err] of results) if (err) throw err;
}
