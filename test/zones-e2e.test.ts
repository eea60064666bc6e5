// Answers in servers whose zone is not a whole-hour offset from UTC, and on DST days, end to end: the
// simulator sends dated messages and joins, an admin sets the zone with /settings, members ask /stats,
// /activity and /growth, and every number and chart slot must equal what the test computes on its own
// from ICU (helpers/zones.ts): the local hour and day of every message, a 25-hour DST-end day, a 23-hour
// DST-start day, Asia/Kolkata's half-hour offset. Charts are checked through the specs the bot renders
// (recorded on their way to the real render pool) and the PNGs it sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandOption, RecordedReply } from 'discord-sim';
import { diffMembers, memberEventsSettled } from '../dev/stack.js';
import { Keys } from '../src/keys.js';
import type { ChartSpec } from '../src/render/spec.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { bucketOf, bucketStart, bucketsBetween, local, offsetAt } from './helpers/zones.js';

const MANAGE_GUILD = String(1n << 5n);
const EPHEMERAL = 64;
const MINUTE = 60_000;

interface Case {
  what: string;
  zone: string;
  /** The local date asked about. */
  day: string;
  /** Messages: UTC instant and how many. */
  messages: [string, number][];
  joins: string[];
  guildId?: string;
}

const CASES: Case[] = [
  {
    what: 'DST-end day (25 hours)',
    zone: 'Europe/Berlin',
    day: '2026-10-25',
    messages: [
      ['2026-10-24T21:50:00Z', 1], // 23:50 CEST the day before
      ['2026-10-24T22:05:00Z', 1], // 00:05 CEST
      ['2026-10-25T00:10:00Z', 1], // 02:10 CEST, the first 02:00 hour
      ['2026-10-25T00:40:00Z', 2],
      ['2026-10-25T01:10:00Z', 3], // 02:10 CET, the second 02:00 hour
      ['2026-10-25T01:50:00Z', 1],
      ['2026-10-25T02:30:00Z', 1], // 03:30 CET
      ['2026-10-25T14:00:00Z', 4], // 15:00 CET: the busiest hour
      ['2026-10-25T22:59:00Z', 1], // 23:59 CET
      ['2026-10-25T23:00:00Z', 1], // 00:00 CET the day after
    ],
    joins: ['2026-10-25T00:20:00Z', '2026-10-25T01:20:00Z', '2026-10-25T01:40:00Z', '2026-10-25T14:10:00Z'],
  },
  {
    what: 'DST-start day (23 hours)',
    zone: 'America/New_York',
    day: '2026-03-08',
    messages: [
      ['2026-03-08T04:59:00Z', 1], // 23:59 EST the day before
      ['2026-03-08T05:00:00Z', 1], // 00:00 EST
      ['2026-03-08T06:30:00Z', 2], // 01:30 EST
      ['2026-03-08T06:59:00Z', 1], // 01:59 EST, the last minute before 02:00 is skipped
      ['2026-03-08T07:05:00Z', 1], // 03:05 EDT
      ['2026-03-08T15:00:00Z', 3], // 11:00 EDT: the busiest hour
      ['2026-03-09T03:59:00Z', 1], // 23:59 EDT
      ['2026-03-09T04:00:00Z', 1], // 00:00 EDT the day after
    ],
    joins: ['2026-03-08T06:45:00Z', '2026-03-08T07:15:00Z'],
  },
  {
    what: 'half-hour offset (Asia/Kolkata, +05:30)',
    zone: 'Asia/Kolkata',
    day: '2026-11-20',
    messages: [
      ['2026-11-19T18:25:00Z', 1], // 23:55 IST the day before
      ['2026-11-19T18:40:00Z', 1], // 00:10 IST: on the 20th, though the 19th in UTC
      ['2026-11-20T09:40:00Z', 3], // 15:10 IST
      ['2026-11-20T09:59:00Z', 1], // 15:29 IST
      ['2026-11-20T10:05:00Z', 1], // 15:35 IST: same local hour, next UTC hour
      ['2026-11-20T10:35:00Z', 1], // 16:05 IST
      ['2026-11-20T18:20:00Z', 1], // 23:50 IST
      ['2026-11-20T18:35:00Z', 1], // 00:05 IST the day after
      ['2026-11-22T18:40:00Z', 1], // 00:10 IST on the 23rd: the only message that day
    ],
    joins: ['2026-11-19T18:45:00Z', '2026-11-20T09:45:00Z', '2026-11-20T10:20:00Z'],
  },
];

let t: TestBot;
const specs: ChartSpec[] = [];
const userOf = new Map<string, string[]>();

/** The first minute of a local date, from the reference. */
function dayStart(date: string, zone: string): number {
  const noon = Date.parse(`${date}T12:00:00Z`);
  return bucketStart(noon - offsetAt(noon, zone) * MINUTE, zone, 'day');
}

/** Instants of a case's messages, one per message. */
function messageTimes(c: Case): number[] {
  return c.messages.flatMap(([at, n]) => Array.from({ length: n }, (_, k) => Date.parse(at) + k * 1000));
}

/** Reference: every local hour of the day with its count of `times`. */
function expectedHours(c: Case, times: number[]): { t: number; v: number }[] {
  const from = dayStart(c.day, c.zone);
  const to = dayStart(nextDate(c.day), c.zone);
  const slots = bucketsBetween(from, to, c.zone, 'hour');
  return slots.map((s) => ({
    t: s.start,
    v: times.filter((x) => x >= from && x < to && bucketOf(x, c.zone, 'hour') === s.key).length,
  }));
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function fields(r: RecordedReply): Record<string, string> {
  const embed = r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined;
  return Object.fromEntries((embed?.fields ?? []).map((f) => [f.name, f.value]));
}

let nextMember = 0;
function invoke(
  c: Case,
  name: string,
  subcommand: string | undefined,
  options: CommandOption[],
  userId?: string,
): Promise<RecordedReply> {
  const humans = t.sim.world.humanMembers(c.guildId!);
  return t.sim.invokeCommand({
    guildId: c.guildId!,
    channelId: t.sim.world.textChannels(c.guildId!)[0]!.id,
    userId: userId ?? humans[nextMember++ % humans.length]!.user.id,
    name,
    subcommand,
    options,
    permissions: name === 'settings' ? MANAGE_GUILD : undefined,
    timeoutMs: 30_000,
  });
}

const dates = (c: Case, day = c.day): CommandOption[] => [
  { name: 'from', type: 3, value: day },
  { name: 'to', type: 3, value: day },
];

/** The chart the bot drew for a reply (the last spec rendered before it arrived). */
async function chartOf(reply: RecordedReply, kind: ChartSpec['kind']): Promise<ChartSpec> {
  expect(reply.flags & EPHEMERAL).toBe(0);
  expect(reply.files[0]!.data.subarray(1, 4).toString('latin1')).toBe('PNG');
  const spec = specs.filter((s) => s.kind === kind).at(-1);
  expect(spec).toBeDefined();
  return spec!;
}

const pointsOf = (spec: ChartSpec, series = 0) =>
  (spec as Extract<ChartSpec, { kind: 'line' }>).series[series]!.points.map((p) => ({ t: p.t, v: p.v }));

beforeAll(async () => {
  t = await startTestBot({ name: 'zones-e2e', sim: { guilds: 3, seed: 29 } });
  const render = t.render.render.bind(t.render);
  t.render.render = (spec: ChartSpec) => {
    specs.push(spec);
    return render(spec);
  };
  const guilds = [...t.sim.world.guilds.keys()];
  for (const [i, c] of CASES.entries()) {
    c.guildId = guilds[i]!;
    const humans = t.sim.world.humanMembers(c.guildId);
    const channelId = t.sim.world.textChannels(c.guildId)[0]!.id;
    // Authors take turns; the last one only posts the last message (a member with exactly one message).
    const times = messageTimes(c);
    const authors = times.map((_, k) => humans[k === times.length - 1 ? 5 : k % 4]!.user.id);
    userOf.set(c.guildId, authors);
    times.forEach((timestamp, k) =>
      t.sim.sendMessage({ guildId: c.guildId!, channelId, authorId: authors[k]!, content: `message ${k}`, timestamp }),
    );
    const invite = t.sim.members.createInvite(c.guildId, { inviterId: humans[0]!.user.id });
    for (const at of c.joins) {
      t.sim.members.join(c.guildId, t.sim.members.newUser(), { code: invite.code }, Date.parse(at));
      await memberEventsSettled({
        redis: t.redis,
        pool: t.pool,
        keys: new Keys(t.prefix),
        partitions: t.config.redisPartitions,
        sim: t.sim,
      });
    }
  }
  await t.ingestUntil(async () => {
    const db = await messageTotalsByChannelMember(t.pool, guilds);
    const out = [...t.sim.truth.messageTotals()].filter(([k, v]) => db.get(k)?.messages !== v.messages).map(([k]) => k);
    return [...out, ...(await diffMembers(t.pool, t.sim))];
  });
  // The admins set the zones through /settings, as they would.
  for (const c of CASES) {
    const r = await invoke(
      c,
      'settings',
      'timezone',
      [{ name: 'zone', type: 3, value: c.zone }],
      t.sim.world.humanMembers(c.guildId!)[7]!.user.id,
    );
    expect(r.content).toContain(`Time zone set to **${c.zone}**`);
  }
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe.each(CASES)('$what', (c) => {
  it('/stats: the day per local hour, every hour once (25 or 23 on DST days), total = sum of the chart', async () => {
    const want = expectedHours(c, messageTimes(c));
    const reply = await invoke(c, 'stats', 'server', dates(c));
    const chart = await chartOf(reply, 'line');
    expect(pointsOf(chart)).toEqual(want);
    expect(want).toHaveLength({ '2026-10-25': 25, '2026-03-08': 23 }[c.day] ?? 24);
    const total = want.reduce((a, p) => a + p.v, 0);
    expect(total).toBe(messageTimes(c).filter((x) => local(x, c.zone).date === c.day).length);
    expect(fields(reply).Messages).toBe(String(total));
    expect((reply.embeds[0] as { footer: { text: string } }).footer.text).toContain(`Times in ${c.zone}`);
  }, 60_000);

  it('/activity: busiest hour, day and slot in local time', async () => {
    const times = messageTimes(c).filter((x) => local(x, c.zone).date === c.day);
    const byHour = new Map<number, number>();
    for (const x of times) byHour.set(local(x, c.zone).hour, (byHour.get(local(x, c.zone).hour) ?? 0) + 1);
    const [peakHour, peak] = [...byHour].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
    const weekday = new Intl.DateTimeFormat('en-US', { timeZone: c.zone, weekday: 'long' }).format(times[0]);
    const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
    const reply = await invoke(c, 'activity', undefined, dates(c));
    const chart = (await chartOf(reply, 'heatmap')) as Extract<ChartSpec, { kind: 'heatmap' }>;
    const f = fields(reply);
    expect(f.Messages).toBe(String(times.length));
    expect(f['Busiest hour']).toBe(`${hh(peakHour)}–${hh((peakHour + 1) % 24)} (${peak})`);
    expect(f['Busiest slot']).toBe(`${weekday} ${hh(peakHour)} (${peak})`);
    expect(f['Busiest day']).toBe(`${weekday} (${times.length})`);
    // Every cell: the messages of that local weekday and hour.
    const cells = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
    for (const x of times) cells[local(x, c.zone).weekday - 1]![local(x, c.zone).hour]!++;
    expect(chart.cells).toEqual(cells);
  }, 60_000);

  it('/growth: joins per local hour of the day, every hour once, totals = sum of the chart', async () => {
    const want = expectedHours(c, c.joins.map(Date.parse));
    const reply = await invoke(c, 'growth', undefined, dates(c));
    const chart = await chartOf(reply, 'line');
    expect(pointsOf(chart, 0)).toEqual(want);
    expect(fields(reply).Joins).toBe(String(want.reduce((a, p) => a + p.v, 0)));
    expect(fields(reply).Leaves).toBe('0');
  }, 60_000);
});

describe('Asia/Kolkata', () => {
  const c = CASES[2]!;

  it('answers for a day whose only message was sent between local 00:00 and 00:30 (the day before in UTC)', async () => {
    const reply = await invoke(c, 'stats', 'server', dates(c, '2026-11-23'));
    expect(reply.flags & EPHEMERAL).toBe(0);
    expect(fields(reply).Messages).toBe('1');
    const chart = await chartOf(reply, 'line');
    const lit = pointsOf(chart).filter((p) => (p.v ?? 0) > 0);
    expect(lit).toEqual([{ t: Date.parse('2026-11-22T18:30:00Z'), v: 1 }]); // 00:00 IST
    expect(local(lit[0]!.t, c.zone)).toMatchObject({ date: '2026-11-23', hour: 0, minute: 0 });
  }, 60_000);

  it('charts 15:10 local at 15:00 local, hour slots on the half hour in UTC', async () => {
    const reply = await invoke(c, 'stats', 'server', dates(c));
    const points = pointsOf(await chartOf(reply, 'line'));
    expect(points.every((p) => new Date(p.t).getUTCMinutes() === 30)).toBe(true);
    const at15 = points.find((p) => local(p.t, c.zone).hour === 15)!;
    expect(at15).toEqual({ t: Date.parse('2026-11-20T09:30:00Z'), v: 5 }); // 15:10 ×3, 15:29, 15:35
    expect(points.find((p) => local(p.t, c.zone).hour === 14)!.v).toBe(0);
  }, 60_000);

  it('says "1 message", not "1 messages"', async () => {
    const authors = userOf.get(c.guildId!)!;
    const once = authors.at(-1)!;
    expect(authors.filter((a) => a === once)).toHaveLength(1);
    const reply = await invoke(c, 'top', 'messages', [{ name: 'period', type: 3, value: '1y' }]);
    const board = fields(reply)['Top members by messages']!;
    expect(board).toContain(`<@${once}> — 1 message\n`.trimEnd());
    expect(board).not.toMatch(/\b1 messages\b/);
    for (const line of board.split('\n')) expect(line).toMatch(/— (1 message|([02-9]|\d{2,}) messages)$/);
  }, 60_000);
});
