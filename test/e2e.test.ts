// End to end through every real part: the simulator's gateway and REST, unmodified discord.js in two
// cluster processes spawned by discord-hybrid-sharding (4 shards), Redis, the ingest worker's COPY into
// PostgreSQL, the render pool. The database must equal the simulator's ground truth exactly.
import { loadImage } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { aggregateMetrics } from '../src/cluster/manager.js';
import { collectProcessMetrics } from '../src/metrics.js';
import { sendMixedTraffic } from 'discord-sim';
import { sleep, startStack, type Stack } from '../dev/stack.js';
import { testDatabase, testRedis } from './helpers/services.js';

let stack: Stack;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  const redis = testRedis();
  collectProcessMetrics();
  stack = await startStack({
    databaseUrl: db.url,
    redisUrl: redis.url,
    keyPrefix: redis.prefix,
    logger: createLogger('warn', { test: 'e2e' }),
    guilds: 20,
    totalShards: 4,
    shardsPerCluster: 2,
    env: { VOICE_CREDIT_INTERVAL_MS: '1000', PRESENCE_INTENT: 'true' },
    // Project bot-http: the interactions service answers, as its own process.
    interactions: process.env.TEST_INTERACTIONS === 'http' ? 'http' : 'gateway',
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await dropDb?.();
}, 60_000);

describe('end to end', () => {
  it('runs 2 cluster processes with 4 shards against the simulator', () => {
    expect(stack.manager.clusters.size).toBe(2);
    expect(stack.sim.readyShards().sort()).toEqual([0, 1, 2, 3]);
    const guildShards = new Set([...stack.sim.world.guilds.keys()].map((id) => stack.sim.shardOf(id)));
    expect(guildShards.size).toBeGreaterThanOrEqual(2);
    expect(stack.sim.registeredCommands.global.map((c) => c.name)).toContain('stats');
    // The processes started within Discord's limits: identifies spaced per bucket, REST within its buckets
    // (GET /gateway/bot allows 2 requests per 5 s for the whole bot).
    expect(stack.sim.identifyViolations).toBe(0);
    expect(stack.sim.restStats.rateLimited).toEqual({ user: 0, global: 0 });
  });

  it('counts thousands of messages exactly: per user and channel, Postgres equals ground truth', async () => {
    await stack.sim.sendTraffic({ messages: 5_000, ratePerSec: 5_000, seed: 7 });
    const sent = stack.sim.truth.sentCount;
    expect(sent).toBe(5_000);
    const { rows } = await stack.ingestUntilMatch(90_000);
    expect(rows).toBeGreaterThan(0);
    // Exact equality, by user and channel.
    expect(await stack.diff()).toEqual([]);
    // A second pass finds nothing new and changes nothing: no double counting.
    await new Promise((r) => setTimeout(r, 500)); // wall-clock on purpose: time for a late write to show, where there must be none
    await stack.ingestor.runOnce();
    expect(await stack.diff()).toEqual([]);
    // Bots and webhooks were sent but are not counted.
    const counted = [...stack.sim.truth.messageTotals().values()].reduce((a, t) => a + t.messages, 0);
    expect(counted).toBeLessThan(sent);
    expect(counted).toBeGreaterThan(sent * 0.8);
  }, 120_000);

  it('counts every family through the cluster processes: emojis, apps, members exactly; voice and activities within latency', async () => {
    const traffic = await sendMixedTraffic(stack.sim, {
      messages: 500,
      emojiMessages: 400,
      reactions: 300,
      appMessages: 200,
      joins: 10,
      voiceMembers: 8,
      activityMembers: 8,
      seed: 11,
      betweenJoins: () => stack.memberEventsSettled(),
    });
    // How long the members stay in voice before and after the shuffle: the cluster processes' trackers and
    // the simulator's truth both measure real time (a test clock cannot reach into other processes).
    await sleep(1_500); // wall-clock on purpose: a voice segment the truth measures in real time
    traffic.shuffleVoice();
    await sleep(1_500); // wall-clock on purpose: a voice segment the truth measures in real time
    traffic.endVoice();
    await stack.memberEventsSettled();
    await stack.ingestUntilMatch(90_000);
    const diffs = async () => {
      await stack.ingestor.runOnce();
      return [
        ...(await stack.diffEmojis()),
        ...(await stack.diffApps()),
        ...(await stack.diffMembers()),
        ...(await stack.diffVoice(traffic.voice, 1)),
        ...(await stack.diffActivities(traffic.presence, 1)),
      ];
    };
    await expect.poll(diffs, { timeout: 30_000, interval: 250 }).toEqual([]);
    expect(stack.sim.truth.emojiUses.size).toBeGreaterThan(100);
    expect(stack.sim.members.joins.filter((j) => j.expected.attribution === 'invite').length).toBe(10);
    expect([...traffic.voice.truth().values()].reduce((a, t) => a + t.seconds, 0)).toBeGreaterThan(8 * 2);
    expect(traffic.presence.truth().size).toBeGreaterThan(3);
  }, 150_000);

  it("aggregates every cluster process's metrics over IPC, labelled by cluster and shard", async () => {
    const { body } = await aggregateMetrics(stack.manager);
    for (const [cluster, shards] of [
      ['0', ['0', '1']],
      ['1', ['2', '3']],
    ] as const) {
      for (const shard of shards) {
        expect(body).toContain(`stats_shard_ready{shard="${shard}",cluster="${cluster}"} 1`);
        expect(body).toMatch(
          new RegExp(
            `stats_gateway_events_total\\{type="MESSAGE_CREATE",shard="${shard}",cluster="${cluster}"\\} [1-9]`,
          ),
        );
      }
    }
    expect(body).toContain('process_resident_memory_bytes'); // the manager's own process metrics
    expect(body).not.toMatch(/guild|user_id/); // no ids in labels
  });

  it('respawns a killed cluster process, which re-identifies its shards and keeps counting exactly', async () => {
    const { sim, manager } = stack;
    const cluster = manager.clusters.get(1)!;
    const child = cluster.thread!.process as import('node:child_process').ChildProcess;
    const oldPid = child.pid;
    const killedAt = Date.now();
    child.kill('SIGKILL');
    // The manager respawns it; the new process identifies its shards afresh (no resume across processes).
    const reidentified = () =>
      cluster.shardList.every((s) => sim.identifyLog.some((e) => e.shard === s && e.at > killedAt));
    await expect.poll(reidentified, { timeout: 60_000, interval: 100 }).toBe(true);
    await sim.waitForShards(4, 60_000);
    const newChild = cluster.thread!.process as import('node:child_process').ChildProcess;
    expect(newChild.pid).not.toBe(oldPid);

    await sim.sendTraffic({ messages: 1_000, ratePerSec: 5_000, seed: 8 });
    await stack.ingestUntilMatch(90_000);
    expect(await stack.diff()).toEqual([]);
  }, 150_000);

  it('/stats server answers with a PNG chart and totals that match the ground truth', async () => {
    const { sim } = stack;
    const guildId = [...sim.truth.totalsBy('guild').entries()].sort((a, b) => b[1].messages - a[1].messages)[0]![0];
    const reply = await sim.invokeCommand({
      guildId,
      channelId: sim.world.textChannels(guildId)[0]!.id,
      userId: sim.world.humanMembers(guildId)[0]!.user.id,
      name: 'stats',
      subcommand: 'server',
      options: [{ name: 'period', type: 3, value: '1h' }],
      timeoutMs: 30_000,
    });
    const truth = sim.truth.totalsBy('guild').get(guildId)!;
    const fields = Object.fromEntries(
      ((reply.embeds[0] as { fields: { name: string; value: string }[] }).fields ?? []).map((f) => [f.name, f.value]),
    );
    expect(fields.Messages).toBe(String(truth.messages));
    expect(fields.Words).toBe(String(truth.words));
    expect(fields.Attachments).toBe(String(truth.attachments));

    expect(reply.files).toHaveLength(1);
    const png = reply.files[0]!.data;
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const image = await loadImage(png);
    expect(image.width).toBe(1200);
    expect(image.height).toBe(600);
    // Text was drawn: the title area holds pixels that differ from the background.
    const { createCanvas } = await import('@napi-rs/canvas');
    const canvas = createCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const data = ctx.getImageData(0, 0, 600, 50).data;
    const bg = [data[0], data[1], data[2]];
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - bg[0]!) + Math.abs(data[i + 1]! - bg[1]!) + Math.abs(data[i + 2]! - bg[2]!) > 60) drawn++;
    }
    expect(drawn).toBeGreaterThan(300);
  }, 60_000);

  it('answers a bad option with a clear message and no chart', async () => {
    const { sim } = stack;
    const guildId = [...sim.world.guilds.keys()][0]!;
    const reply = await sim.invokeCommand({
      guildId,
      channelId: sim.world.textChannels(guildId)[0]!.id,
      userId: sim.world.humanMembers(guildId)[1]!.user.id,
      name: 'stats',
      subcommand: 'server',
      options: [{ name: 'period', type: 3, value: 'forever' }],
    });
    expect(reply.files).toHaveLength(0);
    expect(reply.flags & 64).toBe(64); // ephemeral: only the member who asked sees the error
    expect(reply.content).toMatch(/Unknown period "forever"\. Choose one of: 1h, 24h, 7d, 30d/);

    // The same member again at once: the cooldown answers, ephemerally, and says when to retry.
    const again = await sim.invokeCommand({
      guildId,
      channelId: sim.world.textChannels(guildId)[0]!.id,
      userId: sim.world.humanMembers(guildId)[1]!.user.id,
      name: 'stats',
      subcommand: 'server',
    });
    expect(again.content).toMatch(/^Slow down: you can use \/stats again in \d+ s\.$/);
    expect(again.flags & 64).toBe(64);
  }, 60_000);
});
