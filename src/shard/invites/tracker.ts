// Keeps each guild's invite snapshot current and attributes joins. Everything that reads or writes one
// guild's snapshot runs on that guild's promise chain: two joins at once are diffed one after the other
// (the second sees the first's fetch as its "before"), so they can never both claim the same invite use.
//
// Reading invites needs Manage Server. Without it (known from the cached roles, or from a 403) the guild
// is logged once and its joins are attributed 'unknown' without calling the API: repeated 403s count
// towards Discord's invalid-request limit.
import { DiscordAPIError, PermissionFlagsBits, Routes, type Client, type Guild, type Invite } from 'discord.js';
import type { Logger } from '../../logger.js';
import { attributeJoin, UNKNOWN, type JoinAttribution } from './attribution.js';
import { inviteAttributions, inviteFetchErrors } from './metrics.js';
import type { InviteSnapshot, InviteSnapshotStore } from './snapshot.js';

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
}

export class InviteTracker {
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Per guild: joins waiting for a diff that has not started yet. */
  private readonly pendingJoins = new Map<string, ((a: JoinAttribution) => void)[]>();
  /** Guilds whose missing permission was logged; cleared when a fetch succeeds again. */
  private readonly forbiddenLogged = new Set<string>();
  private refreshing = 0;
  private readonly refreshQueue: (() => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly o: InviteTrackerOptions) {
    this.log = o.logger.child({ component: 'invites' });
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

  /** Resolves when every task queued so far for the guild (or all guilds) has finished. */
  async idle(guildId?: string): Promise<void> {
    if (guildId) await this.chains.get(guildId);
    else await Promise.all([...this.chains.values()]);
  }

  /** GUILD_CREATE / guild available: take a full snapshot. */
  refresh(guild: Guild): Promise<void> {
    return this.serial(guild.id, async () => {
      await this.slot();
      try {
        // Refreshes still queued when the client is destroyed (thousands at start-up) have no token to read with.
        if (!this.o.client.token) return;
        const snap = await this.fetch(guild);
        if (snap) await this.o.store.save(guild.id, snap);
      } finally {
        this.release();
      }
    }).catch((err: unknown) => this.log.warn({ err, guild: guild.id }, 'invite snapshot refresh failed'));
  }

  inviteCreated(invite: Invite): void {
    const guildId = invite.guild?.id;
    if (!guildId) return;
    const state = { uses: invite.uses ?? 0, maxUses: invite.maxUses ?? 0, inviterId: invite.inviterId ?? null, expiresAt: invite.expiresTimestamp ?? null };
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
    void this.serial(guildId, () => this.o.store.drop(guildId)).catch(() => {});
  }

  /**
   * GUILD_MEMBER_ADD: fetch, diff against the snapshot, store the fetched list as the new snapshot. Joins
   * that arrive while a guild's diff is still queued share it (one fetch for all of them, so a raid costs
   * one request per round trip, not one per join); a shared diff cannot tell them apart: all 'unknown'.
   */
  attribute(guild: Guild): Promise<JoinAttribution> {
    return new Promise((resolve) => {
      const queued = this.pendingJoins.get(guild.id);
      if (queued) return void queued.push(resolve);
      const waiting = [resolve];
      this.pendingJoins.set(guild.id, waiting);
      void this.serial(guild.id, async () => {
        // Joins arriving from now on wait for the next diff: this fetch may or may not include them.
        this.pendingJoins.delete(guild.id);
        const diffed = await this.diff(guild);
        const result = waiting.length === 1 ? diffed : UNKNOWN;
        inviteAttributions.inc({ attribution: result.attribution }, waiting.length);
        for (const w of waiting) w(result);
      });
    });
  }

  private async diff(guild: Guild): Promise<JoinAttribution> {
    try {
      const after = await this.fetch(guild);
      if (!after) return UNKNOWN;
      // Redis unavailable: attribution is lost ('unknown'), the join itself is not.
      const before = await this.o.store.load(guild.id).catch(() => undefined);
      await this.o.store.save(guild.id, after).catch((err: unknown) => this.log.warn({ err, guild: guild.id }, 'could not store invite snapshot'));
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
    const snap: InviteSnapshot = { invites: new Map(), vanity: vanity?.code ? { code: vanity.code, uses: vanity.uses } : null };
    for (const inv of list) {
      snap.invites.set(inv.code, {
        uses: inv.uses ?? 0,
        maxUses: inv.max_uses ?? 0,
        inviterId: inv.inviter?.id ?? null,
        expiresAt: inv.expires_at ? Date.parse(inv.expires_at) : null,
      });
    }
    return snap;
  }

  private forbidden(guild: Guild, reason: string): void {
    inviteFetchErrors.inc({ reason: 'forbidden' });
    if (this.forbiddenLogged.has(guild.id)) return;
    this.forbiddenLogged.add(guild.id);
    this.log.warn({ guild: guild.id, reason }, "cannot read the guild's invites (needs Manage Server): its joins are attributed 'unknown'");
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
