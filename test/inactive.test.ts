// /inactive end to end: dated messages through the simulator into an in-process bot (and the interactions
// service in the bot-http project), ingested until PostgreSQL equals the ground truth; the server's zone is
// Asia/Kathmandu (UTC+5:45, no DST), so local midnights are not on any hour. The expected list is computed
// here from the simulator's messages with the zone's fixed offset: who posted in the look-back window and
// not since, minus members who left and members who opted out.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CommandOption, RecordedReply } from 'discord-sim';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

const ZONE = 'Asia/Kathmandu';
const OFFSET_MS = (5 * 60 + 45) * 60_000;
const DAY = 86_400_000;
const DAYS = 10;
const LOOKBACK = 30;
const EPHEMERAL = 64;
const MANAGE_GUILD = String(1n << 5n);

let t: TestBot;
let g: string;
let admin: string;
let channelId: string;
/** Local date (YYYY-MM-DD) of an instant, by the zone's fixed offset. */
const localDate = (ms: number) => new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
/** The instant of a local wall-clock time `daysAgo` local days before today. */
function localInstant(daysAgo: number, hh: number, mm: number): number {
  const today = Date.parse(`${localDate(Date.now())}T00:00:00Z`);
  return today - daysAgo * DAY + (hh * 60 + mm) * 60_000 - OFFSET_MS;
}

let leaver: string;
// Every invocation by another member (cooldowns are per member), with Manage Server in the payload.
let nextManager = 10;
const manager = () => ({
  userId: t.sim.world.humanMembers(g).filter((m) => m.user.id !== admin)[nextManager++]!.user.id,
  permissions: MANAGE_GUILD,
});
let optedOut: string;

function invoke(
  name: string,
  subcommand: string | undefined,
  options: CommandOption[],
  o: { userId?: string; permissions?: string } = {},
): Promise<RecordedReply> {
  return t.sim.invokeCommand({
    guildId: g,
    channelId,
    userId: o.userId ?? admin,
    name,
    subcommand,
    options,
    permissions: o.permissions,
    timeoutMs: 30_000,
  });
}

interface Line {
  rank: number;
  name: string;
  id: string;
  date: string;
  messages: number;
}
function lines(r: RecordedReply): Line[] {
  const embed = r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined;
  const field = embed?.fields?.find((f) => f.name === 'Last active')?.value ?? '';
  return field.split('\n').flatMap((l) => {
    const m = /^`(\d+)\.` (.+) \(<@(\d+)>\) — (\d{4}-\d{2}-\d{2}) · ([\d,]+) messages?/.exec(l);
    return m
      ? [{ rank: Number(m[1]), name: m[2]!, id: m[3]!, date: m[4]!, messages: Number(m[5]!.replace(/,/g, '')) }]
      : [];
  });
}
const description = (r: RecordedReply) =>
  String((r.embeds[0] as { description?: string } | undefined)?.description ?? '');

/** The expected quiet members from the simulator's truth: id → last local date and messages in the window. */
function expected(): Map<string, { date: string; messages: number }> {
  const cutoff = localDate(localInstant(DAYS, 0, 0));
  const from = localDate(localInstant(DAYS + LOOKBACK, 0, 0));
  const guild = t.sim.world.guild(g)!;
  const per = new Map<string, { last: number; messages: number }>();
  for (const m of t.sim.truth.messages) {
    if (m.guildId !== g || m.bot || m.webhook || localDate(m.timestamp) < from) continue;
    const p = per.get(m.authorId) ?? { last: 0, messages: 0 };
    per.set(m.authorId, { last: Math.max(p.last, m.timestamp), messages: p.messages + 1 });
  }
  const out = new Map<string, { date: string; messages: number }>();
  for (const [id, p] of per) {
    if (localDate(p.last) >= cutoff || !guild.members.has(id) || id === optedOut) continue;
    out.set(id, { date: localDate(p.last), messages: p.messages });
  }
  return out;
}

beforeAll(async () => {
  t = await startTestBot({ name: 'inactive', sim: { guilds: 6, seed: 41 } });
  const guilds = [...t.sim.world.guilds.values()].sort(
    (a, b) => t.sim.world.humanMembers(b.id).length - t.sim.world.humanMembers(a.id).length,
  );
  g = guilds[0]!.id;
  admin = guilds[0]!.ownerId;
  channelId = t.sim.world.textChannels(g)[0]!.id;
  const humans = t.sim.world
    .humanMembers(g)
    .filter((m) => m.user.id !== admin)
    .map((m) => m.user.id);
  expect(humans.length).toBeGreaterThanOrEqual(30);
  const send = (authorId: string, timestamp: number) =>
    t.sim.sendMessage({ guildId: g, channelId, authorId, content: 'hello there', timestamp });
  // Quiet: the last message on some day before the cutoff, 23:59 local (a minute before a local midnight
  // that is 18:15 UTC), after a few earlier ones.
  humans.slice(0, 24).forEach((id, k) => {
    for (let n = 0; n <= k % 3; n++) send(id, localInstant(DAYS + 1 + k + n, 12, 0));
    send(id, localInstant(DAYS + 1 + k, 23, 59));
  });
  // Active since: 00:00 local on the cutoff day, or today.
  send(humans[24]!, localInstant(DAYS + 5, 9, 0));
  send(humans[24]!, localInstant(DAYS, 0, 0));
  send(humans[25]!, localInstant(DAYS + 3, 9, 0));
  send(humans[25]!, localInstant(0, 0, 1));
  // Before the look-back window only (23:59 local the day before it starts): never listed.
  send(humans[26]!, localInstant(DAYS + LOOKBACK + 1, 23, 59));
  // The first minute of the window: listed.
  send(humans[27]!, localInstant(DAYS + LOOKBACK, 0, 0));
  leaver = humans[3]!;
  optedOut = humans[4]!;
  await t.ingestUntil(async () => {
    const db = await messageTotalsByChannelMember(t.pool, [g]);
    return [...t.sim.truth.messageTotals()]
      .filter(([k, v]) => k.startsWith(`${g}|`) && db.get(k)?.messages !== v.messages)
      .map(([k]) => k);
  });
  const tz = await invoke('settings', 'timezone', [{ name: 'zone', type: 3, value: ZONE }], {
    permissions: MANAGE_GUILD,
  });
  expect(tz.content).toContain(`Time zone set to **${ZONE}**`);
  // One quiet member leaves, another opts out (their past messages stay in the database).
  t.sim.members.leave(g, leaver);
  const out = await invoke('privacy', 'opt-out', [], { userId: optedOut });
  expect(out.content).toContain('opted out');
  // The bot has the full member list (requested after connect, one guild a second), without those two.
  const present = [...t.sim.world.guild(g)!.members.keys()].filter((id) => id !== optedOut).sort();
  await vi.waitFor(
    async () => {
      await t.bot.structure.flush();
      const { rows } = await t.pool.query<{ id: string }>(
        'SELECT user_id::text AS id FROM guild_members WHERE guild_id = $1 ORDER BY 1',
        [g],
      );
      expect(rows.map((r) => r.id)).toEqual(present);
    },
    { timeout: 30_000, interval: 250 },
  );
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('/inactive', () => {
  it('lists who was active in the look-back window and silent since, by local date, with names from the database; pages with buttons', async () => {
    const want = expected();
    expect(want.size).toBe(24 - 2 + 1); // 24 quiet, minus the leaver and the opted-out, plus the window's first minute
    const first = await invoke('inactive', undefined, [
      { name: 'days', type: 4, value: DAYS },
      { name: 'lookback', type: 4, value: LOOKBACK },
    ]);
    expect(first.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(description(first)).toContain(`${want.size} members; page 1 of 3`);
    const p1 = lines(first);
    expect(p1.map((l) => l.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const next = (r: RecordedReply) =>
      (r.components[0] as { components: { custom_id: string; label: string; disabled?: boolean }[] }).components.find(
        (b) => b.label === 'Next',
      )!;
    expect(next(first).disabled ?? false).toBe(false);
    const second = await t.sim.clickButton({
      guildId: g,
      channelId,
      userId: admin,
      messageId: first.messageId,
      customId: next(first).custom_id,
      timeoutMs: 30_000,
    });
    const p2 = lines(second);
    expect(p2.map((l) => l.rank)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const third = await t.sim.clickButton({
      guildId: g,
      channelId,
      userId: admin,
      messageId: second.messageId,
      customId: next(second).custom_id,
      timeoutMs: 30_000,
    });
    const p3 = lines(third);
    expect(p3.map((l) => l.rank)).toEqual([21, 22, 23]);
    expect(next(third).disabled).toBe(true);
    const all = [...p1, ...p2, ...p3];
    const guild = t.sim.world.guild(g)!;
    expect(new Map(all.map((l) => [l.id, { date: l.date, messages: l.messages }]))).toEqual(want);
    for (const l of all) {
      const m = guild.members.get(l.id)!;
      expect(l.name).toBe(m.nick || m.user.globalName || m.user.username);
    }
    // Most recently active first.
    expect(all.map((l) => l.date)).toEqual([...all.map((l) => l.date)].sort().reverse());
    // The page option answers the same page.
    const again = await invoke(
      'inactive',
      undefined,
      [
        { name: 'days', type: 4, value: DAYS },
        { name: 'lookback', type: 4, value: LOOKBACK },
        { name: 'page', type: 4, value: 3 },
      ],
      manager(),
    );
    expect(lines(again).map((l) => l.id)).toEqual(p3.map((l) => l.id));
  }, 90_000);

  it('refuses members without Manage Server, days out of 1-365 and pages past the end, ephemerally', async () => {
    const denied = await invoke('inactive', undefined, [{ name: 'days', type: 4, value: DAYS }], {
      userId: manager().userId,
      permissions: '0',
    });
    expect(denied.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(denied.content).toContain('Manage Server');
    for (const value of [0, 366]) {
      const r = await invoke('inactive', undefined, [{ name: 'days', type: 4, value }], manager());
      expect(r.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(r.content).toBe('`days` must be a whole number of days from 1 to 365.');
    }
    const past = await invoke(
      'inactive',
      undefined,
      [
        { name: 'days', type: 4, value: DAYS },
        { name: 'lookback', type: 4, value: LOOKBACK },
        { name: 'page', type: 4, value: 4 },
      ],
      manager(),
    );
    expect(past.content).toBe('There are only 3 pages of quiet members.');
    // Nobody silent for 365 days was active in the 30 days before that.
    const none = await invoke('inactive', undefined, [{ name: 'days', type: 4, value: 365 }], manager());
    expect(description(none)).toContain('0 members; page 1 of 1');
  }, 60_000);
});
