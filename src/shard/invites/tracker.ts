// Keeps each guild's invite snapshot current and attributes joins. Everything that reads or writes one
// guild's snapshot runs on that guild's promise chain, so diffs never interleave.
//
// Diffing is only sound when the uses a fetch shows are exactly the uses of the joins it is diffed for.
// Discord counts a use before it dispatches the GUILD_MEMBER_ADD, so a fetch can already hold the use of
// a join whose dispatch has not arrived yet: that diff then sees a rise it would credit to the wrong join,
// and the late join's own diff finds its use already spent (and may pick up yet another join's use).
// A diff of one join J that finds exactly one use credited is right unless that use is another join's
// whose dispatch had not arrived when J's diff began (every earlier join's use predates the previous
// fetch). So each fetch opens a window that stays open for `graceMs` after its response (the longest
// Discord is assumed to take to dispatch a join): a join arriving with a joined_at not clearly after a
// window's fetch (or while that fetch is in flight) may be inside that snapshot and marks the window,
// whose result becomes 'unknown'. Results are handed out when their window closes, so an attribution is
// right or 'unknown', never a guess; a join dispatched later than the grace is logged and counted
// (stats_invite_late_joins_total).
//
// Reading invites needs Manage Server. Without it (known from the cached roles, or from a 403) the guild
// is logged once and its joins are attributed 'unknown' without calling the API: repeated 403s count
// towards Discord's invalid-request limit.
import { DiscordAPIError, PermissionFlagsBits, Routes, type Client, type Guild, type Invite } from 'discord.js';
import { isSnowflake } from '../../families.js';
import type { Logger } from '../../logger.js';
import { attributeJoin, UNKNOWN, type JoinAttribution } from './attribution.js';
import { inviteAttributions, inviteFetchErrors, inviteLateJoins } from './metrics.js';
import type { InviteSnapshot, InviteSnapshotStore } from './snapshot.js';

/** Invite and vanity codes: what Discord issues, and what the member-events COPY accepts unescaped. */
const INVITE_CODE = /^[A-Za-z0-9-]{1,64}$/;

interface ApiInvite {
  code: string;
  uses?: number;
  max_uses?: number;
  inviter?: { id: string } | null;
  expires_at?: string | null;
}

export interface InviteTrackerOptions {
  client: Client;
  store: InviteSnapshotStore;
  logger: Logger;
  /** Snapshot refreshes (GUILD_CREATE) running at once; joins do not wait for this limit. */
  refreshConcurrency?: number;
  /**
   * How long after a fetch a GUILD_MEMBER_ADD may still arrive for a use that fetch already showed
   * (Discord's dispatch delay); a join's attribution is handed out this long after its fetch. Default 1500.
   */
  graceMs?: number;
}

/** One fetched snapshot, open until `graceMs` after its response. */
interface FetchWindow {
  /** A join's diff (not a refresh): its result depends on the window. */
  diff: boolean;
  /** Set when the response arrived. */
  fetchEnd: number | undefined;
  /** A join that arrived later may have its use in this snapshot. */
  ahead: boolean;
}

export class InviteTracker {
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Per guild: joins waiting for a diff that has not started yet. */
  private readonly pendingJoins = new Map<string, ((a: JoinAttribution) => void)[]>();
  /** Per guild: snapshots whose grace period is running. */
  private readonly windows = new Map<string, Set<FetchWindow>>();
  /** Per guild: response time of the last diff whose window closed (to notice late dispatches). */
  private readonly lastClosed = new Map<string, number>();
  /** Windows whose grace period is running (results wait for them). */
  private readonly holding = new Set<Promise<void>>();
  /** Guilds whose missing permission was logged; cleared when a fetch succeeds again. */
  private readonly forbiddenLogged = new Set<string>();
  private refreshing = 0;
  private readonly refreshQueue: (() => void)[] = [];
  private readonly log: Logger;
  private readonly graceMs: number;
  /** A joined_at up to this long after a fetch's response still counts as possibly inside it (Discord's clock vs ours). */
  private readonly skewMs: number;

  constructor(private readonly o: InviteTrackerOptions) {
    this.log = o.logger.child({ component: 'invites' });
    this.graceMs = o.graceMs ?? 1_500;
    this.skewMs = Math.min(500, Math.floor(this.graceMs / 2));
  }

  /** Runs fn after every earlier task of the guild; the chain entry is dropped once it is the last. */
  private serial<T>(guildId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(guildId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.chains.set(guildId, tail);
    void tail.then(() => {
      if (this.chains.get(guildId) === tail) this.chains.delete(guildId);
    });
    return next;
  }

  /** Resolves when every task queued so far for the guild (or all guilds), and every held result, has finished. */
  async idle(guildId?: string): Promise<void> {
    if (guildId) await this.chains.get(guildId);
    else await Promise.all([...this.chains.values()]);
    await Promise.all([...this.holding]);
  }

  /** GUILD_CREATE / guild available: take a full snapshot. */
  refresh(guild: Guild): Promise<void> {
    return this.serial(guild.id, async () => {
      await this.slot();
      try {
        // Refreshes still queued when the client is destroyed (thousands at start-up) have no token to read with.
        if (!this.o.client.token) return;
        const window = this.open(guild.id, false);
        try {
          const snap = await this.fetch(guild);
          window.fetchEnd = Date.now();
          if (snap) await this.o.store.save(guild.id, snap);
        } finally {
          this.closeLater(guild.id, window);
        }
      } finally {
        this.release();
      }
    }).catch((err: unknown) => this.log.warn({ err, guild: guild.id }, 'invite snapshot refresh failed'));
  }

  inviteCreated(invite: Invite): void {
    const guildId = invite.guild?.id;
    if (!guildId) return;
    const state = {
      uses: invite.uses ?? 0,
      maxUses: invite.maxUses ?? 0,
      inviterId: invite.inviterId ?? null,
      expiresAt: invite.expiresTimestamp ?? null,
    };
    void this.serial(guildId, () => this.o.store.put(guildId, invite.code, state)).catch((err: unknown) =>
      this.log.warn({ err, guild: guildId }, 'could not record created invite'),
    );
  }

  inviteDeleted(invite: Invite): void {
    const guildId = invite.guild?.id;
    if (!guildId) return;
    void this.serial(guildId, () => this.o.store.remove(guildId, invite.code)).catch((err: unknown) =>
      this.log.warn({ err, guild: guildId }, 'could not record deleted invite'),
    );
  }

  guildRemoved(guildId: string): void {
    this.forbiddenLogged.delete(guildId);
    this.lastClosed.delete(guildId);
    void this.serial(guildId, () => this.o.store.drop(guildId)).catch(() => {});
  }

  /**
   * GUILD_MEMBER_ADD (`joinedAt`: its joined_at, ms; null when Discord sent none): fetch, diff against the
   * snapshot, store the fetched list as the new snapshot. Joins that arrive while a guild's diff is still
   * queued share it (one fetch for all of them, so a raid costs one request per round trip, not one per
   * join); a shared diff cannot tell them apart: all 'unknown'.
   */
  attribute(guild: Guild, joinedAt: number | null): Promise<JoinAttribution> {
    this.arrived(guild.id, joinedAt);
    return new Promise((resolve) => {
      const queued = this.pendingJoins.get(guild.id);
      if (queued) return void queued.push(resolve);
      const waiting = [resolve];
      this.pendingJoins.set(guild.id, waiting);
      void this.serial(guild.id, async () => {
        // Joins arriving from now on wait for the next diff: this fetch may or may not include them.
        this.pendingJoins.delete(guild.id);
        const window = this.open(guild.id, true);
        let diffed: JoinAttribution = UNKNOWN;
        try {
          diffed = await this.diff(guild, window);
        } finally {
          // Only a join diffed alone can be attributed, and only once its window has closed without a later
          // join claiming the snapshot.
          this.closeLater(guild.id, window, () => {
            const result = waiting.length === 1 && !window.ahead ? diffed : UNKNOWN;
            inviteAttributions.inc({ attribution: result.attribution }, waiting.length);
            for (const resolve of waiting) resolve(result);
          });
        }
      });
    });
  }

  /** Marks every open window of the guild that a join with this joined_at may be inside. */
  private arrived(guildId: string, joinedAt: number | null): void {
    for (const w of this.windows.get(guildId) ?? []) {
      // A fetch still in flight may hold any use made until now; a finished one, uses up to its response.
      if (w.fetchEnd === undefined || joinedAt === null || joinedAt <= w.fetchEnd + this.skewMs) w.ahead = true;
    }
    const closed = this.lastClosed.get(guildId);
    if (closed !== undefined && joinedAt !== null && joinedAt <= closed + this.skewMs) {
      // Its use may be in a diff whose result is already out: only a dispatch later than the grace does this.
      inviteLateJoins.inc();
      this.log.warn(
        { guild: guildId, lateMs: Date.now() - joinedAt, graceMs: this.graceMs },
        'member join dispatched later than the invite grace period: an earlier join of this guild may be misattributed (raise INVITE_GRACE_MS)',
      );
    }
  }

  private open(guildId: string, diff: boolean): FetchWindow {
    const w: FetchWindow = { diff, fetchEnd: undefined, ahead: false };
    let set = this.windows.get(guildId);
    if (!set) this.windows.set(guildId, (set = new Set()));
    set.add(w);
    return w;
  }

  /** Closes the window graceMs after its response (at once if nothing was fetched), then runs `then`. */
  private closeLater(guildId: string, w: FetchWindow, then?: () => void): void {
    const close = () => {
      const set = this.windows.get(guildId);
      set?.delete(w);
      if (set?.size === 0) this.windows.delete(guildId);
      if (w.diff && w.fetchEnd !== undefined)
        this.lastClosed.set(guildId, Math.max(this.lastClosed.get(guildId) ?? 0, w.fetchEnd));
      then?.();
    };
    if (w.fetchEnd === undefined) return close();
    const closeAt = w.fetchEnd + this.graceMs;
    const held = new Promise<void>((resolve) =>
      setTimeout(
        () => {
          close();
          resolve();
        },
        Math.max(0, closeAt - Date.now()),
      ),
    );
    this.holding.add(held);
    void held.then(() => this.holding.delete(held));
  }

  private async diff(guild: Guild, window: FetchWindow): Promise<JoinAttribution> {
    try {
      const after = await this.fetch(guild);
      if (!after) return UNKNOWN;
      window.fetchEnd = Date.now();
      // Redis unavailable: attribution is lost ('unknown'), the join itself is not.
      const before = await this.o.store.load(guild.id).catch(() => undefined);
      await this.o.store
        .save(guild.id, after)
        .catch((err: unknown) => this.log.warn({ err, guild: guild.id }, 'could not store invite snapshot'));
      return attributeJoin(before, after);
    } catch (err) {
      this.log.warn({ err, guild: guild.id }, 'invite fetch failed; join attributed unknown');
      return UNKNOWN;
    }
  }

  /** The guild's invites and vanity use count now; undefined when the bot may not read them. */
  private async fetch(guild: Guild): Promise<InviteSnapshot | undefined> {
    const me = guild.members.me;
    if (me && !me.permissions.has(PermissionFlagsBits.ManageGuild)) {
      this.forbidden(guild, 'missing Manage Server permission');
      return undefined;
    }
    const rest = this.o.client.rest;
    let list: ApiInvite[];
    let vanity: { code: string | null; uses: number } | null = null;
    try {
      list = (await rest.get(Routes.guildInvites(guild.id))) as ApiInvite[];
      if (guild.vanityURLCode || guild.features.includes('VANITY_URL')) {
        vanity = (await rest.get(Routes.guildVanityUrl(guild.id))) as { code: string | null; uses: number };
      }
    } catch (err) {
      if (err instanceof DiscordAPIError && err.status === 403) {
        this.forbidden(guild, err.message);
        return undefined;
      }
      inviteFetchErrors.inc({ reason: 'error' });
      throw err;
    }
    this.forbiddenLogged.delete(guild.id);
    // REST answers are read as defensively as gateway dispatches: an entry that is not a well-formed invite
    // is left out (a code that could not be stored would otherwise cost the join its event at ingest).
    const count = (n: unknown) => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : 0);
    const snap: InviteSnapshot = {
      invites: new Map(),
      vanity:
        typeof vanity?.code === 'string' && INVITE_CODE.test(vanity.code)
          ? { code: vanity.code, uses: count(vanity.uses) }
          : null,
    };
    for (const inv of Array.isArray(list) ? list : []) {
      if (typeof inv?.code !== 'string' || !INVITE_CODE.test(inv.code)) continue;
      const expires = typeof inv.expires_at === 'string' ? Date.parse(inv.expires_at) : NaN;
      snap.invites.set(inv.code, {
        uses: count(inv.uses),
        maxUses: count(inv.max_uses),
        inviterId: isSnowflake(inv.inviter?.id) ? inv.inviter.id : null,
        expiresAt: Number.isFinite(expires) ? expires : null,
      });
    }
    return snap;
  }

  private forbidden(guild: Guild, reason: string): void {
    inviteFetchErrors.inc({ reason: 'forbidden' });
    if (this.forbiddenLogged.has(guild.id)) return;
    this.forbiddenLogged.add(guild.id);
    this.log.warn(
      { guild: guild.id, reason },
      "cannot read the guild's invites (needs Manage Server): its joins are attributed 'unknown'",
    );
  }

  private async slot(): Promise<void> {
    const limit = this.o.refreshConcurrency ?? 4;
    if (this.refreshing < limit) {
      this.refreshing++;
      return;
    }
    await new Promise<void>((resolve) => this.refreshQueue.push(resolve));
  }

  private release(): void {
    const next = this.refreshQueue.shift();
    if (next) next();
    else this.refreshing--;
  }
}
