// Fuzz: thousands of malformed gateway dispatches of every event type the bot handles (test/helpers/fuzz.ts),
// interleaved with valid traffic of every family, into two real cluster processes. No process may die
// or restart, every malformed dispatch must be dropped by validation before discord.js sees it, and the
// valid traffic must land in PostgreSQL exactly as the simulator's ground truth has it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { aggregateMetrics } from '../src/cluster/manager.js';
import { createLogger } from '../src/logger.js';
import { registry } from '../src/metrics.js';
import { COMMON_UNICODE, PresenceDriver, VoiceDriver } from 'discord-sim';
import { sleep, startStack, type Stack } from '../dev/stack.js';
import { FuzzRng, FUZZED_TYPES, fuzzContext, malformedDispatch } from './helpers/fuzz.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_126);
const ROUNDS = 60;
const MALFORMED_PER_ROUND = 60;

let stack: Stack;
let dropDb: () => Promise<void>;
const r = testRedis();

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  stack = await startStack({
    databaseUrl: db.url,
    redisUrl: r.url,
    keyPrefix: r.prefix,
    logger: createLogger('warn', { test: 'fuzz' }),
    guilds: 6,
    totalShards: 2,
    shardsPerCluster: 1,
    seed: 9,
    env: { VOICE_CREDIT_INTERVAL_MS: '1000', PRESENCE_INTENT: 'true' },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (stack) await cleanupPrefix(stack.redis, r.prefix).catch(() => {});
  await dropDb?.();
}, 60_000);

const pids = () =>
  [...stack.manager.clusters.values()].map((c) => (c.thread?.process as ChildProcess | undefined)?.pid);

/** Sum of a metric's samples in the manager's aggregated /metrics, optionally only those matching `labels`. */
function sum(body: string, name: string, labels?: RegExp): number {
  let n = 0;
  for (const m of body.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm')))
    if (!labels || labels.test(m[1] ?? '')) n += Number(m[2]);
  return n;
}

describe('fuzz', () => {
  it('survives thousands of malformed dispatches of every type and counts the valid traffic exactly', async () => {
    const { sim } = stack;
    const rng = new FuzzRng(SEED);
    const guilds = [...sim.world.guilds.keys()];
    const before = pids();
    expect(before.every((p) => typeof p === 'number')).toBe(true);
    const voice = new VoiceDriver(sim);
    const presence = new PresenceDriver(sim);
    const invites = new Map(
      guilds.map((g) => [g, sim.members.createInvite(g, { inviterId: sim.world.humanMembers(g)[0]!.user.id }).code]),
    );
    const recent: { guildId: string; channelId: string; id: string }[] = [];
    const inVoice = new Set<string>();
    const playing = new Set<string>();
    const replies: Promise<unknown>[] = [];
    const malformed = new Map<string, number>();
    let unknownEvents = 0;

    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < 25; i++) {
        const guildId = rng.pick(guilds);
        const channelId = rng.pick(sim.world.textChannels(guildId)).id;
        const authorId = rng.pick(sim.world.humanMembers(guildId)).user.id;
        const e = rng.pick(COMMON_UNICODE);
        const m = sim.sendMessage({
          guildId,
          channelId,
          authorId,
          content: `round ${round} ${e.text} fuzz`,
          emojis: [e.key],
        });
        recent.push({ guildId, channelId, id: m.id });
      }
      for (let i = 0; i < 5; i++) {
        const m = rng.pick(recent);
        sim.react({
          guildId: m.guildId,
          channelId: m.channelId,
          messageId: m.id,
          userId: rng.pick(sim.world.humanMembers(m.guildId)).user.id,
          emoji: rng.pick(COMMON_UNICODE),
        });
      }
      for (let i = 0; i < MALFORMED_PER_ROUND; i++) {
        const guildId = rng.pick(guilds);
        const bad = malformedDispatch(rng, fuzzContext(sim, guildId, rng, rng.pick(recent).id));
        sim.faults.dispatchRaw(guildId, bad.t, bad.d);
        if (bad.how === 'unknown event') unknownEvents++;
        else malformed.set(bad.t, (malformed.get(bad.t) ?? 0) + 1);
        if (i % 10 === 0) await new Promise((res) => setImmediate(res));
      }
      if (round % 4 === 0) {
        const guildId = rng.pick(guilds);
        const channel = rng.pick(
          sim.world.voiceChannels(guildId).filter((c) => c.id !== sim.world.guild(guildId)!.afkChannelId),
        );
        const userId = rng.pick(sim.world.humanMembers(guildId)).user.id;
        const key = `${guildId}|${userId}`;
        if (channel && !inVoice.has(key)) {
          voice.join(guildId, userId, channel.id, { selfMute: rng.next() < 0.5 });
          inVoice.add(key);
        } else if (inVoice.has(key)) {
          voice.update(guildId, userId, { selfStream: rng.next() < 0.5 });
        }
        const player = rng.pick(sim.world.humanMembers(guildId)).user.id;
        presence.set(guildId, player, [{ name: rng.pick(['Minecraft', 'Chess', 'Tetris']) }]);
        playing.add(`${guildId}|${player}`);
      }
      if (round % 3 === 0) {
        const guildId = rng.pick(guilds);
        const userId = rng.pick(sim.world.humanMembers(guildId)).user.id;
        replies.push(
          sim
            .invokeCommand({ guildId, channelId: sim.world.textChannels(guildId)[0]!.id, userId, name: 'ping' })
            .catch(() => undefined),
        );
      }
      if (round % 10 === 5) {
        // A join the bot can attribute: alone, so the next one waits until it is recorded.
        const guildId = rng.pick(guilds);
        sim.members.join(guildId, sim.members.newUser(), { code: invites.get(guildId)! });
        await stack.memberEventsSettled(30_000);
      }
      await sleep(5); // paced rounds (wall-clock on purpose: voice and presence sessions last a while)
    }
    for (const key of inVoice) {
      const [g, u] = key.split('|') as [string, string];
      voice.leave(g, u);
    }
    for (const key of playing) {
      const [g, u] = key.split('|') as [string, string];
      presence.set(g, u, []);
    }
    await Promise.all(replies);
    await stack.memberEventsSettled(30_000);

    // Valid traffic, exactly.
    await stack.ingestUntilMatch(90_000);
    const diffs = async () => {
      await stack.ingestor.runOnce();
      return [
        ...(await stack.diff()),
        ...(await stack.diffEmojis()),
        ...(await stack.diffApps()),
        ...(await stack.diffMembers()),
        ...(await stack.diffVoice(voice, 1)),
        ...(await stack.diffActivities(presence, 1)),
      ];
    };
    await expect.poll(diffs, { timeout: 60_000, interval: 250 }).toEqual([]);
    expect(sim.truth.emojiUses.size).toBeGreaterThan(20);
    expect(sim.members.joins.filter((j) => j.expected.attribution === 'invite').length).toBe(6);

    // No process died or restarted; nothing escaped to the process level.
    expect(pids()).toEqual(before);
    expect(sum(await registry.metrics(), 'stats_cluster_restarts_total')).toBe(0);
    const { body } = await aggregateMetrics(stack.manager);
    expect(sum(body, 'stats_process_errors_total')).toBe(0);
    expect(sum(body, 'stats_collector_errors_total')).toBe(0);
    // Every malformed dispatch was dropped by validation, by type; unknown event names are one label.
    const total = [...malformed.values()].reduce((a, b) => a + b, 0);
    expect(total + unknownEvents).toBe(ROUNDS * MALFORMED_PER_ROUND);
    expect(new Set(malformed.keys())).toEqual(new Set(FUZZED_TYPES));
    for (const [t, n] of malformed)
      expect(sum(body, 'stats_gateway_dispatches_rejected_total', new RegExp(`type="${t}"`)), t).toBe(n);
    expect(sum(body, 'stats_gateway_dispatches_total', /type="other"/)).toBe(unknownEvents);
    expect(body).not.toMatch(/FUZZ_/);
    console.log(
      `fuzz (seed ${SEED}): ${total} malformed dispatches of ${malformed.size} types rejected and ${unknownEvents} unknown events ignored, ` +
        `among ${sim.truth.sentCount} messages, ${sim.truth.emojiUses.size} emoji keys, ${sim.members.joins.length} joins; 0 restarts`,
    );
  }, 300_000);
});
