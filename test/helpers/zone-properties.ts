// Property test of invariant 7 (exact in the server's zone), shared by both engines: test/zones.test.ts
// runs it on PostgreSQL, test/timescale.test.ts on TimescaleDB (PGlite) with every rollup materialized.
//
// Scenarios cover every distinct UTC offset any zone has between 2000 and 2036 and every kind of offset
// change (size and local wall-clock time it happens at) in that period, found with ICU (helpers/zones.ts),
// plus named zones the issue names. Each scenario is one guild in one zone with messages at random
// minutes and on the edges of the change and of local midnight, and member joins at the same minutes.
// The bot's series, heatmaps and totals must equal what the ICU reference gives for every message: its
// local hour, day and weekday, every slot as an instant (23 / 25-hour days), totals = sum of series.
import type { Queryable } from '../../src/db/pool.js';
import { familySeries, familyTotal, heatmap } from '../../src/stats/families.js';
import { memberGrowth } from '../../src/stats/members.js';
import { messageTotals, type Range } from '../../src/stats/queries.js';
import { bucketOf, bucketStart, bucketsBetween, local, offsetAt, transitionsOf, type Unit } from './zones.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2000, 0, 1);
const TO = Date.UTC(2036, 11, 31);

/** mulberry32, seeded: every run checks the same instants. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Scenario {
  /** Why it is here: "offset +05:45", "change +60m at 02:00", "named". */
  why: string;
  zone: string;
  guildId: string;
  /** The instant the scenario is about: an offset change, or an instant with the offset. */
  focus: number;
  /** Message (and join) minutes. */
  minutes: number[];
  hourRange: { from: number; to: number };
  dayRange: { from: number; to: number };
  /** A range ending after every message, at an instant on no boundary (like a period ending now). */
  openRange: { from: number; to: number };
}

const fmtOffset = (o: number) =>
  `${o < 0 ? '-' : '+'}${String(Math.floor(Math.abs(o) / 60)).padStart(2, '0')}:${String(Math.abs(o) % 60).padStart(2, '0')}`;
const wall = (t: number, o: number) => new Date(t + o * MINUTE).toISOString().slice(11, 16);

/** Named in the issue or known to be tricky; each gets a scenario at its latest change (or now). */
export const NAMED_ZONES = [
  'Asia/Calcutta', // ICU's name for Asia/Kolkata (+05:30)
  'Asia/Katmandu', // Asia/Kathmandu (+05:45)
  'Australia/Eucla', // +08:45
  'Pacific/Chatham', // +12:45 / +13:45
  'Australia/Lord_Howe', // 30-minute DST shift
  'Europe/Berlin',
  'America/Havana', // midnight happens twice when DST ends
  'America/Santiago', // midnight skipped when DST starts
  'America/Goose_Bay', // changes at 00:01 local until 2011
  'Antarctica/Casey', // a change at 00:01 local in 2022
  'Pacific/Apia', // skipped 2011-12-30
];

export function buildScenarios(seed = 9): Scenario[] {
  const rnd = prng(seed);
  const zones = Intl.supportedValuesOf('timeZone');
  const byOffset = new Map<number, { zone: string; at: number }>();
  const byKind = new Map<string, { zone: string; at: number }>();
  const latest = new Map<string, number>();
  for (const zone of zones) {
    const changes = transitionsOf(zone, FROM, TO);
    const o0 = offsetAt(FROM, zone);
    if (!byOffset.has(o0)) byOffset.set(o0, { zone, at: FROM + 40 * DAY });
    for (const c of changes) {
      if (!byOffset.has(c.after)) byOffset.set(c.after, { zone, at: c.at + 20 * DAY });
      const kind = `change ${c.after > c.before ? '+' : ''}${c.after - c.before}m at ${wall(c.at, c.before)}`;
      // The latest of each kind: the years servers have data in.
      if ((byKind.get(kind)?.at ?? 0) < c.at && c.at < Date.UTC(2027, 0, 1)) byKind.set(kind, { zone, at: c.at });
      if (c.at < Date.UTC(2027, 0, 1)) latest.set(zone, c.at);
    }
  }
  const picks: { why: string; zone: string; at: number }[] = [
    ...[...byOffset].map(([o, p]) => ({ why: `offset ${fmtOffset(o)}`, ...p })),
    ...[...byKind].map(([k, p]) => ({ why: k, ...p })),
    ...NAMED_ZONES.map((zone) => ({ why: `named ${zone}`, zone, at: latest.get(zone) ?? Date.UTC(2026, 5, 1) })),
  ];
  return picks.map((p, i) => scenario(p.why, p.zone, `7${String(i).padStart(18, '0')}`, p.at, rnd));
}

function scenario(why: string, zone: string, guildId: string, focus: number, rnd: () => number): Scenario {
  const minute = (t: number) => Math.floor(t / MINUTE) * MINUTE;
  const minutes = new Set<number>();
  // Around the focus: random minutes, and the edges of the change.
  for (let i = 0; i < 30; i++) minutes.add(minute(focus - 3 * DAY + rnd() * 6 * DAY));
  for (const d of [-61, -60, -31, -30, -16, -15, -1, 0, 1, 14, 15, 29, 30, 59, 60, 61]) minutes.add(focus + d * MINUTE);
  // Local midnight of the focus day and the next, and their neighbours.
  for (const t of [focus, focus + DAY]) {
    const s = bucketStart(t, zone, 'day');
    for (const d of [-1, 0, 1]) minutes.add(s + d * MINUTE);
  }
  // Spread over six weeks: days and weekdays.
  for (let i = 0; i < 30; i++) minutes.add(minute(focus - 21 * DAY + rnd() * 42 * DAY));
  // Ranges: start anywhere (the bot aligns to the bucket holding it); end on a bucket boundary (calendar
  // ranges end at local midnight), except the open range, which ends after the last message.
  const hourFrom = minute(focus - 26 * HOUR - rnd() * HOUR) + Math.floor(rnd() * MINUTE);
  const hourTo = bucketsBetween(focus + 22 * HOUR, focus + 24 * HOUR, zone, 'hour')[1]!.start;
  const dayFrom = minute(focus - 15 * DAY - rnd() * DAY) + Math.floor(rnd() * MINUTE);
  const dayTo = bucketsBetween(focus + 10 * DAY, focus + 12 * DAY, zone, 'day')[1]!.start;
  const last = Math.max(...minutes);
  return {
    why,
    zone,
    guildId,
    focus,
    minutes: [...minutes].sort((a, b) => a - b),
    hourRange: { from: hourFrom, to: hourTo },
    dayRange: { from: dayFrom, to: dayTo },
    openRange: { from: minute(focus - 2 * DAY) + 17_000, to: last + MINUTE + 23_456 },
  };
}

/** Inserts every scenario's messages (raw minute rows) and joins (member_events) into `db`. */
export async function loadScenarios(db: Queryable, scenarios: Scenario[]): Promise<void> {
  const rows = scenarios.flatMap((s) =>
    s.minutes.map((t, i) => ({
      t,
      g: s.guildId,
      c: `2${String(i % 3).padStart(18, '0')}`,
      u: `3${String(i % 5).padStart(18, '0')}`,
    })),
  );
  for (let i = 0; i < rows.length; i += 5_000) {
    const chunk = rows.slice(i, i + 5_000);
    await db.query(
      `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
       SELECT b, g, c, 0, u, 1, 2, 0 FROM unnest($1::timestamptz[], $2::bigint[], $3::bigint[], $4::bigint[]) AS x(b, g, c, u)`,
      [chunk.map((r) => new Date(r.t)), chunk.map((r) => r.g), chunk.map((r) => r.c), chunk.map((r) => r.u)],
    );
    await db.query(
      `INSERT INTO member_events (at, guild_id, user_id, kind, attribution, account_created_at)
       SELECT a, g, u, 'join', 'unknown', TIMESTAMPTZ '2015-01-01Z' FROM unnest($1::timestamptz[], $2::bigint[], $3::bigint[]) AS x(a, g, u)`,
      [
        chunk.map((r) => new Date(r.t)),
        chunk.map((r) => r.g),
        chunk.map((r, k) => `4${String(i + k).padStart(18, '0')}`),
      ],
    );
  }
}

interface Point {
  t: number;
  v: number;
}

/** The reference series: every local bucket from the one holding `from` to `to`, with its messages. */
export function expectedSeries(s: Scenario, unit: Unit, r: { from: number; to: number }): Point[] {
  const slots = bucketsBetween(r.from, r.to, s.zone, unit);
  const counts = new Map<string, number>();
  const start = slots[0]!.start;
  for (const t of s.minutes)
    if (t >= start && t < r.to) counts.set(bucketOf(t, s.zone, unit), (counts.get(bucketOf(t, s.zone, unit)) ?? 0) + 1);
  const out = slots.map((x) => ({ t: x.start, v: counts.get(x.key) ?? 0 }));
  // Every counted message has its slot.
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (out.reduce((a, p) => a + p.v, 0) !== total) throw new Error(`reference lost messages in ${s.why}`);
  return out;
}

/** The reference heatmap: messages from the local hour holding `from` up to `to`, by ISO weekday and local hour. */
export function expectedHeatmap(s: Scenario, r: { from: number; to: number }): number[][] {
  const cells = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const start = bucketStart(r.from, s.zone, 'hour');
  for (const t of s.minutes) {
    if (t < start || t >= r.to) continue;
    const l = local(t, s.zone);
    cells[l.weekday - 1]![l.hour]!++;
  }
  return cells;
}

const range = (s: Scenario, r: { from: number; to: number }): Range => ({
  guildId: s.guildId,
  from: new Date(r.from),
  to: new Date(r.to),
  timeZone: s.zone,
});

/**
 * Every property for every scenario on `db`; returns one line per failure (empty when all hold) and how
 * many comparisons were made. `growth: false` leaves out /growth's series (member_events is a plain
 * hypertable on TimescaleDB, no rollup: the engine adds nothing to check there, and PGlite is slow).
 */
export async function checkScenarios(
  db: Queryable,
  scenarios: Scenario[],
  o: { growth?: boolean } = {},
): Promise<{ failures: string[]; checks: number }> {
  const failures: string[] = [];
  let checks = 0;
  const same = (what: string, s: Scenario, got: unknown, want: unknown) => {
    checks++;
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures.push(
        `${s.why} (${s.zone}, focus ${new Date(s.focus).toISOString()}): ${what}\n    got  ${JSON.stringify(got).slice(0, 600)}\n    want ${JSON.stringify(want).slice(0, 600)}`,
      );
    }
  };
  const iso = (p: Point[]) => p.map((x) => `${new Date(x.t).toISOString().slice(0, 16)}=${x.v}`);
  for (const s of scenarios) {
    const cases: [string, Unit, { from: number; to: number }][] = [
      ['hour series', 'hour', s.hourRange],
      ['day series', 'day', s.dayRange],
      ['hour series, open end', 'hour', s.openRange],
      ['day series, open end', 'day', s.openRange],
    ];
    const [messages, joins] = await Promise.all([
      Promise.all(cases.map(([, unit, r]) => familySeries(db, 'messages', 'messages', range(s, r), unit))),
      o.growth === false ? undefined : Promise.all(cases.map(([, unit, r]) => memberGrowth(db, range(s, r), unit))),
    ]);
    for (const [k, [name, unit, r]] of cases.entries()) {
      const want = expectedSeries(s, unit, r);
      same(`messages ${name}`, s, iso(messages[k]!), iso(want));
      if (joins) same(`joins ${name}`, s, iso(joins[k]!.map((g) => ({ t: g.t, v: g.joins }))), iso(want));
    }
    const [cells, total, totals] = await Promise.all([
      heatmap(db, 'messages', 'messages', range(s, s.dayRange)),
      familyTotal(db, 'messages', 'messages', range(s, s.hourRange)),
      messageTotals(db, range(s, s.dayRange), 'day'),
    ]);
    same('heatmap (weekday × local hour)', s, cells, expectedHeatmap(s, s.dayRange));
    // Totals equal the sum of their series.
    same(
      'total over the hour range = sum of the hour series',
      s,
      total,
      messages[0]!.reduce((a, p) => a + p.v, 0),
    );
    same(
      'raw total over the day range = sum of the day series',
      s,
      totals.messages,
      messages[1]!.reduce((a, p) => a + p.v, 0),
    );
  }
  return { failures, checks };
}
