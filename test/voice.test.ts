// Voice time: the minute split and exactly-once crediting of the session store (fake clock, real Redis),
// then scripted voice scenarios through the simulator into discord.js, Redis, the ingest worker's COPY and
// Postgres, compared with the simulator's ground truth — in process, and across a SIGKILLed cluster process.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pool } from '../src/db/pool.js';
import { FAMILIES, decodeField, encodeField, minuteOf } from '../src/families.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys, partitionOf } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { registry } from '../src/metrics.js';
import { createRedis, type Redis } from '../src/redis.js';
import type { Bot } from '../src/shard/bot.js';
import { voiceDims } from '../src/shard/collectors/voice.js';
import { accrue, decodeState, openState } from '../src/shard/sessions/segment.js';
import { SessionTracker } from '../src/shard/sessions/tracker.js';
import { SessionWriter } from '../src/shard/sessions/writer.js';
import type { Simulator } from 'discord-sim';
import { VoiceDriver, type VoiceTotals } from 'discord-sim';
import { sleep, startStack, type Stack } from '../dev/stack.js';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

const logger = createLogger('warn', { test: 'voice' });
const METRICS = FAMILIES.voice.metrics;
type DbTotals = Record<(typeof METRICS)[number], number>;

async function voiceTotals(pool: Pool): Promise<Map<string, DbTotals>> {
  const { rows } = await pool.query<Record<string, string>>(
    `SELECT guild_id::text AS g, channel_id::text AS c, user_id::text AS u, ${METRICS.map((m) => `sum(${m})::text AS ${m}`).join(', ')}
       FROM voice_raw GROUP BY 1, 2, 3`,
  );
  return new Map(
    rows.map((r) => [`${r.g}|${r.c}|${r.u}`, Object.fromEntries(METRICS.map((m) => [m, Number(r[m])])) as DbTotals]),
  );
}

/** Per key and metric: db − truth, with the key's segment count. */
function deviations(
  truth: Map<string, VoiceTotals>,
  db: Map<string, DbTotals>,
): { key: string; metric: string; dev: number; segments: number }[] {
  const out: { key: string; metric: string; dev: number; segments: number }[] = [];
  for (const [key, t] of truth)
    for (const m of METRICS) out.push({ key, metric: m, dev: (db.get(key)?.[m] ?? 0) - t[m], segments: t.segments });
  for (const [key, d] of db)
    if (!truth.has(key)) for (const m of METRICS) out.push({ key, metric: m, dev: d[m], segments: 0 });
  return out;
}

async function ingestAll(ingestor: Ingestor): Promise<void> {
  // Two passes: the second finds leftovers of the first's rotation window.
  await ingestor.runOnce();
  await ingestor.runOnce();
}

describe('session crediting (fake clock, real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  const partitions = 4;

  beforeAll(() => {
    const r = testRedis();
    prefix = r.prefix;
    redis = createRedis(r.url);
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    await redis.quit();
  });

  it('splits elapsed time at minute boundaries and carries milliseconds instead of rounding', () => {
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 50, 300);
    const s = openState('1', 0b11, t0, [0, 0, 0, 0, 0]);
    const a = accrue(s, Date.UTC(2026, 0, 1, 12, 1, 20));
    expect(a.credits).toEqual([
      { minute: minuteOf(t0), values: [9, 9, 0, 0, 0] },
      { minute: minuteOf(t0) + 1, values: [20, 20, 0, 0, 0] },
    ]);
    expect(a.next.rems).toEqual([700, 700, 0, 0, 0]);
    // 250 credits of 1.1 s each: exact 275 s, never drifting by a rounding per credit.
    let st = openState('1', 1, t0, [0, 0, 0, 0, 0]);
    let total = 0;
    for (let i = 1; i <= 250; i++) {
      const r = accrue(st, t0 + i * 1100);
      total += r.credits.reduce((x, c) => x + c.values[0]!, 0);
      st = r.next;
    }
    expect(total).toBe(275);
    expect(st.rems[0]).toBe(0);
  });

  it('credits each minute bucket once, atomically with the session, across a minute boundary', async () => {
    const keys = new Keys(prefix);
    let now = Date.UTC(2026, 0, 1, 12, 0, 50, 300);
    const writer = new SessionWriter({ redis, logger, maxBuffered: 1000 });
    const tracker = new SessionTracker({
      family: 'voice',
      dims: voiceDims,
      redis,
      writer,
      keys,
      partitions,
      logger,
      intervalMs: 60_000,
      now: () => now,
    });
    const guild = '111111111111111111';
    const channel = '222222222222222222';
    const user = '333333333333333333';
    const field = `${guild}|${user}`;
    const p = partitionOf(guild, partitions);
    tracker.reconcile(guild, new Map(), now);
    await expect.poll(() => tracker.reconcilingGuilds).toBe(0);

    tracker.set(guild, field, { attrs: channel, flags: 1 | 2 }, now); // joins muted at 12:00:50.3
    now = Date.UTC(2026, 0, 1, 12, 1, 20);
    tracker.creditAll(now); // timer at 12:01:20
    now = Date.UTC(2026, 0, 1, 12, 1, 40);
    tracker.set(guild, field, { attrs: channel, flags: 1 }, now); // unmutes at 12:01:40
    now = Date.UTC(2026, 0, 1, 12, 2, 5, 600);
    tracker.set(guild, field, undefined, now); // leaves at 12:02:05.6
    expect(await writer.settled()).toBe(true);

    const live = await redis.hgetall(keys.live('voice', p));
    const got = new Map<string, number>();
    for (const [f, v] of Object.entries(live)) {
      const d = decodeField(FAMILIES.voice, f)!;
      expect(d.dims).toEqual([guild, channel, user]);
      got.set(`${d.minute - minuteOf(Date.UTC(2026, 0, 1, 12, 0))}:${METRICS[d.metric]}`, Number(v));
    }
    // 9.7 s in minute 0, 60 s in minute 1 (49.7 s of it muted after the carried 0.7 s), 5.6 s in minute 2.
    // Exact: 75.3 s, 49.7 s muted; the muted remainder (0.7 s) rounds up when the session closes.
    expect(Object.fromEntries(got)).toEqual({
      '0:seconds': 9,
      '0:muted_seconds': 9,
      '1:seconds': 60,
      '1:muted_seconds': 40,
      '2:seconds': 6,
      '2:muted_seconds': 1,
    });
    expect(await redis.hlen(keys.sessions('voice', p))).toBe(0);

    // A change computed from a stale session (a replay after a crash) is refused: nothing is credited twice.
    tracker.set(guild, field, { attrs: channel, flags: 1 }, now);
    now += 30_000;
    tracker.creditAll(now);
    expect(await writer.settled()).toBe(true);
    const stored = decodeState((await redis.hget(keys.sessions('voice', p), field))!, METRICS.length)!;
    expect(stored.last).toBe(now);
    const minute2 = encodeField(FAMILIES.voice, minuteOf(now), [guild, channel, user], 0);
    expect(Number(await redis.hget(keys.live('voice', p), minute2))).toBe(36);
    const apply = (redis as unknown as { sessionApply: (...a: (string | number)[]) => Promise<number> }).sessionApply;
    const stale = 'x|1|0|0|0,0,0,0,0';
    expect(
      await apply.call(
        redis,
        keys.sessions('voice', p),
        keys.live('voice', p),
        field,
        stale,
        stale.replace('x', 'y'),
        minute2,
        30,
      ),
    ).toBe(0);
    expect(Number(await redis.hget(keys.live('voice', p), minute2))).toBe(36);
    // A change that applied but whose reply was lost is resent as it was: the resend is a no-op.
    const cur = (await redis.hget(keys.sessions('voice', p), field))!;
    const next = cur.replace(`|${now}|`, `|${now + 5000}|`);
    const args = [keys.sessions('voice', p), keys.live('voice', p), field, cur, next, minute2, 5] as const;
    expect(await apply.call(redis, ...args)).toBe(1);
    expect(await apply.call(redis, ...args)).toBe(2);
    expect(Number(await redis.hget(keys.live('voice', p), minute2))).toBe(41);
    writer.close();
  });

  it('keeps changes in order through a Redis outage and lands each second exactly once after it', async () => {
    const keys = new Keys(prefix);
    const target = new URL(inject('redisUrl'));
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const viaProxy = createRedis(`redis://127.0.0.1:${proxy.port}`);
    viaProxy.on('error', () => {});
    const writer = new SessionWriter({ redis: viaProxy, logger, maxBuffered: 1000, retryIntervalMs: 200 });
    let now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const tracker = new SessionTracker({
      family: 'voice',
      dims: voiceDims,
      redis: viaProxy,
      writer,
      keys,
      partitions,
      logger,
      intervalMs: 60_000,
      now: () => now,
    });
    const guild = '444444444444444444';
    const channel = '555555555555555555';
    const user = '666666666666666666';
    const field = `${guild}|${user}`;
    const p = partitionOf(guild, partitions);
    try {
      tracker.reconcile(guild, new Map(), now);
      await expect.poll(() => tracker.reconcilingGuilds).toBe(0);
      tracker.set(guild, field, { attrs: channel, flags: 1 }, now);
      expect(await writer.settled()).toBe(true);

      let reconnects = 0;
      viaProxy.on('reconnecting', () => reconnects++);
      proxy.cut();
      now += 20_000;
      tracker.creditAll(now);
      now += 20_000;
      tracker.set(guild, field, { attrs: channel, flags: 1 | 2 }, now); // mutes at 12:00:50
      now += 30_000;
      tracker.creditAll(now);
      now += 10_000;
      tracker.set(guild, field, undefined, now); // leaves at 12:01:30
      // Redis stays unreachable through three reconnect attempts of the client: the writer still holds the
      // session's changes, merged into one, and nothing of them reached Redis.
      await expect.poll(() => reconnects, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      expect(writer.pending).toBe(1); // one session's merged changes wait for Redis
      expect(await redis.hget(keys.sessions('voice', p), field)).not.toBeNull();
      proxy.restore();
      expect(await writer.settled(20_000)).toBe(true);

      const m0 = minuteOf(Date.UTC(2026, 0, 1, 12, 0));
      const live = await redis.hgetall(keys.live('voice', p));
      const got = Object.fromEntries(
        Object.entries(live)
          .map(([f, v]) => [decodeField(FAMILIES.voice, f)!, Number(v)] as const)
          .filter(([d]) => d.dims[0] === guild)
          .map(([d, v]) => [`${d.minute - m0}:${METRICS[d.metric]}`, v]),
      );
      expect(got).toEqual({ '0:seconds': 50, '0:muted_seconds': 10, '1:seconds': 30, '1:muted_seconds': 30 });
      expect(await redis.hget(keys.sessions('voice', p), field)).toBeNull();
    } finally {
      writer.close();
      viaProxy.disconnect();
      await proxy.close();
    }
  }, 40_000);
});

describe('voice time in process: scripted scenario across 2 guilds', () => {
  let t: TestBot;
  let sim: Simulator;
  let bot: Bot;
  let redis: Redis;
  let pool: Pool;
  let ingestor: Ingestor;
  let prefix: string;
  const INTERVAL = 1000;

  beforeAll(async () => {
    t = await startTestBot({ name: 'voice', sim: { seed: 1 }, env: { VOICE_CREDIT_INTERVAL_MS: String(INTERVAL) } });
    ({ sim, bot, redis, pool, ingestor, prefix } = t);
  }, 60_000);

  afterAll(() => t?.stop(), 60_000);

  it('joins, moves, mutes, deafens, streams, video and AFK land in Postgres as the truth per guild|channel|user', async () => {
    const w = sim.world;
    const guilds = [...w.guilds.values()];
    const a = guilds.find((g) => w.voiceChannels(g.id).length >= 3)!;
    const b = guilds.find(
      (g) => g !== a && w.voiceChannels(g.id).length >= 1 && w.humanMembers(g.id).some((m) => a.members.has(m.user.id)),
    )!;
    const [a1, a2, afk] = w.voiceChannels(a.id).map((c) => c.id) as [string, string, string];
    const b1 = w.voiceChannels(b.id)[0]!.id;
    const shared = w.humanMembers(b.id).find((m) => a.members.has(m.user.id))!.user.id;
    const [u2, u3] = w
      .humanMembers(a.id)
      .filter((m) => m.user.id !== shared)
      .map((m) => m.user.id) as [string, string];
    const u4 = w.humanMembers(b.id).find((m) => m.user.id !== shared)!.user.id;
    const voice = new VoiceDriver(sim);
    voice.setAfkChannel(a.id, afk);
    // The bot knows the AFK channel before anyone joins (discord.js applies GUILD_UPDATE after the raw event
    // the voice collector reads).
    await expect.poll(() => bot.client.guilds.cache.get(a.id)?.afkChannelId).toBe(afk);

    // How long members stay in voice: the test clock moves (t.advance, once the bot has every event), and
    // the simulator's truth and the shard's tracker read the same clock.
    voice.join(a.id, shared, a1);
    voice.join(b.id, shared, b1); // the same person in two servers: two sessions
    voice.join(a.id, u2, a1, { selfMute: true });
    voice.join(a.id, u3, a2, { selfVideo: true });
    await t.advance(1500);
    voice.update(a.id, u2, { selfStream: true });
    voice.update(a.id, shared, { selfDeaf: true, selfMute: true });
    await t.advance(1500);
    voice.move(a.id, u3, afk);
    voice.update(a.id, u2, { mute: true, selfMute: false });
    await t.advance(INTERVAL + 300);
    // Mid-session the open sessions are in Redis, credited up to the jump by the tracker's next tick: within
    // about one interval of real time (the timer is real; the wait is bounded, not fixed).
    const jumped = t.clock.now();
    const sessionsKey = new Keys(prefix).sessions('voice', partitionOf(a.id, 16));
    const mine = async () => Object.entries(await redis.hgetall(sessionsKey)).filter(([f]) => f.startsWith(`${a.id}|`));
    const open = [`${a.id}|${shared}`, `${a.id}|${u2}`].sort(); // u3 is in AFK
    const creditedSinceJump = async () =>
      (await mine())
        .filter(([, raw]) => decodeState(raw, METRICS.length)!.last >= jumped)
        .map(([f]) => f)
        .sort();
    await expect.poll(creditedSinceJump, { timeout: INTERVAL * 2 + 500, interval: 50 }).toEqual(open);
    expect((await mine()).map(([f]) => f).sort()).toEqual(open);
    expect(await registry.getSingleMetricAsString('stats_open_sessions')).toContain(
      'stats_open_sessions{family="voice"} 3',
    );
    voice.leave(b.id, shared);
    voice.join(b.id, u4, b1, { selfStream: true });
    await t.advance(1500);
    voice.move(a.id, u3, a1);
    voice.move(a.id, shared, a2);
    await t.advance(1500);
    voice.leave(a.id, u2);
    await t.advance(1200);
    voice.leave(a.id, u3);
    voice.leave(a.id, shared);
    voice.leave(b.id, u4);
    const end = t.clock.now();

    // Everyone left: no session remains, and the stored time equals the truth.
    await expect
      .poll(() => bot.sessions.voice.sessions(a.id).size + bot.sessions.voice.sessions(b.id).size, { timeout: 10_000 })
      .toBe(0);
    expect(await bot.sessions.writer.settled()).toBe(true);
    expect(await redis.hlen(sessionsKey)).toBe(0);
    await ingestAll(ingestor);
    const truth = voice.truth(end);
    const db = await voiceTotals(pool);
    expect([...db.keys()].some((k) => k.includes(`|${afk}|`))).toBe(false);
    expect(db.has(`${b.id}|${b1}|${shared}`) && db.has(`${a.id}|${a1}|${shared}`)).toBe(true);
    const devs = deviations(truth, db);
    const worst = devs.reduce((x, d) => (Math.abs(d.dev) > Math.abs(x.dev) ? d : x));
    console.log(
      `voice in process: ${truth.size} keys, ${devs.length} key×metric values, worst deviation ${worst.dev.toFixed(3)} s (${worst.metric}, ${worst.segments} segments)`,
    );
    for (const d of devs) {
      // Whole seconds with carried milliseconds: off by < 1 s per segment (rounding + event latency).
      expect(Math.abs(d.dev), `${d.key} ${d.metric}`).toBeLessThanOrEqual(Math.max(1, d.segments));
      expect(d.dev, `${d.key} ${d.metric} over truth`).toBeLessThanOrEqual(0.5 * d.segments + 0.1);
    }
    expect(truth.get(`${a.id}|${a1}|${u2}`)!.streaming_seconds).toBeGreaterThan(3);
    expect(db.get(`${a.id}|${a1}|${u2}`)!.streaming_seconds).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('does not count another bot that was in voice when the shard connected (GUILD_CREATE lists it as a bot)', async () => {
    const w = sim.world;
    const g = [...w.guilds.values()].find(
      (x) => w.botMembers(x.id).length > 0 && w.voiceChannels(x.id).some((c) => c.id !== x.afkChannelId),
    )!;
    const otherBot = w.botMembers(g.id)[0]!.user.id;
    const human = w.humanMembers(g.id).at(-1)!.user.id;
    const channel = w.voiceChannels(g.id).find((c) => c.id !== g.afkChannelId)!.id;
    const voice = new VoiceDriver(sim);
    // The session ends; both join while the bot is away, so only the next GUILD_CREATE tells it. Without
    // GUILD_PRESENCES, Discord lists exactly the bot itself and the members in voice there, with their user.
    const identifies = sim.identifyLog.length;
    sim.faults.invalidSession(0, false);
    voice.join(g.id, otherBot, channel);
    voice.join(g.id, human, channel);
    const open = () => bot.sessions.voice.sessions(g.id);
    await expect
      .poll(() => sim.identifyLog.length > identifies && open().has(`${g.id}|${human}`), { timeout: 20_000 })
      .toBe(true);
    expect(open().has(`${g.id}|${human}`)).toBe(true);
    expect(open().has(`${g.id}|${otherBot}`)).toBe(false);
    voice.leave(g.id, otherBot);
    voice.leave(g.id, human);
  }, 30_000);
});

describe('voice time across a SIGKILLed cluster process', () => {
  let stack: Stack;
  let dropDb: () => Promise<void>;
  let prefix: string;
  const INTERVAL = 1000;

  beforeAll(async () => {
    const db = await testDatabase();
    dropDb = db.drop;
    const redis = testRedis();
    prefix = redis.prefix;
    stack = await startStack({
      databaseUrl: db.url,
      redisUrl: redis.url,
      keyPrefix: redis.prefix,
      logger,
      guilds: 8,
      totalShards: 4,
      shardsPerCluster: 2,
      env: { VOICE_CREDIT_INTERVAL_MS: String(INTERVAL) },
    });
  }, 180_000);

  afterAll(async () => {
    if (stack) await cleanupPrefix(stack.redis, prefix);
    await stack?.stop();
    await dropDb?.();
  }, 60_000);

  it('loses at most the uncredited tail and the downtime, and never credits twice', async () => {
    const { sim, manager } = stack;
    const cluster = manager.clusters.get(1)!;
    const w = sim.world;
    const voice = new VoiceDriver(sim);
    const killedShards = new Set(cluster.shardList);
    const onKilled = [...w.guilds.values()].filter(
      (g) => killedShards.has(sim.shardOf(g.id)) && w.voiceChannels(g.id).length > 0,
    );
    const onOther = [...w.guilds.values()].filter(
      (g) => !killedShards.has(sim.shardOf(g.id)) && w.voiceChannels(g.id).length > 0,
    );
    expect(onKilled.length).toBeGreaterThan(0);
    expect(onOther.length).toBeGreaterThan(0);
    const gk = onKilled[0]!;
    const go = onOther[0]!;
    const [k1, k2, k3, k4] = w.humanMembers(gk.id).map((m) => m.user.id) as [string, string, string, string];
    const o1 = w.humanMembers(go.id)[0]!.user.id;
    const ck = w.voiceChannels(gk.id)[0]!.id;
    const co = w.voiceChannels(go.id)[0]!.id;

    // The sleeps are session lengths, measured in real time by the simulator's truth and by the cluster
    // processes (whose trackers run on the real clock).
    voice.join(gk.id, k1, ck); // stays throughout
    const k2Joined = voice.join(gk.id, k2, ck, { selfMute: true }); // leaves while the process is dead
    voice.join(gk.id, k4, ck); // leaves before the kill
    voice.join(go.id, o1, co, { selfStream: true }); // on the surviving cluster
    await sleep(2_500); // wall-clock on purpose: a session length the truth measures in real time
    voice.leave(gk.id, k4);
    await sleep(700); // wall-clock on purpose: k1 and k2 are credited for real time before the kill

    const child = cluster.thread!.process as import('node:child_process').ChildProcess;
    const killedAt = Date.now();
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited; // k2 leaves and k3 joins while no process watches the guild
    voice.leave(gk.id, k2);
    voice.join(gk.id, k3, ck); // joins while the process is dead: counted from its GUILD_CREATE
    const reidentified = () =>
      cluster.shardList.every((s) => sim.identifyLog.some((e) => e.shard === s && e.at > killedAt));
    await expect.poll(reidentified, { timeout: 60_000 }).toBe(true);
    await sim.waitForShards(4, 60_000);
    const back = Date.now();
    await sleep(2_500); // wall-clock on purpose: a session length after the restart, as the truth measures it
    voice.leave(gk.id, k1);
    voice.leave(gk.id, k3);
    voice.leave(go.id, o1);
    const end = Date.now();
    // The cluster processes have written the closes (each removes the session with its last increments, in
    // one script), then everything is loaded.
    const openFields = async (g: string) =>
      Object.keys(await stack.redis.hgetall(new Keys(prefix).sessions('voice', partitionOf(g, 16)))).filter((f) =>
        f.startsWith(`${g}|`),
      );
    await expect
      .poll(async () => [...(await openFields(gk.id)), ...(await openFields(go.id))], { timeout: 15_000 })
      .toEqual([]);
    for (let i = 0; i < 3; i++) await stack.ingestor.runOnce();

    const truth = voice.truth(end);
    const db = await voiceTotals(stack.pool);
    const downtime = (back - killedAt) / 1000;
    const tol = 1;
    const report: string[] = [];
    for (const [key, t] of truth) {
      const got = db.get(key)?.seconds ?? 0;
      const lost = t.seconds - got;
      report.push(`${key.split('|')[2]}: truth ${t.seconds.toFixed(2)} db ${got} lost ${lost.toFixed(2)}`);
      // Sessions that spanned the kill lose the downtime (unknowable by design) plus at most one interval.
      // Never more than the truth: no interval credited twice.
      expect(got, key).toBeLessThanOrEqual(t.seconds + 0.5 * t.segments + 0.1);
      const onKilledCluster = key.startsWith(`${gk.id}|`);
      const spansKill = onKilledCluster && [k1, k2, k3].some((u) => key.endsWith(`|${u}`));
      // At most the last uncredited interval plus the time no process was watching.
      const allowed = spansKill ? INTERVAL / 1000 + downtime + tol : tol;
      expect(lost, key).toBeLessThanOrEqual(allowed);
    }
    console.log(
      `voice across SIGKILL: downtime ${downtime.toFixed(2)} s, interval ${INTERVAL / 1000} s; ${report.join('; ')}`,
    );
    // k2 left during the downtime: closed at its last credit before the kill, never credited past it.
    const k2Key = `${gk.id}|${ck}|${k2}`;
    const k2Watched = (killedAt - k2Joined) / 1000;
    expect(db.get(k2Key)!.seconds).toBeLessThanOrEqual(k2Watched + 0.55);
    expect(db.get(k2Key)!.seconds).toBeGreaterThanOrEqual(k2Watched - INTERVAL / 1000 - 1);
    expect(db.get(k2Key)!.muted_seconds).toBe(db.get(k2Key)!.seconds);
    // Nothing is left open after everyone left.
    const sessionsKey = new Keys(prefix).sessions('voice', partitionOf(gk.id, 16));
    expect(Object.keys(await stack.redis.hgetall(sessionsKey)).filter((f) => f.startsWith(`${gk.id}|`))).toEqual([]);
  }, 150_000);
});
