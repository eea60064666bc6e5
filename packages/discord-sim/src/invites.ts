// Member joins and leaves through invites: the simulator's side of invite tracking. It changes the world
// (invite uses, members), dispatches what Discord would (INVITE_CREATE/DELETE, GUILD_MEMBER_ADD/REMOVE) and
// keeps two truths per join: what really happened (which invite or the vanity URL was used) and what a bot
// diffing invite uses can and SHOULD record (src/shard/invites/attribution.ts states the rules):
//   - a join through a live invite, alone                 -> 'invite' with that code and inviter;
//   - a join through the vanity URL, alone                -> 'vanity';
//   - joins dispatched together (uses rose for several)   -> 'unknown' each;
//   - a join that used up an invite (it vanished)         -> 'unknown';
//   - a guild where the bot lacks Manage Server           -> 'unknown'.
// "Alone" means the bot finished the previous join before this one: drivers await a settle callback.
import { GatewayDispatchEvents, PermissionFlagsBits } from 'discord-api-types/v10';
import { canManageGuild } from './permissions.js';
import type { GuildEventSink } from './driver.js';
import { inviteCode, type SimGuild, type SimInvite, type SimUser, type World } from './world.js';
import { inviteCreateJson, inviteDeleteJson, inviteExpiresAt, memberAddJson, memberRemoveJson } from './payloads.js';
import { Rng } from './rng.js';
import { snowflakeTimestamp } from './snowflake.js';

const DAY_MS = 86_400_000;

export type SimAttribution = 'invite' | 'vanity' | 'unknown';

export interface JoinTruth {
  guildId: string;
  userId: string;
  /** joined_at sent to the bot (ms). */
  at: number;
  /** The user id's snowflake time. */
  accountCreatedAt: number;
  /** What the member really used. */
  used: { kind: 'invite'; code: string; inviterId: string | null } | { kind: 'vanity'; code: string };
  /** What the bot should record. */
  expected: { attribution: SimAttribution; inviteCode: string | null; inviterId: string | null };
}

export interface LeaveTruth {
  guildId: string;
  userId: string;
  at: number;
}

export type JoinVia = { code: string } | 'vanity';

/** Invites Discord still lists: expired ones are forgotten (Discord sends no INVITE_DELETE for them). */
export function listInvites(g: SimGuild, now = Date.now()): SimInvite[] {
  for (const [code, inv] of g.invites) {
    const exp = inviteExpiresAt(inv);
    if (exp !== null && exp <= now) g.invites.delete(code);
  }
  return [...g.invites.values()];
}

export class MemberTraffic {
  readonly joins: JoinTruth[] = [];
  readonly leaves: LeaveTruth[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly sim: GuildEventSink,
    seed = 0x1217e5,
  ) {
    this.rng = new Rng(seed);
  }

  private guild(guildId: string): SimGuild {
    const g = this.sim.world.guild(guildId);
    if (!g) throw new Error(`unknown guild ${guildId}`);
    return g;
  }

  /**
   * Takes Manage Server away from the bot in this guild (and Administrator from its roles). Call before the
   * bot connects: GUILD_CREATE carries the roles it judges its permissions by.
   */
  revokeManageGuild(guildId: string): void {
    const g = this.guild(guildId);
    const me = g.members.get(this.sim.world.botUser.id);
    for (const r of g.roles) {
      if (r.id === g.id || me?.roles.includes(r.id))
        r.permissions = (
          BigInt(r.permissions) & ~(PermissionFlagsBits.ManageGuild | PermissionFlagsBits.Administrator)
        ).toString();
    }
  }

  /** A member creates an invite (INVITE_CREATE). */
  createInvite(
    guildId: string,
    o: { inviterId: string | null; maxUses?: number; maxAgeSec?: number; channelId?: string },
  ): SimInvite {
    const g = this.guild(guildId);
    const channelId = o.channelId ?? this.sim.world.textChannels(guildId)[0]!.id;
    let code = inviteCode(this.rng);
    while (g.invites.has(code)) code = inviteCode(this.rng);
    const inv: SimInvite = {
      code,
      guildId,
      channelId,
      inviterId: o.inviterId,
      uses: 0,
      maxUses: o.maxUses ?? 0,
      maxAge: o.maxAgeSec ?? 0,
      createdAt: Date.now(),
    };
    g.invites.set(code, inv);
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.InviteCreate, inviteCreateJson(inv, g));
    return inv;
  }

  /** Someone deletes an invite (INVITE_DELETE). */
  deleteInvite(guildId: string, code: string): void {
    const g = this.guild(guildId);
    const inv = g.invites.get(code);
    if (!inv) throw new Error(`no invite ${code} in guild ${guildId}`);
    g.invites.delete(code);
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.InviteDelete, inviteDeleteJson(inv));
  }

  /** A user not in any guild yet, whose account is `ageDays` old now. */
  newUser(ageDays = 400): SimUser {
    return this.sim.world.newUser(Date.now() - Math.round(ageDays * DAY_MS));
  }

  /**
   * One join, alone: the bot can attribute it (see the header for when it cannot). `at` sets the joined_at
   * sent (default now): a past time lays down history, as a message's timestamp does.
   */
  join(guildId: string, user: SimUser, via: JoinVia, at?: number): JoinTruth {
    return this.joinTogether([{ guildId, user, via }], at)[0]!;
  }

  /**
   * Joins that happen at the same moment: every use is counted in the world before any GUILD_MEMBER_ADD is
   * sent, so the bot's fetch for the first already sees all of them. With more than one join in a guild,
   * none of them can be attributed.
   */
  joinTogether(list: { guildId: string; user: SimUser; via: JoinVia }[], at?: number): JoinTruth[] {
    const perGuild = new Map<string, number>();
    for (const j of list) perGuild.set(j.guildId, (perGuild.get(j.guildId) ?? 0) + 1);
    const now = at ?? Date.now();
    const out: JoinTruth[] = [];
    const usedUp: SimInvite[] = [];
    for (const { guildId, user, via } of list) {
      const g = this.guild(guildId);
      if (g.members.has(user.id)) throw new Error(`user ${user.id} is already in guild ${guildId}`);
      let used: JoinTruth['used'];
      let vanished = false;
      if (via === 'vanity') {
        if (!g.vanity) throw new Error(`guild ${guildId} has no vanity URL`);
        g.vanity.uses++;
        used = { kind: 'vanity', code: g.vanity.code };
      } else {
        const inv = listInvites(g, now).find((i) => i.code === via.code);
        if (!inv) throw new Error(`invite ${via.code} is not live in guild ${guildId}`);
        inv.uses++;
        if (inv.maxUses > 0 && inv.uses >= inv.maxUses) {
          // Discord deletes a used-up invite: it vanishes from the list the bot fetches.
          g.invites.delete(inv.code);
          usedUp.push(inv);
          vanished = true;
        }
        used = { kind: 'invite', code: inv.code, inviterId: inv.inviterId };
      }
      g.members.set(user.id, { user, roles: [], nick: null, joinedAt: new Date(now).toISOString() });
      const alone = perGuild.get(guildId) === 1;
      let expected: JoinTruth['expected'] = { attribution: 'unknown', inviteCode: null, inviterId: null };
      if (alone && canManageGuild(g, this.sim.world.botUser.id) && !vanished) {
        expected =
          used.kind === 'vanity'
            ? { attribution: 'vanity', inviteCode: used.code, inviterId: null }
            : { attribution: 'invite', inviteCode: used.code, inviterId: used.inviterId };
      }
      out.push({ guildId, userId: user.id, at: now, accountCreatedAt: snowflakeTimestamp(user.id), used, expected });
    }
    for (const j of out)
      this.sim.dispatchGuildEvent(
        j.guildId,
        GatewayDispatchEvents.GuildMemberAdd,
        memberAddJson(this.guild(j.guildId).members.get(j.userId)!, j.guildId),
      );
    for (const inv of usedUp)
      this.sim.dispatchGuildEvent(inv.guildId, GatewayDispatchEvents.InviteDelete, inviteDeleteJson(inv));
    this.joins.push(...out);
    return out;
  }

  /** A member leaves (or is kicked): GUILD_MEMBER_REMOVE. */
  leave(guildId: string, userId: string): LeaveTruth {
    const g = this.guild(guildId);
    const m = g.members.get(userId);
    if (!m) throw new Error(`user ${userId} is not in guild ${guildId}`);
    g.members.delete(userId);
    const rec = { guildId, userId, at: Date.now() };
    this.sim.dispatchGuildEvent(guildId, GatewayDispatchEvents.GuildMemberRemove, memberRemoveJson(m.user, guildId));
    this.leaves.push(rec);
    return rec;
  }

  /** Invite stats the bot's database should report, by the definitions of src/stats/members.ts. */
  expectedInviteStats(guildId: string, youngDays = 7): ExpectedInviteStats {
    const joins = this.joins.filter((j) => j.guildId === guildId).sort((a, b) => a.at - b.at);
    const leaves = this.leaves.filter((l) => l.guildId === guildId);
    const out: ExpectedInviteStats = { inviters: new Map(), vanity: emptyBreakdown(), unknown: emptyBreakdown() };
    for (const j of joins) {
      const fake =
        j.at - j.accountCreatedAt < youngDays * DAY_MS ||
        (j.expected.inviterId !== null && j.expected.inviterId === j.userId) ||
        joins.some((p) => p.userId === j.userId && p.at < j.at);
      const left = !fake && leaves.some((l) => l.userId === j.userId && l.at >= j.at);
      let b: Breakdown;
      if (j.expected.attribution === 'invite') {
        const k = j.expected.inviterId ?? '';
        b = out.inviters.get(k) ?? emptyBreakdown();
        out.inviters.set(k, b);
      } else b = j.expected.attribution === 'vanity' ? out.vanity : out.unknown;
      b.joins++;
      if (fake) b.fake++;
      else if (left) b.left++;
      else b.regular++;
    }
    return out;
  }
}

export interface Breakdown {
  joins: number;
  regular: number;
  left: number;
  fake: number;
}

export interface ExpectedInviteStats {
  /** Keyed by inviter id ('' for invites without an inviter). */
  inviters: Map<string, Breakdown>;
  vanity: Breakdown;
  unknown: Breakdown;
}

function emptyBreakdown(): Breakdown {
  return { joins: 0, regular: 0, left: 0, fake: 0 };
}

export interface InviteScenarioOptions {
  /** A guild with a vanity URL and at least 4 human members, where the bot has Manage Server. */
  guildId: string;
  /** A guild where the bot lacks Manage Server (see MemberTraffic.revokeManageGuild). */
  forbiddenGuildId: string;
  /** Resolves once the bot has recorded every join and leave sent so far (joins must not overlap). */
  settle: () => Promise<void>;
}

export interface InviteScenarioCast {
  /** Inviters: A (three joins: two later leave), B (a young account and a rejoin), C (self-invite). */
  a: string;
  b: string;
  c: string;
  /** Inviter of the world's pre-existing invite used once (its uses were already > 0 before the bot came). */
  seeded: string;
}

/**
 * The scripted scenario the invite tests and the demo use. Expected stats for `guildId` (young < 7 days):
 *   A: 3 joins, 1 regular, 2 left;  B: 2 joins, 2 fake (young account, rejoin);  C: 1 join, 1 fake (self);
 *   seeded inviter: 1 regular;  vanity: 1 regular;  unknown: 3 regular (a used-up single-use invite, and
 *   two simultaneous joins);  growth: 11 joins, 3 leaves, net 8. forbiddenGuildId: 1 join, unknown.
 */
export async function runInviteScenario(
  sim: { readonly world: World; readonly members: MemberTraffic },
  o: InviteScenarioOptions,
): Promise<InviteScenarioCast> {
  const t = sim.members;
  const g = sim.world.guild(o.guildId)!;
  if (!g.vanity) throw new Error(`guild ${o.guildId} has no vanity URL`);
  const seededInvite = listInvites(g).find((i) => i.inviterId !== null && g.members.has(i.inviterId))!;
  const seeded = seededInvite.inviterId!;
  const [a, b, c] = sim.world
    .humanMembers(o.guildId)
    .map((m) => m.user.id)
    .filter((id) => id !== seeded && id !== g.ownerId);
  if (!a || !b || !c) throw new Error(`guild ${o.guildId} has too few members for the scenario`);
  const step = async (fn: () => unknown) => {
    fn();
    await o.settle();
  };

  const a1 = t.createInvite(o.guildId, { inviterId: a });
  const b1 = t.createInvite(o.guildId, { inviterId: b });
  const single = t.createInvite(o.guildId, { inviterId: a, maxUses: 1 });
  const shortLived = t.createInvite(o.guildId, { inviterId: b, maxAgeSec: 1 });
  const c1 = t.createInvite(o.guildId, { inviterId: c });
  const u = Array.from({ length: 8 }, (_, i) => t.newUser(i === 2 ? 2 : 400));

  await step(() => t.join(o.guildId, u[0]!, { code: a1.code }));
  await step(() => t.join(o.guildId, u[1]!, { code: a1.code }));
  await step(() => t.join(o.guildId, u[2]!, { code: b1.code })); // account 2 days old: fake
  await step(() => t.join(o.guildId, u[3]!, 'vanity'));
  await step(() => t.join(o.guildId, u[4]!, { code: single.code })); // used up, vanishes: unknown
  await step(() => t.join(o.guildId, u[7]!, { code: seededInvite.code }));
  await step(() =>
    t.joinTogether([
      { guildId: o.guildId, user: u[5]!, via: { code: a1.code } },
      { guildId: o.guildId, user: u[6]!, via: { code: b1.code } },
    ]),
  );
  await step(() => t.leave(o.guildId, u[1]!.id));
  await step(() => t.join(o.guildId, u[1]!, { code: b1.code })); // rejoin: fake
  const cUser = g.members.get(c)!.user;
  await step(() => t.leave(o.guildId, c));
  await step(() => t.join(o.guildId, cUser, { code: c1.code })); // self-invite: fake
  // The short-lived invite expires unused: it drops out of the list without confusing the next diff.
  const wait = shortLived.createdAt + 1_050 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await step(() => t.join(o.guildId, t.newUser(), { code: a1.code }));
  await step(() => t.leave(o.guildId, u[0]!.id));

  const f1 = t.createInvite(o.forbiddenGuildId, { inviterId: sim.world.humanMembers(o.forbiddenGuildId)[0]!.user.id });
  await step(() => t.join(o.forbiddenGuildId, t.newUser(), { code: f1.code }));
  return { a, b, c, seeded };
}
