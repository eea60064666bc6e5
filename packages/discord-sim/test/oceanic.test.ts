// A second, independent client library against the simulator, with zlib-stream transport compression on:
// Oceanic.js (its own gateway, REST and zlib code, nothing shared with discord.js) connects, gets READY and
// every GUILD_CREATE, receives a message, answers an interaction and resumes after a dropped connection.
import { Client, CommandInteraction, type Message } from 'oceanic.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { until } from './helpers.js';

describe('Oceanic.js with compress=zlib-stream', () => {
  let sim: Simulator;
  let client: Client;
  const messages: Message[] = [];
  const debug: string[] = [];
  let resumed = 0;

  beforeAll(async () => {
    sim = await startSimulator({ guilds: 5, seed: 3 });
    client = new Client({
      auth: `Bot ${sim.token}`,
      rest: { baseURL: `${sim.apiUrl}/v10` },
      gateway: { intents: ['GUILDS', 'GUILD_MESSAGES', 'MESSAGE_CONTENT'], compress: 'zlib-stream', maxShards: 1 },
    });
    client.on('debug', (d) => debug.push(String(d)));
    // Oceanic reports every close it did not initiate as an error event, then reconnects.
    client.on('error', (e) => debug.push(`error: ${String(e)}`));
    client.on('messageCreate', (m) => messages.push(m));
    client.on('shardResume', () => resumed++);
    client.on('interactionCreate', (i) => {
      if (i instanceof CommandInteraction && i.data.name === 'ping')
        void i.createMessage({ content: `pong from ${i.user.id}` });
    });
    const ready = new Promise<void>((resolve) => client.once('ready', resolve));
    await client.connect();
    await ready;
  });

  afterAll(async () => {
    client?.disconnect(false);
    await sim?.close();
  });

  it('connects through the compressed transport and caches every guild from GUILD_CREATE', () => {
    expect(debug.some((d) => /zlib-stream compression/.test(d))).toBe(true);
    expect(client.guilds.size).toBe(sim.world.guilds.size);
    for (const g of sim.world.guilds.values()) {
      const cached = client.guilds.get(g.id)!;
      expect(cached.name).toBe(g.name);
      expect(cached.memberCount).toBe(g.members.size);
    }
    expect(client.user.id).toBe(sim.world.botUser.id);
  });

  it('receives a message with its content', async () => {
    const g = [...sim.world.guilds.values()][0]!;
    const sent = sim.sendMessage({
      guildId: g.id,
      channelId: sim.world.textChannels(g.id)[0]!.id,
      authorId: sim.world.humanMembers(g.id)[0]!.user.id,
      content: 'hello oceanic',
    });
    await until(() => messages.some((m) => m.id === sent.id), 5000, 'message');
    expect(messages.find((m) => m.id === sent.id)!.content).toBe('hello oceanic');
  });

  it('answers an interaction', async () => {
    const g = [...sim.world.guilds.values()][1]!;
    const userId = sim.world.humanMembers(g.id)[0]!.user.id;
    const reply = await sim.invokeCommand({
      guildId: g.id,
      channelId: sim.world.textChannels(g.id)[0]!.id,
      userId,
      name: 'ping',
    });
    expect(reply.kind).toBe('reply');
    expect(reply.content).toBe(`pong from ${userId}`);
  });

  it('resumes at the resume URL after a dropped connection and gets what it missed', async () => {
    const g = [...sim.world.guilds.values()][2]!;
    const identifies = sim.identifyLog.length;
    sim.faults.dropConnection(0);
    const missed = sim.sendMessage({
      guildId: g.id,
      channelId: sim.world.textChannels(g.id)[0]!.id,
      authorId: sim.world.humanMembers(g.id)[0]!.user.id,
      content: 'while away',
    });
    await until(() => resumed > 0, 15_000, 'resume');
    await until(() => messages.some((m) => m.id === missed.id), 5000, 'replayed message');
    expect(sim.resumes.resume).toBe(1);
    expect(sim.identifyLog.length).toBe(identifies);
    expect(sim.restStats.rateLimited).toEqual({ user: 0, global: 0 });
  });
});
