// Redis emptied under a running bot (FLUSHALL, on a redis-server of this test's own): open voice sessions
// keep crediting (the loss is what Redis itself held, not the rest of each session), the opt-out set and
// the invite snapshots are rebuilt without a process restart, and a join after the flush is attributed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys, partitionOf } from '../src/keys.js';
import { redisResets } from '../src/metrics.js';
import { optOutSetKey } from '../src/privacy.js';
import { createRedis, type Redis } from '../src/redis.js';
import { startEmbeddedRedis, type RunningService } from '../dev/embedded.js';
import { sessionConflicts } from '../src/shard/sessions/writer.js';
import { VoiceDriver } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

const CREDIT_MS = 1_000;
let server: RunningService;
let admin: Redis;
let t: TestBot;

beforeAll(async () => {
  server = await startEmbeddedRedis();
  admin = createRedis(server.url);
  t = await startTestBot({
    name: 'redis-reset',
    sim: { guilds: 3, invites: true },
    env: { VOICE_CREDIT_INTERVAL_MS: String(CREDIT_MS) },
    redisUrl: server.url,
  });
}, 60_000);

afterAll(async () => {
  await t?.stop();
  admin?.disconnect();
  await server?.stop();
}, 60_000);

async function voiceSeconds(): Promise<Map<string, number>> {
  const { rows } = await t.pool.query<{ k: string; s: string }>(
    `SELECT concat_ws('|', guild_id, channel_id, user_id) AS k, sum(seconds)::text AS s FROM voice_raw GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.k, Number(r.s)]));
}

describe('Redis emptied under a running bot', () => {
  it('open voice sessions keep crediting; opt-outs and invite snapshots are rebuilt; joins are attributed again', async () => {
    const { sim, bot } = t;
    const keys = new Keys(t.prefix);
    const g = [...sim.world.guilds.keys()].find(
      (id) => sim.world.voiceChannels(id).length > 0 && sim.world.humanMembers(id).length >= 4,
    )!;
    const channel = sim.world.voiceChannels(g).find((c) => c.id !== sim.world.guild(g)!.afkChannelId)!;
    const [a, b, optedOut, inviter] = sim.world.humanMembers(g).map((m) => m.user.id);
    const invite = sim.members.createInvite(g, { inviterId: inviter! });
    await bot.members.invites.idle();

    const voice = new VoiceDriver(sim);
    voice.join(g, a!, channel.id);
    voice.join(g, b!, channel.id, { selfMute: true });
    await bot.privacy.optOut(g, optedOut!);
    const snapshotKey = keys.inviteSnapshot(g, partitionOf(g, t.config.redisPartitions));
    const sessionsKey = keys.sessions('voice', partitionOf(g, t.config.redisPartitions));
    await expect.poll(() => admin.hlen(sessionsKey), { timeout: 10_000 }).toBe(2);
    expect(await admin.hexists(snapshotKey, '~at')).toBe(1);
    expect(await admin.sismember(optOutSetKey(t.prefix), `${g}|${optedOut}`)).toBe(1);

    // Two credits in, load what Redis holds, then empty it.
    // The sessions' lengths are compared with the simulator's truth, which measures real time.
    await new Promise((r) => setTimeout(r, 2 * CREDIT_MS + 300)); // wall-clock on purpose: two real credit intervals
    await t.ingestor.runOnce();
    const resetsBefore = (await redisResets.get()).values[0]?.value ?? 0;
    const flushedAt = Date.now();
    await admin.flushall();
    expect(await admin.dbsize()).toBe(0);

    // Rebuilt without a restart: the sessions at their next credit, the rest at the next sentinel check (5 s).
    await expect.poll(() => admin.hlen(sessionsKey), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => admin.sismember(optOutSetKey(t.prefix), `${g}|${optedOut}`), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => admin.hexists(snapshotKey, '~at'), { timeout: 15_000 }).toBe(1);
    expect((await redisResets.get()).values[0]!.value).toBe(resetsBefore + 1);
    expect(
      (await sessionConflicts.get()).values.find((v) => v.labels.resolution === 'rewritten')?.value,
    ).toBeGreaterThanOrEqual(2);

    // The sessions go on for a while after the flush, then end.
    const wait = flushedAt + 4 * CREDIT_MS - Date.now();
    // wall-clock on purpose: the sessions stay open for real credit intervals after the flush (truth: real time).
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    voice.leave(g, a!);
    voice.leave(g, b!);
    await expect.poll(() => admin.hlen(sessionsKey), { timeout: 10_000 }).toBe(0);
    expect(await bot.sessions.writer.settled()).toBe(true);

    // A join after the flush is attributed: the snapshot was rebuilt before it.
    const joiner = sim.members.newUser();
    const written = bot.members.events.written;
    sim.members.join(g, joiner, { code: invite.code });
    await expect.poll(() => bot.members.events.written, { timeout: 15_000 }).toBe(written + 1);

    await t.ingestor.runOnce();
    await t.ingestor.runOnce();
    // Each session lost at most what Redis held when it was emptied (credited since the last load, under
    // one credit interval here) and never gained: before the fix it lost everything after the flush.
    const truth = voice.truth();
    const db = await voiceSeconds();
    expect(truth.size).toBe(2);
    for (const [key, tr] of truth) {
      const got = db.get(key) ?? 0;
      expect(got, key).toBeLessThanOrEqual(Math.ceil(tr.seconds) + 1);
      expect(got, key).toBeGreaterThanOrEqual(Math.floor(tr.seconds) - Math.ceil(CREDIT_MS / 1000) - 1);
      expect(tr.seconds).toBeGreaterThan(5);
    }
    const { rows } = await t.pool.query<{ attribution: string; inviter_id: string }>(
      'SELECT attribution, inviter_id::text FROM member_events WHERE user_id = $1',
      [joiner.id],
    );
    expect(rows).toEqual([{ attribution: 'invite', inviter_id: inviter }]);
  }, 90_000);
});
