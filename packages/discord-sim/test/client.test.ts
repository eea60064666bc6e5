// The simulator against the real, unmodified discord.js client: readiness, message delivery, interactions
// with PNG replies, resume without loss (at READY's resume URL), bad tokens, REST 429/5xx faults,
// malformed dispatches and random traffic against the ground truth.
import { once } from 'node:events';
import { AttachmentBuilder, Client, Events, GatewayIntentBits, Routes, Status, type Message } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, truthWords, type SimGuild, type Simulator } from '../src/index.js';
import { RawGateway, tinyPng, until } from './helpers.js';

interface Seen {
  id: string;
  guildId: string | null;
  channelId: string;
  authorId: string;
  content: string;
  attachments: number;
  bot: boolean;
  webhook: boolean;
  isThread: boolean;
  parentId: string | null;
}

describe('local Discord simulator with discord.js', () => {
  let sim: Simulator;
  let client: Client;
  const seen: Seen[] = [];
  const png = tinyPng();
  const clientErrors: unknown[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ guilds: 12, shards: 2, seed: 7, heartbeatIntervalMs: 1500 });
    client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
      rest: { api: sim.apiUrl },
      shards: [0, 1],
      shardCount: 2,
    });
    client.on(Events.Error, (e) => clientErrors.push(e));
    client.on(Events.MessageCreate, (m: Message) => {
      seen.push({
        id: m.id,
        guildId: m.guildId,
        channelId: m.channelId,
        authorId: m.author.id,
        content: m.content,
        attachments: m.attachments.size,
        bot: m.author.bot,
        webhook: m.webhookId !== null,
        isThread: m.channel.isThread(),
        parentId: m.channel.isThread() ? m.channel.parentId : null,
      });
    });
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      if (i.commandName === 'chart') {
        await i.deferReply();
        // wall-clock on purpose: "rendering" takes a while, so the deferred reply is really deferred.
        await new Promise((r) => setTimeout(r, 50));
        await i.editReply({
          content: `chart for ${i.options.getSubcommand()} ${i.options.getString('period') ?? ''}`,
          files: [new AttachmentBuilder(png, { name: 'chart.png' })],
        });
      } else if (i.commandName === 'ping') {
        await i.reply({ content: 'pong', embeds: [{ title: 'latency' }] });
      }
    });
    const ready = once(client, Events.ClientReady);
    await client.login(sim.token);
    await ready;
  });

  afterAll(async () => {
    await client?.destroy();
    await sim?.close();
  });

  const guildOnShard = (shard: number): SimGuild => {
    const g = [...sim.world.guilds.values()].find((x) => sim.shardOf(x.id) === shard);
    if (!g) throw new Error(`no guild on shard ${shard}`);
    return g;
  };
  const human = (g: SimGuild) => sim.world.humanMembers(g.id)[0]!.user.id;

  it('generates a realistic deterministic world', async () => {
    const again = await startSimulator({ guilds: 12, seed: 7 });
    try {
      expect([...again.world.guilds.keys()]).toEqual([...sim.world.guilds.keys()]);
    } finally {
      await again.close();
    }
    for (const g of sim.world.guilds.values()) {
      expect(g.id).toMatch(/^\d{17,19}$/);
      expect(g.roles.find((r) => r.id === g.id)?.name).toBe('@everyone');
      expect(g.members.has(sim.world.botUser.id)).toBe(true);
      expect(g.members.size).toBeGreaterThanOrEqual(10);
      expect(g.members.size).toBeLessThanOrEqual(60);
      expect(g.members.has(g.ownerId)).toBe(true);
      const types = new Set(g.channels.map((c) => c.type));
      for (const t of [0, 2, 4, 5, 11, 15]) expect(types.has(t as never)).toBe(true);
      for (const t of sim.world.threads(g.id)) expect(g.channels.find((c) => c.id === t.parentId)).toBeDefined();
    }
  });

  it('brings both shards up and caches every guild, channel and thread', () => {
    expect(sim.readyShards()).toEqual([0, 1]);
    expect(client.ws.shards.size).toBe(2);
    expect(client.guilds.cache.size).toBe(sim.world.guilds.size);
    for (const g of sim.world.guilds.values()) {
      const cached = client.guilds.cache.get(g.id)!;
      expect(cached.shardId).toBe(sim.shardOf(g.id));
      expect(cached.name).toBe(g.name);
      expect(cached.memberCount).toBe(g.members.size);
      for (const c of g.channels) expect(client.channels.cache.has(c.id)).toBe(true);
    }
    expect(new Set(sim.identifyLog.map((x) => x.shard))).toEqual(new Set([0, 1]));
  });

  it('delivers messages to the right shard with content, author and channel, threads included', async () => {
    const sent: string[] = [];
    const contents = new Map<string, string>();
    const send = (m: Parameters<Simulator['sendMessage']>[0]) => {
      const id = sim.sendMessage(m).id;
      sent.push(id);
      contents.set(id, m.content ?? '');
    };
    for (const shard of [0, 1]) {
      const g = guildOnShard(shard);
      const text = sim.world.textChannels(g.id)[0]!;
      const thread = sim.world.threads(g.id)[0]!;
      send({ guildId: g.id, channelId: text.id, authorId: human(g), content: `hello shard ${shard}` });
      send({ guildId: g.id, channelId: thread.id, authorId: human(g), content: 'in a thread  here', attachments: 2 });
    }
    await until(() => sent.every((id) => seen.some((s) => s.id === id)), 5000, 'messages');
    for (const id of sent) {
      const truth = sim.truth.messages.find((m) => m.id === id)!;
      const got = seen.find((s) => s.id === id)!;
      expect(got.guildId).toBe(truth.guildId);
      expect(got.channelId).toBe(truth.channelId);
      expect(got.authorId).toBe(truth.authorId);
      expect(got.content).toBe(contents.get(id));
      expect(truthWords(got.content)).toBe(truth.words);
      expect(got.attachments).toBe(truth.attachments);
      expect(got.isThread).toBe(truth.parentChannelId !== null);
      if (got.isThread) expect(got.parentId).toBe(truth.parentChannelId);
    }
  });

  it('registers commands and records a deferred reply with the exact PNG bytes', async () => {
    await client.application!.commands.set([
      {
        name: 'chart',
        description: 'A chart',
        options: [
          {
            type: 1,
            name: 'messages',
            description: 'Messages',
            options: [{ type: 3, name: 'period', description: 'Period' }],
          },
        ],
      },
      { name: 'ping', description: 'Ping' },
    ]);
    expect(sim.registeredCommands.global).toHaveLength(2);
    const g = guildOnShard(1);
    const channelId = sim.world.textChannels(g.id)[0]!.id;
    const reply = await sim.invokeCommand({
      guildId: g.id,
      channelId,
      userId: human(g),
      name: 'chart',
      subcommand: 'messages',
      options: [{ name: 'period', type: 3, value: '7d' }],
    });
    expect(reply.commandName).toBe('chart');
    expect(reply.kind).toBe('edit');
    expect(reply.content).toBe('chart for messages 7d');
    expect(reply.files).toHaveLength(1);
    expect(reply.files[0]!.name).toBe('chart.png');
    expect(reply.files[0]!.contentType).toBe('image/png');
    expect(Buffer.compare(reply.files[0]!.data, png)).toBe(0);
    expect(sim.replies).toContain(reply);

    const pong = await sim.invokeCommand({ guildId: g.id, channelId, userId: human(g), name: 'ping' });
    expect(pong.kind).toBe('reply');
    expect(pong.content).toBe('pong');
    expect(pong.embeds).toEqual([expect.objectContaining({ title: 'latency' })]);
  });

  it('resumes a dropped connection and replays the missed messages exactly once', async () => {
    const g = guildOnShard(0);
    const channelId = sim.world.textChannels(g.id)[0]!.id;
    const identifies = sim.identifyLog.length;
    const resumed = once(client, Events.ShardResume);
    sim.faults.dropConnection(0);
    const ids = Array.from(
      { length: 5 },
      (_, i) => sim.sendMessage({ guildId: g.id, channelId, authorId: human(g), content: `while down ${i}` }).id,
    );
    await resumed;
    await until(() => ids.every((id) => seen.some((s) => s.id === id)), 5000, 'replayed messages');
    const after = sim.sendMessage({ guildId: g.id, channelId, authorId: human(g), content: 'after resume' }).id;
    await until(() => seen.some((s) => s.id === after), 5000, 'post-resume message');
    for (const id of [...ids, after]) expect(seen.filter((s) => s.id === id)).toHaveLength(1);
    expect(sim.identifyLog.length).toBe(identifies); // resumed, not re-identified
    expect(sim.resumes.resume).toBeGreaterThan(0); // at READY's resume_gateway_url, as Discord asks
  });

  it('survives RECONNECT and a non-resumable INVALID_SESSION', async () => {
    const resumed = once(client, Events.ShardResume);
    sim.faults.reconnect(1);
    await resumed;
    const identifies = sim.identifyLog.length;
    sim.faults.invalidSession(1, false);
    await until(() => sim.identifyLog.length > identifies && sim.readyShards().includes(1), 15_000, 're-identify');
    await until(() => client.ws.shards.get(1)?.status === Status.Ready, 5000, 'shard 1 ready');
    const g = guildOnShard(1);
    const id = sim.sendMessage({
      guildId: g.id,
      channelId: sim.world.textChannels(g.id)[0]!.id,
      authorId: human(g),
      content: 'after re-identify',
    }).id;
    await until(() => seen.some((s) => s.id === id), 5000, 'message after re-identify');
    expect(sim.identifyViolations).toBe(0); // discord.js spaced its identifies per max_concurrency bucket
  });

  it('rejects a wrong token on REST and on the gateway', async () => {
    const bad = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: sim.apiUrl } });
    await expect(bad.login('MTIz.bad.token')).rejects.toThrow();
    await bad.destroy();

    const raw = await RawGateway.open(sim.gatewayUrl);
    raw.send(2, { token: 'nope', intents: 1, properties: {} });
    await until(() => raw.closeCode !== null, 5000, 'close');
    expect(raw.closeCode).toBe(4004);
  });

  it('honours an injected 429 (waits Retry-After, then succeeds) and retries a 5xx', async () => {
    const g = guildOnShard(0);
    sim.faults.failRest({ status: 429, count: 1, retryAfterSec: 1, routeIncludes: `/guilds/${g.id}/invites` });
    const t0 = Date.now();
    const invites = await client.rest.get(Routes.guildInvites(g.id));
    expect(invites).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);

    sim.faults.failRest({ status: 502, count: 2, routeIncludes: '/users/@me' });
    const me = (await client.rest.get(Routes.user())) as { id: string };
    expect(me.id).toBe(sim.world.botUser.id);
  });

  it('keeps the client alive through malformed dispatches', async () => {
    for (let i = 0; i < 5; i++) {
      sim.faults.sendMalformed(0);
      sim.faults.sendMalformed(1);
    }
    const g = guildOnShard(0);
    const id = sim.sendMessage({
      guildId: g.id,
      channelId: sim.world.textChannels(g.id)[0]!.id,
      authorId: human(g),
      content: 'still alive',
    }).id;
    await until(() => seen.some((s) => s.id === id), 5000, 'message after malformed dispatches');
    expect(client.ws.shards.get(0)?.status).toBe(Status.Ready);
  });

  it('matches ground truth for random traffic across guilds, channels and threads', async () => {
    const before = new Set(seen.map((s) => s.id));
    const firstTruth = sim.truth.sentCount;
    const summary = await sim.sendTraffic({ messages: 400, seed: 3 });
    expect(summary.sent).toBe(400);
    expect(sim.truth.sentCount).toBe(firstTruth + 400);
    await until(() => seen.length - before.size >= 400, 10_000, 'traffic');
    // Client-side tallies, counted the way the bot would: humans only, no webhooks.
    const tally = new Map<string, { messages: number; words: number; attachments: number }>();
    for (const s of seen) {
      if (s.bot || s.webhook || !s.guildId) continue;
      const k = `${s.guildId}|${s.channelId}|${s.authorId}`;
      const t = tally.get(k) ?? { messages: 0, words: 0, attachments: 0 };
      t.messages++;
      t.words += truthWords(s.content); // the content arrived intact: the same words as when it was sent
      t.attachments += s.attachments;
      tally.set(k, t);
    }
    expect(tally).toEqual(sim.truth.messageTotals());
    const byGuild = sim.truth.totalsBy('guild', { includeBots: true });
    expect([...byGuild.values()].reduce((n, t) => n + t.messages, 0)).toBe(
      sim.truth.messages.filter((m) => !m.webhook).length,
    );
    expect(sim.truth.messages.some((m) => m.parentChannelId !== null)).toBe(true);
    expect(summary.bots + summary.webhooks).toBeGreaterThan(0);
    expect(clientErrors).toEqual([]);
  });
});
