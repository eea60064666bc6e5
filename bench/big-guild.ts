// `npm run bench -- scale --big-guild [--duration=SECONDS] [--rate=MSGS_PER_S]` (default 60 s, 100 messages/s):
// memory of one shard process joined to one 100,000-member guild, with and without the member tracking
// of src/shard/structure.ts (names, roles and members' current roles in PostgreSQL).
//
// Three child processes, each the real bot (createBot: production client configuration, collectors, Redis,
// PostgreSQL, a render thread), on one shard of a simulated world holding only the big guild, each with
// its own database and Redis key prefix, all receiving the same dispatches: "ours" as shipped, which asks
// for the member list (op 8) and writes it; the baseline with structure recording off
// (BotOptions.recordStructure = false), i.e. the process as it was before member tracking; and a second
// baseline as a control, for the noise between identical processes (RSS varies by several %). Traffic for
// the duration: messages from many members, role and nickname changes, joins and leaves. Then, once ours
// has written everything, heap and RSS of each after a full GC, the ratios (target ≤ 1.10), the peak RSS
// during the run, the op 8 requests and chunks, and every member's roles in PostgreSQL against the world.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import readline from 'node:readline';
import { BENCH_SERVER_URL, runSql } from './scratch-database.js';
import { startSimulator, type Simulator } from 'discord-sim';
import { loadConfig, redisTarget, required } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import { connectRedis, scanKeys } from '../src/redis.js';
import { RenderPool } from '../src/render/pool.js';
import { createBot } from '../src/shard/bot.js';
import { startEmbeddedRedis } from '../dev/embedded.js';
import { flag, rssMb, spawnEntry, waitFor } from './scale.js';

const MEMBERS = 100_000;
/** `control`: a second baseline, so the run shows how far two identical processes differ. */
const SIDES = ['ours', 'baseline', 'control'] as const;
type Side = (typeof SIDES)[number];
const LABEL: Record<Side, string> = {
  ours: 'ours (member tracking on)',
  baseline: 'baseline (tracking off) ',
  control: 'control (= baseline)    ',
};
/** Lines of the child protocol start with this; anything else on the child's stdout is its log. */
const MARK = '@@ ';

interface Memory {
  rss: number;
  heapUsed: number;
  /** V8 heap reserved, C++ objects tied to JS ones, and ArrayBuffers (socket frames among them). */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Members and users in discord.js's caches (ours keeps only the bot's own). */
  cachedMembers: number;
  cachedUsers: number;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function benchBigGuild(): Promise<void> {
  const durationS = Number(flag('duration') ?? 60);
  const rate = Number(flag('rate') ?? 100);
  const tag = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const base = BENCH_SERVER_URL;
  const admin = (sql: string) => runSql(sql);
  const dbName = (side: Side) => `bench_big_${side}_${tag}`;
  const dbUrl = (side: Side) => Object.assign(new URL(base), { pathname: `/${dbName(side)}` }).toString();
  const embeddedRedis = process.env.REDIS_URL ? undefined : await startEmbeddedRedis();
  const redisUrl = process.env.REDIS_URL || embeddedRedis!.url;
  const prefix = (side: Side) => `bench-big-${side}-${tag}`;
  const children: Partial<Record<Side, { proc: ChildProcess; ask: (q: string) => Promise<string> }>> = {};
  let sim: Simulator | undefined;
  const pool = createPool(dbUrl('ours'));
  try {
    for (const side of SIDES) {
      await admin(`CREATE DATABASE ${dbName(side)} TEMPLATE template0`);
      await migrate(dbUrl(side));
    }
    let t0 = performance.now();
    sim = await startSimulator({ guilds: 0, largeGuilds: [MEMBERS], shards: 1, logLevel: 'error' });
    const s = sim;
    const g = [...s.world.guilds.values()][0]!;
    console.log(
      `big guild: one shard process joined to one ${g.members.size.toLocaleString('en-US')}-member guild, ${rate} messages/s with member churn for ${durationS} s`,
    );
    console.log(`  simulator world built and listening in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // One after the other, so each identifies alone (their throttlers do not share a Redis prefix).
    for (const side of SIDES) {
      t0 = performance.now();
      const proc = spawnEntry(
        './big-guild.ts',
        {
          BIG_GUILD_CHILD: side,
          DISCORD_TOKEN: s.token,
          DISCORD_API_URL: s.apiUrl,
          DATABASE_URL: dbUrl(side),
          REDIS_URL: redisUrl,
          REDIS_KEY_PREFIX: prefix(side),
          LOG_LEVEL: 'warn',
          RENDER_THREADS: '1',
        },
        { piped: true, nodeArgs: ['--expose-gc'] },
      );
      const lines = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const next = async (): Promise<string> => {
        for (;;) {
          const r = await lines.next();
          if (r.done) throw new Error(`${side} process ended`);
          const line = String(r.value);
          if (line.startsWith(MARK)) return line.slice(MARK.length);
          process.stderr.write(`[${side}] ${line}\n`);
        }
      };
      children[side] = {
        proc,
        ask: async (q) => {
          proc.stdin!.write(`${q}\n`);
          return next();
        },
      };
      await next(); // "ready"
      console.log(`  ${side} process ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const ask = (side: Side, q: string) => children[side]!.ask(q);

    // Peak RSS of each process while the member list arrives and the traffic runs.
    const peak: Record<Side, number> = { ours: 0, baseline: 0, control: 0 };
    const sampler = setInterval(() => {
      for (const side of SIDES) peak[side] = Math.max(peak[side], rssMb(children[side]!.proc.pid));
    }, 500);

    // Traffic: messages from the guild's members (Zipf over 100,000: about half from outside the top 1,000),
    // and every 100 ms one change to the member list: a role given or taken, a nickname, a join or a leave.
    const deadline = Date.now() + durationS * 1000;
    let seed = 1;
    const messages = (async () => {
      let sent = 0;
      while (Date.now() < deadline)
        sent += (await s.sendTraffic({ messages: rate * 5, ratePerSec: rate, guildIds: [g.id], seed: seed++ })).sent;
      return sent;
    })();
    const ids = [...g.members.keys()].filter((id) => id !== s.world.botUser.id && id !== g.ownerId);
    const roles = g.roles.filter((r) => r.id !== g.id && !r.managed).map((r) => r.id);
    const invite = s.members.createInvite(g.id, { inviterId: g.ownerId });
    const churn = { roles: 0, nicks: 0, joins: 0, leaves: 0 };
    let n = 0;
    const pick = () => ids[Math.floor(Math.random() * ids.length)]!;
    while (Date.now() < deadline) {
      const op = n++ % 10;
      if (op < 5) {
        const userId = pick();
        const role = roles[n % roles.length]!;
        const has = g.members.get(userId)!.roles.includes(role);
        s.structure.setMemberRoles(g.id, userId, has ? { remove: [role] } : { add: [role] });
        churn.roles++;
      } else if (op < 7) {
        const userId = pick();
        s.structure.setNickname(g.id, userId, n % 2 ? `nick${n}` : null);
        churn.nicks++;
      } else if (op < 9) {
        const user = s.members.newUser(30);
        s.members.join(g.id, user, { code: invite.code });
        ids.push(user.id);
        churn.joins++;
      } else {
        const i = Math.floor(Math.random() * ids.length);
        s.members.leave(g.id, ids[i]!);
        ids[i] = ids[ids.length - 1]!;
        ids.pop();
        churn.leaves++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const sent = await messages;
    console.log(
      `  traffic: ${sent.toLocaleString('en-US')} messages, ${churn.roles} role changes, ${churn.nicks} nickname changes, ${churn.joins} joins, ${churn.leaves} leaves`,
    );

    // Settled: ours has nothing queued, requested or pending.
    t0 = performance.now();
    await waitFor('the member tracking to settle', 300_000, async () => (await ask('ours', 'idle')) === 'true');
    clearInterval(sampler);
    console.log(`  ours settled ${((performance.now() - t0) / 1000).toFixed(1)} s after the traffic stopped`);

    const mem = {} as Record<Side, Memory>;
    for (const side of SIDES) mem[side] = JSON.parse(await ask(side, 'mem')) as Memory;
    console.log(`memory after a full GC (same run, same guild, same dispatches):`);
    for (const side of SIDES) {
      const m = mem[side];
      console.log(
        `  ${LABEL[side]}: heap ${mb(m.heapUsed)} (of ${mb(m.heapTotal)}; external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}), RSS ${mb(m.rss)}, peak RSS ${peak[side].toFixed(0)} MB  (cached members ${m.cachedMembers}, users ${m.cachedUsers})`,
      );
    }
    const ratios = (side: Side) =>
      `heap ${(mem[side].heapUsed / mem.baseline.heapUsed).toFixed(3)}, RSS ${(mem[side].rss / mem.baseline.rss).toFixed(3)}, peak RSS ${(peak[side] / peak.baseline).toFixed(3)}`;
    console.log(`  ratio ours / baseline:    ${ratios('ours')}  (target ≤ 1.10 after settling)`);
    console.log(`  ratio control / baseline: ${ratios('control')}  (noise between identical processes)`);
    const mr = s.memberRequests;
    console.log(
      `  member list: ${s.gatewayMessages(8)} op 8 request(s) sent, ${mr.answered} answered, ${mr.rateLimited} rate limited, ${mr.chunks} chunk(s) of up to 1,000`,
    );

    // Every member's roles in PostgreSQL against the world's.
    const { rows } = await pool.query<{ user_id: string; roles: string[] | null }>(
      `SELECT m.user_id::text, array_agg(r.role_id::text) FILTER (WHERE r.role_id IS NOT NULL) AS roles
         FROM guild_members m LEFT JOIN member_roles r ON r.guild_id = m.guild_id AND r.user_id = m.user_id
        WHERE m.guild_id = $1::bigint GROUP BY m.user_id`,
      [g.id],
    );
    const stored = new Map(rows.map((r) => [r.user_id, [...(r.roles ?? [])].sort().join(',')]));
    let wrong = 0;
    let missing = 0;
    for (const [id, m] of g.members) {
      const roles = stored.get(id);
      if (roles === undefined) missing++;
      else if (roles !== [...m.roles].sort().join(',')) wrong++;
    }
    const extra = [...stored.keys()].filter((id) => !g.members.has(id)).length;
    console.log(
      `  roles in PostgreSQL vs the simulator, all ${g.members.size.toLocaleString('en-US')} members: ${wrong === 0 && missing === 0 && extra === 0 ? 'equal' : `NOT equal (${wrong} with other roles, ${missing} missing, ${extra} who left still stored)`}`,
    );
  } finally {
    for (const c of Object.values(children))
      if (c.proc.exitCode === null && c.proc.signalCode === null)
        await new Promise<void>((resolve) => {
          c.proc.once('exit', () => resolve());
          c.proc.kill('SIGTERM');
          setTimeout(() => c.proc.kill('SIGKILL'), 30_000).unref();
        });
    await sim?.close();
    await pool.end();
    const redis = connectRedis({ url: redisUrl });
    for (const side of SIDES)
      await Promise.all((await scanKeys(redis, `${prefix(side)}:*`)).map((k) => redis.unlink(k)));
    await redis.quit();
    await embeddedRedis?.stop();
    for (const side of SIDES) await admin(`DROP DATABASE IF EXISTS ${dbName(side)} WITH (FORCE)`).catch(() => {});
  }
}

/** A child: the bot on shard 0 of 1; answers `idle` and `mem` (after a full GC) on stdin. */
async function child(side: Side): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { bench: side });
  const redis = connectRedis(redisTarget(config, 'in the big-guild bench'));
  const pool = createPool(required(config.databaseUrl, 'DATABASE_URL', 'in the big-guild bench'));
  const render = new RenderPool({ threads: config.renderThreads, logger });
  const bot = createBot({
    config,
    redis,
    pool,
    render,
    logger,
    shards: [0],
    shardCount: 1,
    registerCommands: false,
    recordStructure: side === 'ours',
  });
  await bot.start();
  const say = (s: string) => process.stdout.write(`${MARK}${s}\n`);
  say('ready');
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const q = line.trim();
    if (q === 'idle') say(String(bot.structure.idle()));
    else if (q === 'mem') {
      // Full GCs, a pause for V8 to hand freed pages back, and a last GC.
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3; i++) gc?.();
      await new Promise((r) => setTimeout(r, 2_000));
      gc?.();
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      let cachedMembers = 0;
      for (const guild of bot.client.guilds.cache.values()) cachedMembers += guild.members.cache.size;
      const m: Memory = {
        rss,
        heapUsed,
        heapTotal,
        external,
        arrayBuffers,
        cachedMembers,
        cachedUsers: bot.client.users.cache.size,
      };
      say(JSON.stringify(m));
    }
  }
}

if (process.env.BIG_GUILD_CHILD) {
  const side = process.env.BIG_GUILD_CHILD as Side;
  if (!SIDES.includes(side)) throw new Error(`BIG_GUILD_CHILD must be one of ${SIDES.join(', ')}, got ${side}`);
  process.on('SIGTERM', () => process.exit(0));
  await child(side);
}
