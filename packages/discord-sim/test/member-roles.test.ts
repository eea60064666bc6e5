// Member role adds and removes over REST as Discord answers them: Manage Roles, the role hierarchy (403
// 50013 at or above the bot's highest role, managed roles, @everyone), 404s for unknown members and roles,
// GUILD_MEMBER_UPDATE on a change, the audit-log reason in the ground truth, and the route's rate limit.
import { GatewayDispatchEvents } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

const MANAGE_ROLES = 1n << 28n;

async function setup(o: { limits?: boolean } = {}) {
  const sim = await startSimulator({ guilds: 2, seed: 7, ...(o.limits === false ? { limits: { rest: false } } : {}) });
  sims.push(sim);
  const g = [...sim.world.guilds.values()][0]!;
  const botRole = g.roles.find((r) => r.managed && r.botId === sim.world.botUser.id)!;
  const role = sim.structure.createRole(g.id, 'Regulars');
  const member = sim.world.humanMembers(g.id).find((m) => m.user.id !== g.ownerId)!.user.id;
  const dispatched: { event: string; data: unknown }[] = [];
  const dispatch = sim.dispatchGuildEvent.bind(sim);
  sim.dispatchGuildEvent = ((guildId: string, event: GatewayDispatchEvents, data: never) => {
    dispatched.push({ event, data });
    return dispatch(guildId, event, data);
  }) as typeof sim.dispatchGuildEvent;
  const call = (method: 'PUT' | 'DELETE', userId: string, roleId: string, reason?: string) =>
    fetch(`${sim.apiUrl}/v10/guilds/${g.id}/members/${userId}/roles/${roleId}`, {
      method,
      headers: {
        authorization: `Bot ${sim.token}`,
        ...(reason !== undefined ? { 'x-audit-log-reason': encodeURIComponent(reason) } : {}),
      },
    });
  return { sim, g, botRole, role, member, dispatched, call };
}

describe('member roles over REST', () => {
  it('refuses without Manage Roles, then adds and removes with GUILD_MEMBER_UPDATE and the audit-log reason', async () => {
    const { sim, g, botRole, role, member, dispatched, call } = await setup();
    const denied = await call('PUT', member, role.id, 'activity role');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ code: 50013, message: 'Missing Permissions' });
    sim.structure.updateRole(g.id, botRole.id, { permissions: String(BigInt(botRole.permissions) | MANAGE_ROLES) });
    dispatched.length = 0;

    const added = await call('PUT', member, role.id, 'Activity role: ≥ 100 messages in 30 days');
    expect(added.status).toBe(204);
    expect(g.members.get(member)!.roles).toContain(role.id);
    expect(dispatched.map((d) => d.event)).toEqual([GatewayDispatchEvents.GuildMemberUpdate]);
    expect((dispatched[0]!.data as { roles: string[]; user: { id: string } }).roles).toContain(role.id);
    // Adding again changes nothing: 204, no dispatch, no audit entry.
    expect((await call('PUT', member, role.id, 'again')).status).toBe(204);
    expect(dispatched).toHaveLength(1);
    const removed = await call('DELETE', member, role.id);
    expect(removed.status).toBe(204);
    expect(g.members.get(member)!.roles).not.toContain(role.id);
    expect(sim.memberRoles.changes.map(({ at: _, ...c }) => c)).toEqual([
      {
        guildId: g.id,
        userId: member,
        roleId: role.id,
        action: 'add',
        reason: 'Activity role: ≥ 100 messages in 30 days',
      },
      { guildId: g.id, userId: member, roleId: role.id, action: 'remove', reason: null },
    ]);
  });

  it("enforces the hierarchy (403 50013 at or above the bot's highest role, managed roles, @everyone) and answers 404s", async () => {
    // Without the REST limits: this is about the answers, not the pace.
    const { sim, g, botRole, role, member, call } = await setup({ limits: false });
    sim.structure.updateRole(g.id, botRole.id, { permissions: String(BigInt(botRole.permissions) | MANAGE_ROLES) });
    sim.structure.updateRole(g.id, role.id, { position: botRole.position });
    expect((await call('PUT', member, role.id)).status).toBe(403);
    sim.structure.updateRole(g.id, role.id, { position: botRole.position + 1 });
    const above = await call('PUT', member, role.id);
    expect(above.status).toBe(403);
    expect(((await above.json()) as { code: number }).code).toBe(50013);
    const managed = sim.structure.createRole(g.id, 'Integration');
    sim.structure.updateRole(g.id, managed.id, { managed: true });
    expect((await call('PUT', member, managed.id)).status).toBe(403);
    expect((await call('PUT', member, g.id)).status).toBe(403);
    const unknownRole = await call('PUT', member, '1234567890123456789');
    expect([unknownRole.status, ((await unknownRole.json()) as { code: number }).code]).toEqual([404, 10011]);
    const unknownMember = await call('PUT', '1234567890123456789', role.id);
    expect([unknownMember.status, ((await unknownMember.json()) as { code: number }).code]).toEqual([404, 10007]);
    // Another guild's role is an unknown role here.
    const other = [...sim.world.guilds.values()][1]!.roles.find((r) => r.id !== [...sim.world.guilds.values()][1]!.id)!;
    expect((await call('PUT', member, other.id)).status).toBe(404);
    expect(sim.memberRoles.changes).toEqual([]);
  });

  it('is rate limited per guild like every route: X-RateLimit headers, then a 429', async () => {
    const { sim, g, botRole, role, call } = await setup();
    sim.structure.updateRole(g.id, botRole.id, { permissions: String(BigInt(botRole.permissions) | MANAGE_ROLES) });
    const members = sim.world
      .humanMembers(g.id)
      .map((m) => m.user.id)
      .slice(0, 6);
    const statuses: number[] = [];
    for (const m of members) {
      const r = await call('PUT', m, role.id);
      statuses.push(r.status);
      if (r.status === 204) expect(r.headers.get('x-ratelimit-limit')).toBe('5');
      else expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses).toEqual([204, 204, 204, 204, 204, 429]);
    expect(sim.memberRoles.changes).toHaveLength(5);
  });
});
