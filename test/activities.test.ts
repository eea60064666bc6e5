// Presence activity time with the presence intent on: PRESENCE_UPDATEs from the simulator through discord.js
// into timed sessions, Redis, the ingest worker and Postgres, compared with the simulator's ground truth per
// guild|user|activity; then a fresh identify whose GUILD_CREATE presences are reconciled with the stored
// sessions (continued, closed, opened) without crediting the unknown gap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../src/db/pool.js';
import type { Ingestor } from '../src/ingest/ingest.js';
import { Keys, partitionOf } from '../src/keys.js';
import type { Redis } from '../src/redis.js';
import type { Bot } from '../src/shard/bot.js';
import { activityKey, activityPresences } from '../src/shard/collectors/activities.js';
import type { Simulator } from 'discord-sim';
import { PresenceDriver, type ActivityTotals } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

const APP_ID = '356875570916753438';

async function activityTotals(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ k: string; s: string }>(
    `SELECT guild_id::text || '|' || user_id::text || '|' || activity AS k, sum(seconds)::text AS s FROM activities_raw GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.k, Number(r.s)]));
}

describe('activity keys', () => {
  it('uses the application id, else the sanitised name, and ignores custom statuses', () => {
    expect(activityKey({ name: 'Some Game', type: 0, application_id: APP_ID })).toBe(APP_ID);
    expect(activityKey({ name: '  Elden|Ring\n', type: 0 })).toBe('Elden Ring');
    expect(activityKey({ name: 'Custom Status', type: 4 })).toBeUndefined();
    expect(activityKey({ name: ' | ', type: 0 })).toBeUndefined();
    const p = activityPresences('1', { user: { id: '2' }, status: 'offline', activities: [{ name: 'x', type: 0 }] });
    expect(p.size).toBe(0);
  });
});

describe('presence activity time in process', () => {
  let t: TestBot;
  let sim: Simulator;
  let bot: Bot;
  let redis: Redis;
  let pool: Pool;
  let ingestor: Ingestor;
  let prefix: string;
  const INTERVAL = 1000;

  beforeAll(async () => {
    t = await startTestBot({
      name: 'activities',
      sim: { seed: 1 },
      env: { VOICE_CREDIT_INTERVAL_MS: String(INTERVAL), PRESENCE_INTENT: 'true' },
    });
    ({ sim, bot, redis, pool, ingestor, prefix } = t);
  }, 60_000);

  afterAll(() => t?.stop(), 60_000);

  it('counts seconds per guild|user|activity as the truth, and reconciles after a fresh identify', async () => {
    expect(bot.sessions.activities).toBeDefined();
    const w = sim.world;
    const guilds = [...w.guilds.values()];
    const a = guilds[0]!;
    const b = guilds.find((g) => g !== a && w.humanMembers(g.id).some((m) => a.members.has(m.user.id)))!;
    const shared = w.humanMembers(b.id).find((m) => a.members.has(m.user.id))!.user.id;
    const [u2, u3, u4] = w
      .humanMembers(a.id)
      .filter((m) => m.user.id !== shared)
      .map((m) => m.user.id) as [string, string, string];
    const presence = new PresenceDriver(sim);
    const game = { name: 'Some Game', type: 0, applicationId: APP_ID };

    presence.set(a.id, shared, [game]);
    presence.set(b.id, shared, [game]); // one person in two servers: two sessions
    presence.set(a.id, u2, [{ name: 'Elden Ring' }, { name: 'Feeling good', type: 4 }]);
    presence.set(a.id, u3, [{ name: 'Spotify', type: 2 }]);
    // How long activities last: the test clock moves (t.advance, once the bot has every event), and the
    // simulator's truth and the shard's tracker read the same clock.
    await t.advance(1500);
    presence.set(a.id, u2, [{ name: 'Elden Ring' }, { name: 'Spotify', type: 2 }]); // a second activity at once
    presence.set(b.id, shared, []);
    await t.advance(1500);
    presence.offline(a.id, u3);
    presence.set(a.id, u2, [{ name: 'Spotify', type: 2 }]);
    await t.advance(1200);
    // The jumps are credited (at the trackers' next tick) before the bot goes away: a session open across
    // the gap then loses the gap and at most one credit interval, as on a real clock.
    await t.credited();

    // A fresh identify (no resume): GUILD_CREATE presences are reconciled with the stored sessions. The gap
    // is real time (the clock is not moved while the bot is away).
    const cut = t.clock.now();
    sim.faults.invalidSession(0, false);
    // The simulator dropped the session at once: the next two changes reach no bot.
    expect(sim.readyShards()).not.toContain(0);
    presence.set(a.id, u2, []); // stops while disconnected: closed at its last credit
    presence.set(a.id, u4, [{ name: 'Minecraft' }]); // starts while disconnected: opened at GUILD_CREATE
    const identifiedBefore = sim.identifyLog.length;
    await expect
      .poll(() => sim.identifyLog.length, { timeout: 30_000, interval: 20 })
      .toBeGreaterThan(identifiedBefore);
    await sim.waitForShards(1);
    // Every GUILD_CREATE is in (so each guild's reconciliation has begun), then all have finished.
    await t.received();
    await expect.poll(() => bot.sessions.activities!.reconcilingGuilds, { timeout: 30_000, interval: 20 }).toBe(0);
    const back = t.clock.now();
    await t.advance(1500); // after the reconnect
    presence.offline(a.id, shared);
    presence.offline(a.id, u4);
    const end = t.clock.now();

    await expect
      .poll(() => bot.sessions.activities!.sessions(a.id).size + bot.sessions.activities!.sessions(b.id).size, {
        timeout: 10_000,
        interval: 20,
      })
      .toBe(0);
    expect(await bot.sessions.writer.settled()).toBe(true);
    const sessionsKey = new Keys(prefix).sessions('activities', partitionOf(a.id, 16));
    expect(Object.keys(await redis.hgetall(sessionsKey)).filter((f) => f.startsWith(`${a.id}|`))).toEqual([]);
    await ingestor.runOnce();
    await ingestor.runOnce();

    const truth: Map<string, ActivityTotals> = presence.truth(end);
    const db = await activityTotals(pool);
    expect([...db.keys()].some((k) => k.endsWith('|Feeling good'))).toBe(false); // custom status
    expect(db.has(`${a.id}|${shared}|${APP_ID}`) && db.has(`${b.id}|${shared}|${APP_ID}`)).toBe(true);
    const gap = (back - cut) / 1000;
    const report: string[] = [];
    let worstBefore = 0;
    for (const [key, t] of truth) {
      const got = db.get(key) ?? 0;
      const dev = got - t.seconds;
      report.push(`${key.split('|').slice(1).join('|')}: truth ${t.seconds.toFixed(2)} db ${got}`);
      expect(dev, `${key} over truth`).toBeLessThanOrEqual(0.5 * t.segments + 0.1);
      // Sessions that were open across the fresh identify lose at most the last interval and the gap.
      const acrossGap = [`${a.id}|${shared}|${APP_ID}`, `${a.id}|${u2}|Spotify`, `${a.id}|${u4}|Minecraft`].includes(
        key,
      );
      const allowed = acrossGap ? INTERVAL / 1000 + gap + 1 : Math.max(1, t.segments);
      expect(-dev, `${key} under truth`).toBeLessThanOrEqual(allowed);
      if (!acrossGap) worstBefore = Math.max(worstBefore, Math.abs(dev));
    }
    for (const k of db.keys()) expect(truth.has(k), `${k} not in truth`).toBe(true);
    console.log(
      `activities: reconnect gap ${gap.toFixed(2)} s; worst deviation outside the gap ${worstBefore.toFixed(3)} s; ${report.join('; ')}`,
    );
  }, 90_000);
});
