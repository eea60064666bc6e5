// The dashboard's API with real parts: the bot counting the simulator's traffic into PostgreSQL, the
// dashboard signing users in through the simulator's OAuth2 and keeping sessions in Redis. Numbers are
// checked against the simulator's ground truth; refusals (no session, another server, no permission,
// forged CSRF, forged or replayed OAuth state, lost permission, absurd ranges) by status and body.
import { PermissionFlagsBits } from 'discord.js';
import { ChannelKind } from 'discord-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { deletedRole, recordedHolders } from './helpers/structure.js';
import { signIn, startTestWeb, type TestWeb } from './helpers/web.js';

let t: TestBot;
let web: TestWeb;
let guildId: string;

beforeAll(async () => {
  t = await startTestBot({ name: 'web-api', sim: { guilds: 3 } });
  web = await startTestWeb(t);
  guildId = [...t.sim.world.guilds.keys()][0]!;
  await t.sim.sendTraffic({ messages: 1500, historyMs: 36 * 3_600_000, seed: 16 });
  const truth = t.sim.truth.totalsBy('guild');
  await t.ingestUntil(async () => {
    const { rows } = await t.pool.query<{ g: string; n: string }>(
      `SELECT guild_id::text AS g, sum(messages) AS n FROM messages_raw m WHERE NOT EXISTS (SELECT 1 FROM bot_authors b WHERE b.guild_id = m.guild_id AND b.user_id = m.user_id) GROUP BY 1`,
    );
    const db = new Map(rows.map((r) => [r.g, Number(r.n)]));
    return [...truth].filter(([g, x]) => db.get(g) !== x.messages).map(([g]) => g);
  });
});
afterAll(async () => {
  await web?.stop();
  await t?.stop();
});

const guild = () => t.sim.world.guild(guildId)!;
const owner = () => guild().ownerId;
/** A member with no role at all: @everyone's permissions only. */
const plainMember = () =>
  [...guild().members.values()].find((m) => !m.user.bot && m.roles.length === 0 && m.user.id !== owner())!.user.id;

describe('dashboard API', () => {
  it('lists the servers the user shares with the bot and shows numbers equal to the ground truth', async () => {
    const c = await signIn(web, t, owner());
    const me = (await (await c.get('/api/me')).json()) as {
      user: { id: string };
      guilds: { id: string; server: boolean; manage: boolean }[];
    };
    expect(me.user.id).toBe(owner());
    const shared = [...t.sim.world.guilds.values()].filter((g) => g.members.has(owner())).map((g) => g.id);
    expect(me.guilds.map((g) => g.id).sort()).toEqual(shared.sort());
    expect(me.guilds.find((g) => g.id === guildId)).toMatchObject({ server: true, manage: true });

    const ov = (await (await c.get(`/api/guilds/${guildId}/overview?period=7d`)).json()) as {
      totals: { messages: number; activeMembers: number };
      series: { messages: [number, number][] };
    };
    const humans = t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook);
    expect(ov.totals.messages).toBe(humans.length);
    expect(ov.series.messages.reduce((a, [, v]) => a + v, 0)).toBe(humans.length);
    expect(ov.totals.activeMembers).toBe(new Set(humans.map((m) => m.authorId)).size);
    // Hourly points over 7 days: bounded, whatever the traffic.
    expect(ov.series.messages.length).toBeLessThanOrEqual(7 * 24 + 1);

    const members = (await (await c.get(`/api/guilds/${guildId}/members?period=7d`)).json()) as {
      messages: { id: string; value: number }[];
    };
    const perUser = new Map<string, number>();
    for (const m of humans) perUser.set(m.authorId, (perUser.get(m.authorId) ?? 0) + 1);
    const top = members.messages[0]!;
    expect(top.value).toBe(Math.max(...perUser.values()));
    expect(perUser.get(top.id)).toBe(top.value);

    // Whole leaderboards (members, channels: a thread is a channel of its own) and active members over
    // 7 days (hourly buckets: whole days from the narrow daily rollups, the edges from the hourly ones) and
    // 90 days (daily buckets), bots left out as the server's settings say: each equal to the truth.
    const perChannel = new Map<string, number>();
    for (const m of humans) perChannel.set(m.channelId, (perChannel.get(m.channelId) ?? 0) + 1);
    const ranking = (counts: Map<string, number>) =>
      [...counts]
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
        .slice(0, 100)
        .map(([id, value]) => ({ id, value }));
    for (const period of ['7d', '90d']) {
      type Board = { messages: { id: string; value: number }[] };
      const byMember = (await (await c.get(`/api/guilds/${guildId}/members?period=${period}`)).json()) as Board;
      const byChannel = (await (await c.get(`/api/guilds/${guildId}/channels?period=${period}`)).json()) as Board;
      expect(
        byMember.messages.map(({ id, value }) => ({ id, value })),
        period,
      ).toEqual(ranking(perUser));
      expect(
        byChannel.messages.map(({ id, value }) => ({ id, value })),
        period,
      ).toEqual(ranking(perChannel));
      const o = (await (await c.get(`/api/guilds/${guildId}/overview?period=${period}`)).json()) as typeof ov;
      expect(o.totals.activeMembers, period).toBe(perUser.size);
    }

    const csv = await c.get(`/api/guilds/${guildId}/members.csv?period=7d`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('user_id,name,messages,voice_seconds');
    // The name column may still be empty here: names arrive with the member list the shard asks for.
    expect(lines[1]).toMatch(new RegExp(`^${top.id},.*,${top.value},\\d+$`));
  });

  it('refuses without a session, for another server, and with malformed ids', async () => {
    expect((await fetch(`${web.url}/api/me`)).status).toBe(401);
    expect((await fetch(`${web.url}/api/guilds/${guildId}/overview`)).status).toBe(401);
    const c = await signIn(web, t, owner());
    // A server the user is not in (another guild's owner may not be in this one) and one that does not exist: both 404.
    const other = [...t.sim.world.guilds.values()].find((g) => !g.members.has(owner()));
    if (other) expect((await c.get(`/api/guilds/${other.id}/overview`)).status).toBe(404);
    const none = await c.get('/api/guilds/123456789012345678/overview');
    expect(none.status).toBe(404);
    expect(await none.text()).not.toContain('123456789012345678');
    expect((await c.get('/api/guilds/not-a-snowflake/overview')).status).toBe(400);
  });

  it('opens only their own page to a member without the permission', async () => {
    const plain = plainMember();
    const c = await signIn(web, t, plain);
    const me = (await (await c.get('/api/me')).json()) as {
      guilds: { id: string; server: boolean; manage: boolean }[];
    };
    expect(me.guilds.find((g) => g.id === guildId)).toMatchObject({ server: false, manage: false });
    expect((await c.get(`/api/guilds/${guildId}/overview`)).status).toBe(403);
    expect((await c.get(`/api/guilds/${guildId}/members`)).status).toBe(403);
    expect((await c.get(`/api/guilds/${guildId}/members/${owner()}`)).status).toBe(403);
    expect((await c.get(`/api/guilds/${guildId}/settings`)).status).toBe(403);
    expect((await c.get(`/api/guilds/${guildId}/structure`)).status).toBe(403);
    const own = await c.get(`/api/guilds/${guildId}/members/${plain}?period=7d`);
    expect(own.status).toBe(200);
    const mine = t.sim.truth.messagesIn(guildId).filter((m) => m.authorId === plain).length;
    expect(((await own.json()) as { summary: { messages: number } }).summary.messages).toBe(mine);
  });

  it('follows /settings member-stats: View Server Insights opens the server until the server narrows it to managers', async () => {
    const g = guild();
    const user = [...g.members.values()].filter(
      (m) => !m.user.bot && m.roles.length === 0 && m.user.id !== g.ownerId,
    )[1]!;
    const roleId = t.sim.newSnowflake();
    g.roles.push({
      id: roleId,
      name: 'Insights',
      color: 0,
      position: 1,
      permissions: String(PermissionFlagsBits.ViewGuildInsights),
      hoist: false,
      mentionable: false,
      managed: false,
    });
    user.roles.push(roleId);
    const c = await signIn(web, t, user.user.id);
    expect((await c.get(`/api/guilds/${guildId}/overview`)).status).toBe(200);
    await web.settings.update(guildId, { memberStatsManagersOnly: true });
    try {
      expect((await c.get(`/api/guilds/${guildId}/overview`)).status).toBe(403);
      expect((await c.get(`/api/guilds/${guildId}/members/${user.user.id}`)).status).toBe(200);
    } finally {
      await web.settings.update(guildId, { memberStatsManagersOnly: false });
    }
  });

  it('needs the CSRF token and our origin for a change, and applies it in the shard over pub/sub', async () => {
    const c = await signIn(web, t, owner());
    const url = `/api/guilds/${guildId}/settings`;
    expect((await c.post(url, { includeBots: true }, { csrf: null })).status).toBe(403);
    expect((await c.post(url, { includeBots: true }, { csrf: 'A'.repeat(43) })).status).toBe(403);
    expect((await c.post(url, { includeBots: true }, { origin: 'http://evil.example' })).status).toBe(403);
    expect(
      (
        await fetch(`${web.url}${url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf, origin: web.url },
          body: '{}',
        })
      ).status,
    ).toBe(403);
    expect(t.bot.settings.get(guildId).includeBots).toBe(false);
    expect((await c.post(url, { timeZone: 'Not/AZone' })).status).toBe(400);
    const ok = await c.post(url, { includeBots: true, timeZone: 'asia/kolkata' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ includeBots: true, timeZone: 'Asia/Kolkata' });
    await expect.poll(() => t.bot.settings.get(guildId).timeZone).toBe('Asia/Kolkata');
    expect(t.bot.settings.get(guildId).includeBots).toBe(true);
    // A plain member cannot change settings even with a valid token of their own.
    const p = await signIn(web, t, plainMember());
    expect((await p.post(url, { includeBots: false })).status).toBe(403);
    await c.post(url, { includeBots: false, timeZone: 'UTC' });
  });

  it('refuses a forged or replayed OAuth state and sets a hardened cookie and CSP', async () => {
    expect(
      (await fetch(`${web.url}/auth/callback?code=x&state=${'B'.repeat(43)}`, { redirect: 'manual' })).status,
    ).toBe(400);
    const login = await fetch(`${web.url}/auth/login`, { redirect: 'manual' });
    const authorize = new URL(login.headers.get('location')!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    authorize.searchParams.set('sim_user', owner());
    const callback = (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!;
    const first = await fetch(callback, { redirect: 'manual' });
    expect(first.status).toBe(302);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(400);
    const page = await fetch(`${web.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('ends access within a minute of losing the permission', async () => {
    const g = guild();
    const admin = g.roles.find((r) => r.name === 'Admin')!;
    const user = [...g.members.values()].filter(
      (m) => !m.user.bot && m.roles.length === 0 && m.user.id !== g.ownerId,
    )[2]!;
    user.roles.push(admin.id);
    const c = await signIn(web, t, user.user.id);
    expect((await c.get(`/api/guilds/${guildId}/overview`)).status).toBe(200);
    user.roles.splice(user.roles.indexOf(admin.id), 1);
    // The session trusts what Discord said for a minute: age it by a minute instead of waiting.
    const key = `${t.prefix}:web:session:${c.cookie.slice('sid='.length)}`;
    const s = JSON.parse((await t.redis.get(key))!) as { guildsAt: number };
    await t.redis.set(key, JSON.stringify({ ...s, guildsAt: s.guildsAt - 61_000 }), 'KEEPTTL');
    expect((await c.get(`/api/guilds/${guildId}/overview`)).status).toBe(403);
    // A token Discord revoked ends the session.
    t.sim.oauth.revokeUser(user.user.id);
    await t.redis.set(key, JSON.stringify({ ...JSON.parse((await t.redis.get(key))!), guildsAt: 0 }), 'KEEPTTL');
    expect((await c.get(`/api/guilds/${guildId}/overview`)).status).toBe(401);
    expect(await t.redis.exists(key)).toBe(0);
  });

  it("filters by role and category as the commands do, names members and channels, and refuses another server's", async () => {
    const g = guild();
    const people = t.sim.world.humanMembers(guildId);
    const roleId = t.sim.structure.createRole(guildId, 'Dashboard testers', 0x3366ff).id;
    people.forEach((m, k) => {
      if (k % 2 === 0) t.sim.structure.setMemberRoles(guildId, m.user.id, { add: [roleId] });
    });
    const holders = new Set(people.filter((m) => m.roles.includes(roleId)).map((m) => m.user.id));
    await expect
      .poll(() => recordedHolders(t.pool, guildId, roleId), { timeout: 20_000, interval: 200 })
      .toBe(holders.size);

    const c = await signIn(web, t, owner());
    const humans = t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook);
    type Overview = { totals: { messages: number; activeMembers: number } };
    const byRole = (await (await c.get(`/api/guilds/${guildId}/overview?period=7d&role=${roleId}`)).json()) as Overview;
    const ofHolders = humans.filter((m) => holders.has(m.authorId));
    expect(byRole.totals.messages).toBe(ofHolders.length);
    expect(byRole.totals.activeMembers).toBe(new Set(ofHolders.map((m) => m.authorId)).size);

    // The busiest category: messages of every channel under it, threads included.
    const cats = g.channels
      .filter((x) => x.type === ChannelKind.Category)
      .map((cat) => {
        const ids = new Set(t.sim.world.categoryChannels(guildId, cat.id).map((x) => x.id));
        return { cat, n: humans.filter((m) => ids.has(m.channelId)).length };
      });
    const busiest = cats.sort((a, b) => b.n - a.n)[0]!;
    expect(busiest.n).toBeGreaterThan(0);
    const byCategory = (await (
      await c.get(`/api/guilds/${guildId}/overview?period=7d&category=${busiest.cat.id}`)
    ).json()) as Overview;
    expect(byCategory.totals.messages).toBe(busiest.n);

    // Names: the roles and categories the pickers offer, and members by Discord's display-name rule.
    const structure = (await (await c.get(`/api/guilds/${guildId}/structure`)).json()) as {
      channels: { id: string; name: string; type: number }[];
      roles: { id: string; name: string }[];
    };
    expect(structure.roles).toContainEqual(expect.objectContaining({ id: roleId, name: 'Dashboard testers' }));
    expect(structure.channels).toContainEqual(
      expect.objectContaining({ id: busiest.cat.id, name: busiest.cat.name, type: ChannelKind.Category }),
    );
    type Members = { messages: { id: string; name: string | null }[] };
    // Names arrive with the member list the shard asks for (op 8); wait until the top members have theirs.
    let members: Members = { messages: [] };
    await expect
      .poll(
        async () => {
          members = (await (await c.get(`/api/guilds/${guildId}/members?period=7d`)).json()) as Members;
          return members.messages.filter((r) => r.name === null).map((r) => r.id);
        },
        { timeout: 20_000, interval: 250 },
      )
      .toEqual([]);
    const displayName = (id: string) => {
      const m = g.members.get(id)!;
      return m.nick ?? m.user.globalName ?? m.user.username;
    };
    expect(members.messages.length).toBeGreaterThan(0);
    for (const r of members.messages) expect(r.name, r.id).toBe(displayName(r.id));
    const one = (await (await c.get(`/api/guilds/${guildId}/members/${members.messages[0]!.id}?period=7d`)).json()) as {
      name: string;
    };
    expect(one.name).toBe(displayName(members.messages[0]!.id));
    const csv = (await (await c.get(`/api/guilds/${guildId}/channels.csv?period=7d`)).text()).split('\r\n');
    expect(csv[0]).toBe('channel_id,name,messages,voice_seconds');
    const first = csv[1]!.split(',');
    expect(first[1]).toBe(g.channels.find((x) => x.id === first[0])!.name);

    // Another server's role or category, a text channel as a category, a deleted role: 400, nothing read.
    const other = [...t.sim.world.guilds.values()].find((x) => x.id !== guildId)!;
    const foreignRole = other.roles.find((r) => r.id !== other.id && !r.managed)!;
    const foreignCategory = other.channels.find((x) => x.type === ChannelKind.Category)!;
    const doomed = await deletedRole(t, guildId, 'Short-lived');
    for (const [q, why] of [
      [`role=${foreignRole.id}`, /not one of this server's roles/],
      [`category=${foreignCategory.id}`, /not one of this server's channels/],
      [`category=${t.sim.world.textChannels(guildId)[0]!.id}`, /not a category/],
      [`role=${doomed}`, /deleted/],
    ] as const) {
      const r = await c.get(`/api/guilds/${guildId}/overview?${q}`);
      expect(r.status, q).toBe(400);
      expect(((await r.json()) as { error: string }).error, q).toMatch(why);
    }
    for (const id of holders) t.sim.structure.setMemberRoles(guildId, id, { remove: [roleId] });
  }, 60_000);

  it('refuses absurd ranges and filters it cannot apply', async () => {
    const c = await signIn(web, t, owner());
    for (const q of [
      'from=2026-05-02&to=2026-05-01',
      'from=2001-01-01&to=2001-02-01',
      'from=2016-01-01&to=2025-01-01',
      'from=2024-02-30&to=2024-03-02',
      'period=forever',
      'from=2024-01-01',
      'role=12',
      'category=x',
      'bots=maybe',
      'extra=1',
    ]) {
      const r = await c.get(`/api/guilds/${guildId}/overview?${q}`);
      expect(r.status, q).toBe(400);
    }
  });
});
