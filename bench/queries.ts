// Queries on a big server: what `/stats server 30d`, `/top messages 30d` and `/activity 30d` cost the
// database for one busy community with 90 days of history (over 10 million raw message rows), on plain
// PostgreSQL, side by side in the same run and the same database:
//   ours     - the rollups as they are: tables kept exact by triggers on the raw tables (sql/015);
//   baseline - the previous design: the same rollup names as views over the raw tables (created in a
//              schema of their own and put first on the search_path, so src/stats runs unchanged; the
//              guild-wide rollups, which the previous release did not have, are views too). A view query
//              aggregates all 90 days of raw rows and takes minutes here: the baseline runs once per
//              command, in UTC only, and its single time stands for its p50 and p95.
// Both answer every query the same (checked here). The data is loaded through the triggers, in one
// INSERT per day, as ingest would load it in many smaller COPYs; the load time is printed too.
// BENCH_DB_URL / BENCH_KEEP_DB (bench/scratch-database.ts) keep the loaded database between runs: a run on a
// database that already holds the guild measures it as loaded (its "now" is the end of the loaded data).
// BENCH_NO_BASELINE=1 leaves the views out (minutes per run) while iterating on the tables' queries.
// The community: 2,000 members in 30 channels, 30-130 message rows a minute following the time of day,
// members chatting in 10-minute sessions; voice, emoji and app-command rows beside them; two known bots.
import { createPool, type Pool } from '../src/db/pool.js';
import { FAMILIES, FAMILY_NAMES, rollupsOf, type FamilyName } from '../src/families.js';
import { botAuthorCount, messageActivity } from '../src/stats/activity.js';
import { familySeries, heatmap, topBy } from '../src/stats/families.js';
import type { Range } from '../src/stats/queries.js';
import { scratchDatabase } from './scratch-database.js';
import { REPORT_FIELDS } from '../src/commands/framework/stats-report.js';

const GUILD = '1900000000000000001';
const DAYS = 90;
const RUNS = 20;
const ZONES = ['UTC', 'Europe/Berlin', 'Asia/Kolkata'];
/** The fields /stats server charts and totals. */
const FIELDS: [FamilyName, string][] = REPORT_FIELDS.map((f) => [f.family, f.column]);

/** What each command asks the database (src/commands: framework/stats-report.ts, top.ts, activity.ts), bots left out. */
const COMMANDS: Record<string, (db: Pool, r: Range) => Promise<unknown>> = {
  '/stats server 30d': async (db, r) => {
    await botAuthorCount(db, r, 'day', {});
    const f = { withoutBots: true };
    return Promise.all([
      Promise.all(FIELDS.map(([family, col]) => familySeries(db, family, col, r, 'day', f))),
      messageActivity(db, r, 'day', f),
    ]);
  },
  '/top messages 30d': async (db, r) => {
    await botAuthorCount(db, r, 'hour', {});
    return topBy(db, 'messages', 'messages', 'user_id', r, { limit: 10, filter: { withoutBots: true } });
  },
  '/activity 30d': async (db, r) => {
    await botAuthorCount(db, r, 'hour', {});
    return heatmap(db, 'messages', 'messages', r, { withoutBots: true });
  },
};

async function load(db: Pool, now: number): Promise<{ rows: Record<string, number>; seconds: number }> {
  const start = Math.floor((now - DAYS * 86_400_000) / 86_400_000) * 86_400_000;
  const t = performance.now();
  await db.query('INSERT INTO bot_authors (guild_id, user_id) VALUES ($1::bigint, 3000), ($1::bigint, 3001)', [GUILD]);
  for (let d = 0; d <= DAYS; d++) {
    const day = new Date(start + d * 86_400_000);
    // Rows a minute follow the time of day: 30 at 06:00 UTC, 130 at 18:00.
    await db.query(
      `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
       SELECT $1::timestamptz + make_interval(mins => m), $2::bigint, 2000 + u % 30, 0, 3000 + u, 1 + (m + s) % 3, 4 + (m * 7 + s) % 13, (m + s) % 2
         FROM generate_series(0, 1439) AS m,
              LATERAL generate_series(0, 29 + round(50 * (1 - cos(2 * pi() * (m - 360) / 1440)))::int) AS s,
              LATERAL (SELECT ((m + $3::int * 1440) / 10 * 131 + s * 37) % 2000 AS u) AS who
        WHERE $1::timestamptz + make_interval(mins => m) < $4::timestamptz`,
      [day, GUILD, d, new Date(now)],
    );
    await db.query(
      `INSERT INTO voice_raw (bucket, guild_id, channel_id, user_id, seconds, muted_seconds, deafened_seconds, streaming_seconds, video_seconds)
       SELECT $1::timestamptz + make_interval(mins => m), $2::bigint, 5000 + s % 3, 3000 + ((m / 30) * 7 + s) % 2000, 60, (s % 2) * 60, 0, (s % 5 / 4) * 60, 0
         FROM generate_series(0, 1439) AS m, generate_series(0, 7) AS s WHERE $1::timestamptz + make_interval(mins => m) < $3::timestamptz`,
      [day, GUILD, new Date(now)],
    );
    await db.query(
      `INSERT INTO emojis_raw (bucket, guild_id, user_id, emoji, source, uses)
       SELECT $1::timestamptz + make_interval(mins => m), $2::bigint, 3000 + (m * 13 + s * 101) % 2000, (ARRAY['😀', '👍', '🎉', '4100000000000000001'])[1 + (m + s) % 4], (ARRAY['message', 'reaction'])[1 + s % 2], 1 + s % 2
         FROM generate_series(0, 1439) AS m, generate_series(0, 5) AS s WHERE $1::timestamptz + make_interval(mins => m) < $3::timestamptz`,
      [day, GUILD, new Date(now)],
    );
    await db.query(
      `INSERT INTO app_commands_raw (bucket, guild_id, channel_id, user_id, application_id, command, uses)
       SELECT $1::timestamptz + make_interval(mins => m), $2::bigint, 2000 + m % 30, 3000 + (m * 17) % 2000, 5100000000000000001, (ARRAY['stats', 'top', 'play'])[1 + m % 3], 1
         FROM generate_series(0, 1439) AS m WHERE $1::timestamptz + make_interval(mins => m) < $3::timestamptz`,
      [day, GUILD, new Date(now)],
    );
  }
  const seconds = (performance.now() - t) / 1000;
  const rows: Record<string, number> = {};
  for (const f of FAMILY_NAMES) {
    rows[FAMILIES[f].table] = Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${FAMILIES[f].table}`)).rows[0]!.n,
    );
  }
  return { rows, seconds };
}

async function p95(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn(); // warm
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor((times.length - 1) / 2)]!, p95: times[Math.ceil(times.length * 0.95) - 1]! };
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

export async function benchQueries(): Promise<void> {
  const db = await scratchDatabase('queries');
  const ours = createPool(db.url);
  const baseline = createPool(db.viewsUrl);
  try {
    const loaded = db.reused
      ? (
          await ours.query<{ t: Date | null }>(
            'SELECT max(bucket) AS t FROM messages_raw WHERE guild_id = $1::bigint',
            [GUILD],
          )
        ).rows[0]!.t
      : null;
    const now = loaded ? new Date(loaded).getTime() + 60_000 : Date.now();
    if (loaded)
      console.log(`  reusing the guild loaded in ${db.url.replace(/^.*\//, '')}, up to ${loaded.toISOString()}`);
    else {
      const { rows, seconds } = await load(ours, now);
      await ours.query('VACUUM ANALYZE');
      const total = Object.values(rows).reduce((a, b) => a + b, 0);
      console.log(
        `  PostgreSQL: ${DAYS} days of one guild, ${Object.entries(rows)
          .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
          .join(
            ', ',
          )}; loaded through the rollup triggers in ${seconds.toFixed(0)} s (${Math.round(total / seconds).toLocaleString('en-US')} rows/s)`,
      );
    }
    const sizes = await ours.query<{ rel: string; n: string; mb: string }>(
      `SELECT relname AS rel, reltuples::bigint AS n, round(pg_total_relation_size(oid) / 1048576.0, 1) AS mb FROM pg_class
        WHERE relkind = 'r' AND relname = ANY($1::text[]) ORDER BY pg_total_relation_size(oid) DESC`,
      [[FAMILIES.messages.table, ...rollupsOf(FAMILIES.messages)]],
    );
    console.log(
      `  sizes: ${sizes.rows.map((s) => `${s.rel} ${Number(s.n).toLocaleString('en-US')} rows ${s.mb} MiB`).join(', ')}`,
    );
    for (const timeZone of ZONES) {
      const r: Range = {
        guildId: GUILD,
        from: new Date(now + 60_000 - 30 * 86_400_000),
        to: new Date(now + 60_000),
        timeZone,
      };
      for (const [command, run] of Object.entries(COMMANDS)) {
        const o = await p95(RUNS, () => run(ours, r));
        if (timeZone !== 'UTC' || process.env.BENCH_NO_BASELINE) {
          console.log(
            `  ${command.padEnd(18)} ${timeZone.padEnd(13)} tables p50 ${ms(o.p50).padStart(8)} p95 ${ms(o.p95).padStart(8)}`,
          );
          continue;
        }
        const t = performance.now();
        const b = await run(baseline, r);
        const v = performance.now() - t;
        const same = JSON.stringify(await run(ours, r)) === JSON.stringify(b) ? 'same answer' : 'ANSWERS DIFFER';
        console.log(
          `  ${command.padEnd(18)} ${timeZone.padEnd(13)} tables p50 ${ms(o.p50).padStart(8)} p95 ${ms(o.p95).padStart(8)}   views (one run) ${ms(v).padStart(9)}   p95 tables/views ${(o.p95 / v).toFixed(4)}  (${same})`,
        );
      }
    }
  } finally {
    await ours.end();
    await baseline.end();
    await db.drop();
  }
}
