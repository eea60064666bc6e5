// /counters end to end (test/counters.test.ts is about the shards' Redis counters): the command (through the simulator, in gateway or HTTP mode) validates and
// stores a counter, the scheduler's counter job renames the channel over REST, the simulator applies the
// rename (CHANNEL_UPDATE, which the bot's structure recorder writes back) and records it in its ground
// truth. Expected names come from the simulator's world (its member count), never from the bot's code.
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { startSimulator, type Simulator } from 'discord-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
import { createSchedulerRest } from '../src/scheduler/rest.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { countersJob } from '../src/scheduler/jobs/counters.js';
import { requestRun } from '../src/scheduled-runs.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

// Discord allows 2 renames per channel per 10 minutes. The bot keeps that limit by its own clock, which
// this test drives virtually (minutes pass in milliseconds); the simulator's window is shortened to
// 4 real seconds so that the third rename, 10 virtual minutes later, is not refused by a window that, in
// real time, has barely begun. A separate simulator below checks the real 10-minute limit itself.
const SIM_WINDOW_MS = 4_000;
const MANAGE_GUILD = String(PermissionFlagsBits.ManageGuild);
const SEND_MESSAGES = String(PermissionFlagsBits.SendMessages);
const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let t: TestBot;
let sim: Simulator;
let g: string;
let other: string;
let admin: string;
let text: string;
let scheduler: Scheduler;
// Virtual time starts after the real clock (a command's requestRun makes its job due at the real now).
const T0 = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
let now = T0;

function grantBot(guildId: string, bits: bigint, on: boolean): void {
  const G = sim.world.guild(guildId)!;
  const me = G.members.get(sim.world.botUser.id)!;
  for (const r of G.roles) {
    if (me.roles.includes(r.id))
      r.permissions = (on ? BigInt(r.permissions) | bits : BigInt(r.permissions) & ~bits).toString();
  }
}

const lastUse = new Map<string, number>();
async function counters(
  subcommand: string,
  options: { name: string; type: number; value: string }[] = [],
  o: { userId?: string; permissions?: string } = {},
) {
  const userId = o.userId ?? admin;
  // The command's 1 s per-member cooldown, passed on the test clock the router reads.
  const wait = (lastUse.get(userId) ?? 0) + 1_100 - t.clock.now();
  if (wait > 0) t.clock.advance(wait);
  const reply = await sim.invokeCommand({
    guildId: g,
    channelId: text,
    userId,
    name: 'counters',
    subcommand,
    options,
    permissions: o.permissions ?? MANAGE_GUILD,
  });
  lastUse.set(userId, t.clock.now());
  return reply;
}
const channelOpt = (id: string) => ({ name: 'channel', type: 7, value: id });
const templateOpt = (value: string) => ({ name: 'template', type: 3, value });

async function runCounters(): Promise<void> {
  await scheduler.sync();
  await scheduler.tick();
  await scheduler.idle();
}
const renamesOf = (channelId: string) => sim.truth.channelRenames.filter((r) => r.channelId === channelId);
const stored = async () =>
  (await t.pool.query('SELECT channel_id::text, disabled_reason FROM channel_counters WHERE guild_id = $1', [g])).rows;

beforeAll(async () => {
  t = await startTestBot({
    name: 'counters',
    sim: { guilds: 2, limits: { channelRenameWindowMs: SIM_WINDOW_MS } },
    families: ['messages'],
  });
  sim = t.sim;
  [g, other] = [...sim.world.guilds.keys()] as [string, string];
  admin = sim.world.humanMembers(g)[1]!.user.id;
  text = sim.world.textChannels(g)[0]!.id;
  grantBot(g, PermissionFlagsBits.ManageChannels, true);
  scheduler = new Scheduler({
    render: t.render,
    pool: t.pool,
    redis: t.redis,
    rest: createSchedulerRest({ api: sim.apiUrl, token: sim.token, globalRequestsPerSecond: 5 }),
    logger: t.logger,
    jobs: [countersJob],
    keys: new Keys(t.prefix),
    partitions: t.config.redisPartitions,
    clock: () => new Date(now),
  });
});

afterAll(async () => {
  await scheduler?.stop();
  await t?.stop();
});

describe('/counters', () => {
  it('refuses bad input with a clear ephemeral answer and stores nothing', async () => {
    const vc = sim.world.voiceChannels(g)[0]!.id;
    const cases: [
      string,
      { name: string; type: number; value: string }[],
      RegExp,
      { userId?: string; permissions?: string }?,
    ][] = [
      [
        'add',
        [channelOpt(vc), templateOpt('👥 Members: {members}')],
        /Manage Server/,
        { userId: sim.world.humanMembers(g)[2]!.user.id, permissions: SEND_MESSAGES },
      ],
      ['add', [channelOpt(vc), templateOpt('Users: {users}')], /Unknown variable \{users\}/],
      ['add', [channelOpt(vc), templateOpt(`{members} ${'x'.repeat(91)}`)], /101 characters.*at most 100/],
      ['add', [channelOpt(vc), templateOpt(`{members}${'y'.repeat(191)}`)], /200 characters/],
      ['add', [channelOpt(vc), templateOpt('no variable here')], /no variable/],
      ['add', [channelOpt(vc), templateOpt('Members: {members')], /brace/],
      ['add', [channelOpt(text), templateOpt('👥 Members: {members}')], /voice channels or categories/],
      [
        'add',
        [channelOpt(sim.world.voiceChannels(other)[0]!.id), templateOpt('👥 Members: {members}')],
        /not in this server/,
      ],
      // No channel of that id exists (Discord answers 404, as for a channel the bot may not view).
      ['add', [channelOpt('123456789012345678'), templateOpt('👥 Members: {members}')], /cannot see/],
      ['remove', [channelOpt(vc)], /has no counter/],
    ];
    for (const [sub, options, expected, o] of cases) {
      const r = await counters(sub, options, o);
      expect(r.flags & 64, `${sub} ${JSON.stringify(options)}`).toBe(64);
      expect(r.content, `${sub} ${JSON.stringify(options)}`).toMatch(expected);
    }
    // Without Manage Channels the bot could not rename: refused before storing.
    grantBot(g, PermissionFlagsBits.ManageChannels, false);
    const noPerm = await counters('add', [channelOpt(vc), templateOpt('👥 Members: {members}')]);
    grantBot(g, PermissionFlagsBits.ManageChannels, true);
    expect(noPerm.content).toMatch(/Manage Channels/);
    expect(await stored()).toEqual([]);
    expect((await t.pool.query('SELECT 1 FROM scheduled_runs WHERE guild_id = $1', [g])).rows).toEqual([]);
    expect(sim.truth.channelRenames).toEqual([]);
  });

  it('renames the channel to the template with the member count, and holds further changes to 2 renames per 10 minutes', async () => {
    const vc = sim.world.voiceChannels(g)[0]!.id;
    const G = sim.world.guild(g)!;
    const added = await counters('add', [channelOpt(vc), templateOpt('👥 Members: {members}')]);
    expect(added.content).toMatch(/Counter added/);
    const expectName = () => `👥 Members: ${G.members.size.toLocaleString('en-US')}`;

    // Minute 0: first rename.
    await runCounters();
    expect(renamesOf(vc).map((r) => r.name)).toEqual([expectName()]);
    // Nothing changed: no request at all.
    now += MINUTE;
    await runCounters();
    expect(renamesOf(vc)).toHaveLength(1);

    // Four changes over the next four minutes, each followed by a run (the scheduler alone comes every 5
    // minutes; an admin's /counters add asks for a run at once): only the first goes out (2 per 10 minutes).
    const humans = sim.world.humanMembers(g).slice(-4);
    for (const h of humans) {
      sim.members.leave(g, h.user.id);
      now += MINUTE;
      await requestRun(t.pool, 'counters', g, new Date(now));
      await runCounters();
    }
    expect(renamesOf(vc)).toHaveLength(2);
    const list = await counters('list');
    expect(list.content).toMatch(/waiting for Discord's rename limit/);
    // The job comes back when the window frees, not before (its row's next run).
    const { rows } = await t.pool.query<{ next_run_at: Date }>(
      "SELECT next_run_at FROM scheduled_runs WHERE job = 'counters' AND guild_id = $1",
      [g],
    );
    const held = (
      await t.pool.query<{ held_until: Date }>('SELECT held_until FROM channel_counters WHERE channel_id = $1', [vc])
    ).rows[0]!.held_until;
    expect(held.getTime()).toBe(T0 + 10 * MINUTE); // the first rename's window ends
    expect(rows[0]!.next_run_at.getTime()).toBe(held.getTime());

    // Ten virtual minutes after the first rename (and the simulator's shortened window over in real time):
    // the latest value goes out.
    const since = Math.max(...renamesOf(vc).map((r) => r.at));
    // wall-clock on purpose: the simulator's rename rate-limit window is real time (shortened for tests).
    await sleep(Math.max(0, since + SIM_WINDOW_MS + 50 - Date.now()));
    now = held.getTime();
    await runCounters();
    const renames = renamesOf(vc);
    expect(renames).toHaveLength(3);
    expect(renames.at(-1)!.name).toBe(expectName());
    expect(sim.world.channel(vc)!.name).toBe(expectName());
    // The bot held back by itself: Discord (the simulator) never had to refuse a rename.
    expect(sim.restStats.limitedRoutes.get('PATCH /channels/{id}') ?? 0).toBe(0);
    // Within the simulator's window never more than 2 renames of the channel.
    for (const r of renames)
      expect(renames.filter((x) => x.at > r.at - SIM_WINDOW_MS && x.at <= r.at).length).toBeLessThanOrEqual(2);
    // CHANNEL_UPDATE reached the bot, which recorded the new name.
    await expect
      .poll(
        async () =>
          (await t.pool.query<{ name: string }>('SELECT name FROM guild_channels WHERE channel_id = $1', [vc])).rows[0]
            ?.name,
        { timeout: 15_000 },
      )
      .toBe(expectName());
  });

  it('switches a counter off when its channel is deleted or the permission is gone, and says so in /counters list', async () => {
    const [cat] = sim.world.guild(g)!.channels.filter((c) => c.type === 4);
    const vc2 = sim.world.voiceChannels(g)[1]!.id;
    expect(
      (await counters('add', [channelOpt(cat!.id), templateOpt('📈 {messages.today} msgs today')])).content,
    ).toMatch(/Counter added/);
    expect((await counters('add', [channelOpt(vc2), templateOpt('🎙 In voice: {voice.now}')])).content).toMatch(
      /Counter added/,
    );
    now += 11 * MINUTE;
    await runCounters();
    expect(renamesOf(cat!.id).map((r) => r.name)).toEqual(['📈 0 msgs today']);
    expect(renamesOf(vc2).map((r) => r.name)).toEqual(['🎙 In voice: 0']);

    sim.structure.deleteChannel(g, cat!.id);
    // Its value does not change, so no rename would fail: the bot knows of the deletion from CHANNEL_DELETE.
    await expect
      .poll(
        async () =>
          (await t.pool.query('SELECT deleted_at FROM guild_channels WHERE channel_id = $1', [cat!.id])).rows[0]
            ?.deleted_at ?? null,
        { timeout: 15_000 },
      )
      .not.toBeNull();
    grantBot(g, PermissionFlagsBits.ManageChannels, false);
    sim.members.leave(g, sim.world.humanMembers(g).at(-1)!.user.id); // the members counter changes too
    now += 11 * MINUTE;
    await runCounters();
    grantBot(g, PermissionFlagsBits.ManageChannels, true);
    const rows = new Map((await stored()).map((r) => [r.channel_id as string, r.disabled_reason as string | null]));
    expect(rows.get(cat!.id)).toMatch(/deleted/);
    const vc = sim.world.voiceChannels(g)[0]!.id;
    expect(rows.get(vc)).toMatch(/Manage Channels/);
    expect(rows.get(vc2)).toBeNull(); // unchanged value: no rename was needed, so nothing failed
    // The admins are told in the channel the counters were added from.
    const notices = sim.channelMessages.posted.filter((m) => m.channelId === text).map((m) => m.content);
    expect(notices).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`<#${cat!.id}>.*switched off: the channel was deleted`)),
        expect.stringMatching(new RegExp(`<#${vc}>.*Manage Channels`)),
      ]),
    );
    const list = await counters('list');
    expect(list.content).toMatch(/switched off: the channel was deleted/);
    expect(list.content).toMatch(/switched off: the bot lacks the Manage Channels/);
    // Switched off means not retried: later runs rename nothing there.
    const before = sim.truth.channelRenames.length;
    sim.members.leave(g, sim.world.humanMembers(g).at(-1)!.user.id);
    now += 11 * MINUTE;
    await runCounters();
    expect(sim.truth.channelRenames.length).toBe(before);

    expect((await counters('remove', [channelOpt(vc2)])).content).toMatch(/Counter removed/);
    expect((await stored()).map((r) => r.channel_id)).not.toContain(vc2);
  });
});

describe('the simulator: channel renames as Discord answers them', () => {
  let s: Simulator;
  beforeAll(async () => {
    s = await startSimulator({ guilds: 1 }); // Discord's own limits: 2 renames per channel per 10 minutes
  });
  afterAll(() => s?.close());

  const patch = (channelId: string, body: unknown) =>
    fetch(`${s.apiUrl}/v10/channels/${channelId}`, {
      method: 'PATCH',
      headers: { authorization: `Bot ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('needs Manage Channels, checks the name, allows 2 renames per 10 minutes, then answers 429 with X-RateLimit headers', async () => {
    const gid = [...s.world.guilds.keys()][0]!;
    const vc = s.world.voiceChannels(gid)[0]!.id;
    const denied = await patch(vc, { name: 'a' });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { code: number }).code).toBe(50013);
    const G = s.world.guild(gid)!;
    const me = G.members.get(s.world.botUser.id)!;
    for (const r of G.roles)
      if (me.roles.includes(r.id))
        r.permissions = (BigInt(r.permissions) | PermissionFlagsBits.ManageChannels).toString();
    expect((await patch(vc, { name: 'x'.repeat(101) })).status).toBe(400);
    expect((await patch('123456789012345678', { name: 'a' })).status).toBe(404);
    expect((await patch(vc, { name: 'one' })).status).toBe(200);
    expect((await patch(vc, { name: 'two' })).status).toBe(200);
    const third = await patch(vc, { name: 'three' });
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ratelimit-limit')).toBe('2');
    expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(third.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(590);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(590);
    const body = (await third.json()) as { retry_after: number; global: boolean };
    expect(body.global).toBe(false);
    expect(body.retry_after).toBeGreaterThan(590);
    expect(s.world.channel(vc)!.name).toBe('two');
    expect(s.truth.channelRenames.map((r) => r.name)).toEqual(['one', 'two']);
  });
});
