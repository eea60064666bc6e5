// The dashboard's API on a big server: p50/p95 per page through the real Fastify routes (session in Redis,
// permission check, src/stats queries, JSON), for one guild with 90 days of a busy community's data
// (at most BENCH_WEB_ROWS_PER_MINUTE message rows a minute, following the time of day: half that on
// average; default 140: 9.1 million message rows and 1.8 million voice rows).
//   baseline - the previous release's rollups: views over the raw tables, aggregated on read (put first on
//              the search path, bench/scratch-database.ts);
//   rollups  - the rollups as migrated: tables kept exact by triggers (sql/015), guild-wide ones beside them.
// Same data, same requests, side by side in one run. A view query aggregates all 90 days of raw rows and
// takes minutes at full size: the baseline runs once per page, unwarmed, and its single time stands for
// its p50 and p95 (as in bench/queries.ts); BENCH_NO_BASELINE=1 leaves it out while iterating.
// BENCH_DB_URL / BENCH_KEEP_DB (bench/scratch-database.ts) keep the loaded database between runs: a run on a
// database that already holds the guild measures it as loaded (the API's periods end now: re-run within
// hours of loading, or the 7-day page reads past the end of the data).
import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { GuildSettingsStore } from '../src/settings.js';
import { DiscordClient } from '../src/web/discord.js';
import { bundledFrontEnd } from '../web/bundle.js';
import { scratchDatabase } from './scratch-database.js';
import { buildWebServer } from '../src/web/server.js';
import { SessionStore } from '../src/web/sessions.js';

const GUILD = '1900000000000000016';
const DAYS = 90;
const PER_MINUTE = Number(process.env.BENCH_WEB_ROWS_PER_MINUTE ?? 140);
const RUNS = { baseline: 1, rollups: 15 };
const PAGES = [
  'overview?period=90d',
  'overview?period=7d',
  'channels?period=90d',
  'members?period=90d',
  'members/1900000000000005001?period=90d',
  'voice?period=90d',
  'heatmap?period=90d',
];

async function load(pool: Pool, now: number): Promise<number> {
  const end = new Date(Math.floor(now / 60_000) * 60_000);
  for (let d = DAYS; d > 0; d--) {
    const from = new Date(end.getTime() - d * 86_400_000);
    const to = new Date(from.getTime() + 86_400_000);
    // Channels and members zipf-like (a few busy ones), evening peaks; one row per (minute, i).
    await pool.query(
      `INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments)
       SELECT m, $1::bigint, 1900000000000001000 + floor(40 * random() ^ 2)::int, 0, 1900000000000005000 + floor(3000 * random() ^ 3)::int,
              1 + floor(3 * random())::int, 1 + floor(30 * random())::int, (random() < 0.05)::int
         FROM generate_series($2::timestamptz, $3::timestamptz - INTERVAL '1 minute', INTERVAL '1 minute') AS m, generate_series(1, $4::int) AS i
        WHERE i <= $4 * (0.5 + 0.5 * sin(extract(hour FROM m) / 24 * 2 * pi()))`,
      [GUILD, from, to, PER_MINUTE],
    );
    await pool.query(
      `INSERT INTO voice_raw (bucket, guild_id, channel_id, user_id, seconds, muted_seconds, deafened_seconds, streaming_seconds, video_seconds)
       SELECT m, $1::bigint, 1900000000000002000 + floor(8 * random())::int, 1900000000000005000 + floor(3000 * random() ^ 3)::int, 60, 0, 0, 0, 0
         FROM generate_series($2::timestamptz, $3::timestamptz - INTERVAL '1 minute', INTERVAL '1 minute') AS m, generate_series(1, greatest(1, $4::int / 10)) AS i`,
      [GUILD, from, to, PER_MINUTE],
    );
    if (d % 10 === 0) process.stdout.write(`  loading: ${DAYS - d + 1}/${DAYS} days\r`);
  }
  // The rollup tables too (as autovacuum would in time): unanalyzed, the planner takes the guild's 2.8
  // million daily rows for one and reads them through the user index.
  await pool.query('VACUUM ANALYZE');
  const { rows } = await pool.query<{ n: string }>(
    'SELECT (SELECT count(*) FROM messages_raw WHERE guild_id = $1::bigint) + (SELECT count(*) FROM voice_raw WHERE guild_id = $1::bigint) AS n',
    [GUILD],
  );
  return Number(rows[0]!.n);
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function benchWeb(): Promise<void> {
  const db = await scratchDatabase('web');
  const pool = createPool(db.url, 10);
  const views = createPool(db.viewsUrl, 10);
  const redis = createRedis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  const prefix = `bench-web-${randomBytes(4).toString('hex')}`;
  const logger = createLogger('warn', { bench: 'web' });
  try {
    const started = Date.now();
    const present =
      db.reused &&
      (await pool.query('SELECT 1 FROM messages_raw WHERE guild_id = $1::bigint LIMIT 1', [GUILD])).rows.length > 0;
    if (present) console.log(`  reusing the guild loaded in ${db.url.replace(/^.*\//, '')}`);
    else {
      const n = await load(pool, started);
      console.log(
        `  ${n.toLocaleString('en-US')} raw rows (messages + voice) over ${DAYS} days in one guild, loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    const sessions = new SessionStore(redis, prefix);
    // A session whose guild list never goes stale: the bench measures the API, not Discord.
    const { id } = await sessions.create({
      userId: '1900000000000005001',
      username: 'bench',
      accessToken: 'x',
      guilds: [{ id: GUILD, name: 'Busy', owner: true, permissions: '8' }],
      guildsAt: Date.now() + 1e12,
    });
    const discord = new DiscordClient({
      apiUrl: 'http://127.0.0.1:9/api',
      oauthUrl: 'http://127.0.0.1:9',
      clientId: '1',
      clientSecret: 'x',
      botToken: 'x',
      redirectUri: 'http://127.0.0.1/auth/callback',
    });
    const frontEnd = await bundledFrontEnd();
    const measure = async (db: Pool, runs: number, warm: boolean) => {
      const app = await buildWebServer({
        db,
        redis,
        keyPrefix: prefix,
        settings: new GuildSettingsStore(db, redis, prefix, logger),
        discord,
        publicUrl: 'http://127.0.0.1',
        frontEnd,
        logger,
      });
      const out = new Map<string, number[]>();
      for (const page of PAGES) {
        const times: number[] = [];
        // With `warm`, a first run warms caches and is not counted.
        for (let i = warm ? 0 : 1; i <= runs; i++) {
          const t0 = performance.now();
          const r = await app.inject({ method: 'GET', url: `/api/guilds/${GUILD}/${page}`, cookies: { sid: id } });
          if (r.statusCode !== 200) throw new Error(`${page}: ${r.statusCode} ${r.body.slice(0, 200)}`);
          if (i > 0) times.push(performance.now() - t0);
        }
        out.set(page, times);
      }
      await app.close();
      return out;
    };
    const before = process.env.BENCH_NO_BASELINE ? undefined : await measure(views, RUNS.baseline, false);
    const after = await measure(pool, RUNS.rollups, true);
    console.log(
      `  per page: p50 / p95 (baseline: rollups as views over the raw tables, one unwarmed run; rollups: tables kept by triggers, ${RUNS.rollups} runs after a warm-up)`,
    );
    for (const page of PAGES) {
      const b = before?.get(page);
      const a = after.get(page)!;
      const base = b
        ? `baseline ${ms(pct(b, 50)).padStart(9)} / ${ms(pct(b, 95)).padStart(9)}   `
        : 'baseline (not run)   ';
      const ratio = b ? `   p95 rollups/baseline ${(pct(a, 95) / pct(b, 95)).toFixed(3)}` : '';
      console.log(
        `  ${page.padEnd(42)} ${base}rollups ${ms(pct(a, 50)).padStart(7)} / ${ms(pct(a, 95)).padStart(7)}${ratio}`,
      );
    }
  } finally {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.unlink(...keys);
    await redis.quit();
    await pool.end();
    await views.end();
    await db.drop();
  }
}
