// /settings through the simulator: Manage Server members change the time zone, bots and excluded
// channels, and the running shard applies them; everyone else is refused ephemerally, nothing changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestTimeZones, timeZoneNames } from '../src/commands/framework/time-zones.js';
import type { Simulator } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let sim: Simulator;
let g: string;
let admin: string;
let member: string;
let c1: string;
let c2: string;

const MANAGE_GUILD = String(1n << 5n);
const SEND_MESSAGES = String(1n << 11n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  t = await startTestBot({ name: 'settings-command', sim: { guilds: 2 }, families: ['messages'] });
  sim = t.sim;
  g = [...sim.world.guilds.keys()][0]!;
  const humans = sim.world.humanMembers(g);
  admin = humans[1]!.user.id;
  member = humans[2]!.user.id;
  [c1, c2] = sim.world.textChannels(g).map((c) => c.id) as [string, string];
});

afterAll(() => t?.stop());

// /settings has a 1 s per-member cooldown: before each member's next use the test clock (which the router
// reads) moves past it, counted from the reply (the router started the cooldown when the interaction reached
// it, which under load is well after it was sent).
const lastUse = new Map<string, number>();
async function settings(
  userId: string,
  subcommand: string,
  options: { name: string; type: number; value: string | boolean }[] = [],
  permissions = MANAGE_GUILD,
) {
  const wait = (lastUse.get(userId) ?? 0) + 1_100 - t.clock.now();
  if (wait > 0) t.clock.advance(wait);
  const reply = await sim.invokeCommand({
    guildId: g,
    channelId: c1,
    userId,
    name: 'settings',
    subcommand,
    options,
    permissions,
  });
  lastUse.set(userId, t.clock.now());
  return reply;
}

/** Messages per author and channel in guild g, once the database holds `n` messages of g. */
async function counted(n: number): Promise<Map<string, number>> {
  const q = async () =>
    new Map(
      (
        await t.pool.query<{ k: string; n: string }>(
          "SELECT channel_id || '|' || user_id AS k, sum(messages)::text AS n FROM messages_raw WHERE guild_id = $1 GROUP BY 1",
          [g],
        )
      ).rows.map((r) => [r.k, Number(r.n)]),
    );
  let got = await q();
  const total = () => [...got.values()].reduce((a, b) => a + b, 0);
  const load = async () => {
    await t.bot.counters.settled();
    await t.ingestor.runOnce();
    got = await q();
    return total();
  };
  if (total() < n) await expect.poll(load, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(n);
  return got;
}

describe('/settings', () => {
  it('is refused, ephemerally and with the reason, to members without Manage Server', async () => {
    const r = await settings(member, 'bots', [{ name: 'include', type: 5, value: true }], SEND_MESSAGES);
    expect(r.flags & 64).toBe(64);
    expect(r.content).toMatch(/Manage Server/);
    const v = await settings(member, 'view', [], SEND_MESSAGES);
    expect(v.content).toMatch(/Manage Server/);
    expect(t.bot.settings.get(g).includeBots).toBe(false);
    const { rows } = await t.pool.query('SELECT 1 FROM guild_settings WHERE guild_id = $1', [g]);
    expect(rows).toHaveLength(0);
  });

  it('sets a validated time zone, visible to later commands and stored', async () => {
    const bad = await settings(admin, 'timezone', [{ name: 'zone', type: 3, value: 'Mars/Olympus_Mons' }]);
    expect(bad.content).toMatch(/not a time zone/);
    const ok = await settings(admin, 'timezone', [{ name: 'zone', type: 3, value: 'europe/berlin' }]);
    expect(ok.flags & 64).toBe(64);
    expect(ok.content).toMatch(/Time zone set to \*\*Europe\/Berlin\*\*/);
    // The shard learns of it over pub/sub (at once in gateway mode, where the shard itself answered).
    await expect.poll(() => t.bot.settings.get(g).timeZone).toBe('Europe/Berlin');
    const view = await settings(admin, 'view');
    expect(view.content).toMatch(/\*\*Time zone:\*\* Europe\/Berlin/);
    const { rows } = await t.pool.query<{ time_zone: string }>(
      'SELECT time_zone FROM guild_settings WHERE guild_id = $1',
      [g],
    );
    expect(rows[0]?.time_zone).toBe('Europe/Berlin');
    const names = await timeZoneNames(t.pool);
    expect(suggestTimeZones(names, 'berl')).toContain('Europe/Berlin');
    expect(suggestTimeZones(names, '').length).toBeLessThanOrEqual(25);
  }, 30_000);

  it('keeps the zone name the admin chose: Asia/Kolkata is not turned into the older alias Asia/Calcutta', async () => {
    // ICU (Intl) canonicalises Asia/Kolkata to Asia/Calcutta; the tz database knows both.
    expect(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone).toBe(
      'Asia/Calcutta',
    );
    const ok = await settings(admin, 'timezone', [{ name: 'zone', type: 3, value: ' asia/kolkata ' }]);
    expect(ok.content).toMatch(/Time zone set to \*\*Asia\/Kolkata\*\*/);
    await expect.poll(() => t.bot.settings.get(g).timeZone).toBe('Asia/Kolkata');
    const { rows } = await t.pool.query<{ time_zone: string }>(
      'SELECT time_zone FROM guild_settings WHERE guild_id = $1',
      [g],
    );
    expect(rows[0]?.time_zone).toBe('Asia/Kolkata');
    expect((await settings(admin, 'view')).content).toMatch(/\*\*Time zone:\*\* Asia\/Kolkata\n/);
    // The admin who wants the alias gets the alias; both are offered.
    expect((await settings(admin, 'timezone', [{ name: 'zone', type: 3, value: 'Asia/Calcutta' }])).content).toMatch(
      /\*\*Asia\/Calcutta\*\*/,
    );
    expect(suggestTimeZones(await timeZoneNames(t.pool), 'kolk')).toContain('Asia/Kolkata');
    expect(suggestTimeZones(await timeZoneNames(t.pool), 'kath')).toContain('Asia/Kathmandu');
    expect(
      (await settings(admin, 'timezone', [{ name: 'zone', type: 3, value: 'posix/Europe/Berlin' }])).content,
    ).toMatch(/not a time zone/);
    expect((await settings(admin, 'timezone', [{ name: 'zone', type: 3, value: 'Europe/Berlin' }])).content).toMatch(
      /\*\*Europe\/Berlin\*\*/,
    );
  }, 30_000);

  it('include bots and excluded channels take effect on the running shard', async () => {
    const bot = sim.world.botMembers(g).find((m) => m.user.id !== sim.world.botUser.id)!.user.id;
    const human = sim.world.humanMembers(g)[3]!.user.id;
    const send = (channelId: string, authorId: string) =>
      sim.sendMessage({ guildId: g, channelId, authorId, content: 'hello there' });
    // Before: bots are not counted.
    send(c1, bot);
    send(c1, human);
    expect(await counted(1)).toEqual(new Map([[`${c1}|${human}`, 1]]));

    const on = await settings(admin, 'bots', [{ name: 'include', type: 5, value: true }]);
    expect(on.content).toMatch(/counted from now on/);
    const ex = await settings(admin, 'exclude-channel', [{ name: 'channel', type: 7, value: c2 }]);
    expect(ex.content).toMatch(/no longer counted/);
    await expect.poll(() => t.bot.settings.get(g)).toMatchObject({ includeBots: true, excludedChannels: [c2] });

    send(c1, bot);
    send(c2, human);
    send(c2, bot);
    send(c1, human);
    const got = await counted(3);
    await sleep(300); // wall-clock on purpose: time for a message wrongly counted to show, where there must be none
    expect(await counted(3)).toEqual(got);
    expect(got).toEqual(
      new Map([
        [`${c1}|${human}`, 2],
        [`${c1}|${bot}`, 1],
      ]),
    );

    const back = await settings(admin, 'include-channel', [{ name: 'channel', type: 7, value: c2 }]);
    expect(back.content).toMatch(/counted again/);
    // In HTTP mode the change reaches the shard over pub/sub, after the reply: wait for it there.
    await expect.poll(() => t.bot.settings.get(g).excludedChannels).toEqual([]);
    send(c2, human);
    expect((await counted(4)).get(`${c2}|${human}`)).toBe(1);
  }, 60_000);
});
