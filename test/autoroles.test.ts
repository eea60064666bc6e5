// Activity roles end to end: members' messages through the simulator into an in-process bot, ingested;
// /autoroles through the simulator's interactions; the scheduler (src/scheduler, the real Scheduler with
// the autoroles job and a REST-only client) giving and taking roles over the simulator's REST routes, which
// check Manage Roles and the hierarchy, dispatch GUILD_MEMBER_UPDATE and record the audit-log reason. The
// expected holders are computed here from the simulator's messages and the roles it holds.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CommandOption, RecordedReply, SimRole } from 'discord-sim';
import { Keys } from '../src/keys.js';
import { createAutorolesJob } from '../src/scheduler/jobs/autoroles.js';
import { createSchedulerRest } from '../src/scheduler/rest.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

const EPHEMERAL = 64;
const MANAGE = String((1n << 5n) | (1n << 28n)); // Manage Server + Manage Roles
const MANAGE_ROLES = 1n << 28n;
const HOUR = 3_600_000;

let t: TestBot;
let g: string;
let g2: string;
let channelId: string;
let regulars: SimRole;
let talkers: SimRole;
let staff: SimRole;
let integration: SimRole;
let optedOut: string;
let manualHolders: string[];
/** Messages each human sent (today and yesterday only). */
const sent = new Map<string, number>();

let nextUser = 0;
function invoke(
  guildId: string,
  sub: string,
  options: CommandOption[],
  o: { permissions?: string } = {},
): Promise<RecordedReply> {
  const humans = t.sim.world.humanMembers(guildId);
  const userId = humans[nextUser++ % humans.length]!.user.id;
  return t.sim.invokeCommand({
    guildId,
    channelId: t.sim.world.textChannels(guildId)[0]!.id,
    userId,
    name: 'autoroles',
    subcommand: sub,
    options,
    permissions: o.permissions ?? MANAGE,
    timeoutMs: 30_000,
  });
}
const role = (id: string): CommandOption => ({ name: 'role', type: 8, value: id });
const ruleOpts = (id: string, activity: string, rule: string, amount: number, days?: number): CommandOption[] => [
  role(id),
  { name: 'activity', type: 3, value: activity },
  { name: 'rule', type: 3, value: rule },
  { name: 'amount', type: 4, value: amount },
  ...(days ? [{ name: 'days', type: 4, value: days }] : []),
];
const holders = (roleId: string) =>
  [...t.sim.world.guild(g)!.members.values()]
    .filter((m) => m.roles.includes(roleId))
    .map((m) => m.user.id)
    .sort();
/** Current human members (not opted out) with at least `min` messages. */
const qualify = (min: number) =>
  [...sent]
    .filter(([id, n]) => n >= min && id !== optedOut && t.sim.world.guild(g)!.members.has(id))
    .map(([id]) => id)
    .sort();
const mentions = (text: string) => [...text.matchAll(/<@(\d+)>/g)].map((m) => m[1]!).sort();

/** member_roles equals the simulator's holders of the role (the shard wrote the GUILD_MEMBER_UPDATEs). */
async function rolesRecorded(roleId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      await t.bot.structure.flush();
      const ids = (
        await t.pool.query<{ id: string }>(
          'SELECT user_id::text AS id FROM member_roles WHERE guild_id = $1 AND role_id = $2 ORDER BY 1',
          [g, roleId],
        )
      ).rows
        .map((r) => r.id)
        .sort();
      expect(ids).toEqual(holders(roleId));
    },
    { timeout: 20_000, interval: 200 },
  );
}

async function membersRecorded(present: string[]): Promise<void> {
  await vi.waitFor(
    async () => {
      await t.bot.structure.flush();
      const ids = (
        await t.pool.query<{ id: string }>(
          'SELECT user_id::text AS id FROM guild_members WHERE guild_id = $1 ORDER BY 1',
          [g],
        )
      ).rows
        .map((x) => x.id)
        .sort();
      expect(ids).toEqual(present);
    },
    { timeout: 30_000, interval: 250 },
  );
}

beforeAll(async () => {
  t = await startTestBot({ name: 'autoroles', sim: { guilds: 3, seed: 47 } });
  const guilds = [...t.sim.world.guilds.values()].sort(
    (a, b) => t.sim.world.humanMembers(b.id).length - t.sim.world.humanMembers(a.id).length,
  );
  g = guilds[0]!.id;
  g2 = guilds[1]!.id;
  channelId = t.sim.world.textChannels(g)[0]!.id;
  for (const guild of [g, g2]) {
    const botRole = t.sim.world.guild(guild)!.roles.find((r) => r.managed && r.botId === t.sim.world.botUser.id)!;
    t.sim.structure.updateRole(guild, botRole.id, { permissions: String(BigInt(botRole.permissions) | MANAGE_ROLES) });
  }
  // Roles are created at once, while GUILD_CREATE's role sweep may still be pending: it must keep them
  // and who holds them (src/shard/structure.ts, keepInSweeps).
  const botRole = t.sim.world.guild(g)!.roles.find((r) => r.managed && r.botId === t.sim.world.botUser.id)!;
  regulars = t.sim.structure.createRole(g, 'Regulars');
  talkers = t.sim.structure.createRole(g, 'Top talkers');
  staff = t.sim.structure.createRole(g, 'Staff');
  t.sim.structure.updateRole(g, staff.id, { position: botRole.position + 1 });
  integration = t.sim.structure.createRole(g, 'Integration');
  t.sim.structure.updateRole(g, integration.id, { managed: true });
  const humans = t.sim.world.humanMembers(g).map((m) => m.user.id);
  expect(humans.length).toBeGreaterThanOrEqual(12);
  // Member k sends k % 7 messages over the last day (within the 7-day window in UTC).
  const now = Date.now();
  humans.forEach((id, k) => {
    const n = k % 7;
    sent.set(id, n);
    for (let j = 0; j < n; j++)
      t.sim.sendMessage({ guildId: g, channelId, authorId: id, content: 'hello', timestamp: now - (j + 1) * HOUR });
  });
  // Three members hold Regulars by hand: one who qualifies, two who do not.
  manualHolders = [humans.find((id) => sent.get(id)! >= 3)!, ...humans.filter((id) => sent.get(id)! < 3).slice(0, 2)];
  for (const id of manualHolders) t.sim.structure.setMemberRoles(g, id, { add: [regulars.id] });
  await t.ingestUntil(async () => {
    const db = await messageTotalsByChannelMember(t.pool, [g]);
    return [...t.sim.truth.messageTotals()]
      .filter(([k, v]) => k.startsWith(`${g}|`) && db.get(k)?.messages !== v.messages)
      .map(([k]) => k);
  });
  // The busiest qualifying member opts out: never given the role.
  optedOut = humans.filter((id) => sent.get(id) === 6 && !manualHolders.includes(id))[0]!;
  const r = await t.sim.invokeCommand({
    guildId: g,
    channelId,
    userId: optedOut,
    name: 'privacy',
    subcommand: 'opt-out',
    options: [],
    timeoutMs: 30_000,
  });
  expect(r.content).toContain('opted out');
  await membersRecorded([...t.sim.world.guild(g)!.members.keys()].filter((id) => id !== optedOut).sort());
  await rolesRecorded(regulars.id);
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('/autoroles', () => {
  it('refuses what the bot cannot give, bad amounts and members without the permissions, saving nothing', async () => {
    const cases: [CommandOption[], string][] = [
      [
        ruleOpts(staff.id, 'messages', 'threshold', 3),
        '**Staff** is at or above the bot’s highest role; move the bot’s role above it in Server Settings → Roles.',
      ],
      [
        ruleOpts(integration.id, 'messages', 'threshold', 3),
        '**Integration** is managed by an integration or a bot; Discord does not let anyone give it.',
      ],
      [ruleOpts(g, 'messages', 'threshold', 3), '@everyone is every member’s role: it cannot be given by activity.'],
      [
        ruleOpts(t.sim.world.guild(g2)!.roles.find((r) => r.id !== g2 && !r.managed)!.id, 'messages', 'threshold', 3),
        'That role is not one of this server’s roles.',
      ],
      [ruleOpts(regulars.id, 'voice', 'top', 5000), '`amount` must be from 1 to 1,000 for this rule.'],
      [ruleOpts(regulars.id, 'messages', 'threshold', 3, 400), '`days` must be a whole number of days from 1 to 365.'],
    ];
    for (const [options, message] of cases) {
      const r = await invoke(g, 'add', options);
      expect(r.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(r.content).toBe(message);
    }
    const denied = await invoke(g, 'add', ruleOpts(regulars.id, 'messages', 'threshold', 3), {
      permissions: String(1n << 5n),
    });
    expect(denied.content).toBe(
      'Only members with the Manage Server and Manage Roles permissions can change activity roles.',
    );
    expect((await invoke(g, 'list', [])).content).toBe('No activity roles yet. Add one with /autoroles add.');
  }, 90_000);

  it('refuses a rule that would reach 100,000 members with the count, and saves nothing', async () => {
    // 100,001 members with a message today in the second server (seeded in SQL: the simulator's world is small).
    const humanRole = t.sim.structure.createRole(g2, 'Everyone active');
    await t.pool.query(
      `INSERT INTO guild_members (guild_id, user_id, display_name) SELECT $1::bigint, 5000000000000000000 + n, 'm' || n FROM generate_series(1, 100001) AS n`,
      [g2],
    );
    await t.pool.query(
      `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
       SELECT date_trunc('minute', now()) - INTERVAL '1 minute', $1::bigint, 1, 0, 5000000000000000000 + n, 1, 1, 0 FROM generate_series(1, 100001) AS n`,
      [g2],
    );
    const r = await invoke(g2, 'add', ruleOpts(humanRole.id, 'messages', 'threshold', 1, 1));
    expect(r.content).toBe(
      'This rule would give **Everyone active** to 100,001 members; an activity role may go to at most 10,000. Raise the amount, shorten the window or use a top rule. Nothing was saved.',
    );
    expect((await invoke(g2, 'list', [])).content).toBe('No activity roles yet. Add one with /autoroles add.');
  }, 120_000);

  it('adds a rule, previews who gains and loses, and the scheduler applies exactly that, capped per run, with the audit-log reason', async () => {
    const want = qualify(3);
    expect(want.length).toBeGreaterThan(3);
    const gain = want.filter((id) => !manualHolders.includes(id));
    const lose = manualHolders.filter((id) => !want.includes(id));
    expect(lose).toHaveLength(2);
    const added = await invoke(g, 'add', ruleOpts(regulars.id, 'messages', 'threshold', 3, 7));
    expect(added.content).toBe(
      `**Regulars**: ≥ 3 messages in the last 7 days. The next evaluation gives it to ${gain.length} members and takes it from 2 members (members who do not qualify lose it: the rule owns the role). See them with /autoroles preview.`,
    );
    const again = await invoke(g, 'add', ruleOpts(regulars.id, 'voice', 'top', 3));
    expect(again.content).toBe('**Regulars** already has an activity rule; remove it first with /autoroles remove.');
    const preview = await invoke(g, 'preview', [role(regulars.id)]);
    const fields = Object.fromEntries(
      (preview.embeds[0] as { fields: { name: string; value: string }[] }).fields.map((f) => [f.name, f.value]),
    );
    // As many as fit in the field, then "… and N more".
    const shown = fields[`Would gain (${gain.length})`]!;
    const more = Number(/… and (\d+) more$/.exec(shown)?.[1] ?? 0);
    expect(mentions(shown).length + more).toBe(gain.length);
    expect(gain).toEqual(expect.arrayContaining(mentions(shown)));
    expect(mentions(fields['Would lose (2)']!)).toEqual(lose.sort());
    expect(fields.Qualify).toBe(String(want.length));
    expect(holders(regulars.id)).toEqual([...manualHolders].sort()); // a preview changes nothing

    // The scheduler, with 3 changes per run: the first run changes 3, the next (a minute later) the rest.
    let offset = 0;
    const rest = createSchedulerRest({ api: t.sim.apiUrl, token: t.sim.token, globalRequestsPerSecond: 40 });
    const job = createAutorolesJob({ maxChangesPerRun: 3, perSecond: 2 });
    const scheduler = new Scheduler({
      pool: t.pool,
      redis: t.redis,
      rest,
      render: t.render,
      logger: t.logger,
      jobs: [job],
      keys: new Keys(t.prefix),
      partitions: t.config.redisPartitions,
      clock: () => new Date(Date.now() + offset),
    });
    await scheduler.sync();
    expect(await scheduler.tick()).toBe(1);
    await scheduler.idle();
    expect(t.sim.memberRoles.changes).toHaveLength(3);
    const runEnds = [3];
    expect((await invoke(g, 'list', [])).content).toMatch(
      new RegExp(
        `^<@&${regulars.id}>: ≥ 3 messages in the last 7 days · evaluated <t:\\d+:R> · ${gain.length + 2 - 3} changes pending$`,
      ),
    );
    await rolesRecorded(regulars.id);
    expect(await scheduler.tick()).toBe(0); // not due yet
    for (let run = 0; run < 10 && t.sim.memberRoles.changes.length < gain.length + 2; run++) {
      offset += 61_000;
      expect(await scheduler.tick()).toBe(1);
      await scheduler.idle();
      runEnds.push(t.sim.memberRoles.changes.length);
      await rolesRecorded(regulars.id);
    }
    expect(holders(regulars.id)).toEqual(want);
    expect(holders(regulars.id)).not.toContain(optedOut);
    const changes = t.sim.memberRoles.changes.map((c) => `${c.action} ${c.userId}`).sort();
    expect(changes).toEqual([...gain.map((id) => `add ${id}`), ...lose.map((id) => `remove ${id}`)].sort());
    for (const c of t.sim.memberRoles.changes)
      expect([c.guildId, c.roleId, c.reason]).toEqual([
        g,
        regulars.id,
        'Activity role: ≥ 3 messages in the last 7 days',
      ]);
    // Paced at 2 a second within a run: no three changes of one run reached Discord within one second (a few
    // ms of delivery jitter allowed). Runs are a minute apart in production; here the clock is moved.
    const at = t.sim.memberRoles.changes.map((c) => c.at);
    runEnds.forEach((end, r) => {
      for (let k = (runEnds[r - 1] ?? 0) + 2; k < end; k++) expect(at[k]! - at[k - 2]!).toBeGreaterThanOrEqual(950);
    });
    // Caught up: the next run is an hour later and changes nobody (only who changes is sent).
    offset += 61_000;
    expect(await scheduler.tick()).toBe(0);
    offset += 3_600_000;
    expect(await scheduler.tick()).toBe(1);
    await scheduler.idle();
    expect(t.sim.memberRoles.changes).toHaveLength(gain.length + 2);
    await scheduler.stop();
  }, 120_000);

  it('top N by messages: the N most active current members (ties by id), and remove stops the rule', async () => {
    const ranked = [...sent]
      .filter(([id, n]) => n > 0 && id !== optedOut)
      .sort((a, b) => b[1] - a[1] || (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
    const want = ranked
      .slice(0, 2)
      .map(([id]) => id)
      .sort();
    const r = await invoke(g, 'add', ruleOpts(talkers.id, 'messages', 'top', 2, 7));
    expect(r.content).toContain(
      '**Top talkers**: top 2 by messages in the last 7 days. The next evaluation gives it to 2 members',
    );
    const before = t.sim.memberRoles.changes.length;
    const job = createAutorolesJob();
    const rest = createSchedulerRest({ api: t.sim.apiUrl, token: t.sim.token, globalRequestsPerSecond: 40 });
    const scheduler = new Scheduler({
      pool: t.pool,
      redis: t.redis,
      rest,
      render: t.render,
      logger: t.logger,
      jobs: [job],
      keys: new Keys(t.prefix),
      partitions: t.config.redisPartitions,
      clock: () => new Date(Date.now() + 10 * 3_600_000),
    });
    await scheduler.sync();
    expect(await scheduler.tick()).toBe(1);
    await scheduler.idle();
    await scheduler.stop();
    expect(holders(talkers.id)).toEqual(want);
    expect(t.sim.memberRoles.changes.slice(before).map((c) => c.reason)).toEqual([
      'Activity role: top 2 by messages in the last 7 days',
      'Activity role: top 2 by messages in the last 7 days',
    ]);
    const removed = await invoke(g, 'remove', [role(talkers.id)]);
    expect(removed.content).toBe(`<@&${talkers.id}> is no longer given by activity; members who hold it keep it.`);
    expect((await invoke(g, 'list', [])).content).not.toContain(talkers.id);
    expect(holders(talkers.id)).toEqual(want);
  }, 90_000);
});
