// Discord's gateway rules, checked with a raw client (real clients hide most of them): resume URL and
// close 4007, zlib-stream, payload size, send rate, identify concurrency, the daily session start limit,
// privileged and invalid intents, GUILD_CREATE member lists, REQUEST_GUILD_MEMBERS, MESSAGE_CONTENT and
// heartbeats. Each rule's source in Discord's documentation is cited in src/gateway.ts.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  ChannelKind,
  PresenceDriver,
  startSimulator,
  VoiceDriver,
  type SimGuild,
  type Simulator,
  type Limits,
  type SimulatorOptions,
} from '../src/index.js';
import { RawGateway, until } from './helpers.js';

const I = {
  Guilds: 1,
  GuildMembers: 1 << 1,
  GuildVoiceStates: 1 << 7,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  MessageContent: 1 << 15,
};

let open: { sim: Simulator; clients: RawGateway[] }[] = [];
async function sim(
  o: SimulatorOptions = {},
): Promise<{ sim: Simulator; connect: (c?: { compress?: boolean; url?: string }) => Promise<RawGateway> }> {
  const s = await startSimulator({ guilds: 4, seed: 11, ...o });
  const entry = { sim: s, clients: [] as RawGateway[] };
  open.push(entry);
  return {
    sim: s,
    connect: async (c = {}) => {
      const raw = await RawGateway.open(c.url ?? s.gatewayUrl, { compress: c.compress });
      entry.clients.push(raw);
      return raw;
    },
  };
}
afterEach(async () => {
  for (const { sim: s, clients } of open) {
    for (const c of clients) c.ws.terminate();
    await s.close();
  }
  open = [];
});

const biggestGuild = (s: Simulator): SimGuild =>
  [...s.world.guilds.values()].sort((a, b) => b.members.size - a.members.size)[0]!;
const ready = (raw: RawGateway) => raw.dispatches('READY')[0]!.d as { session_id: string; resume_gateway_url: string };
const lastSeq = (raw: RawGateway) => Math.max(...raw.frames.filter((f) => f.op === 0).map((f) => f.s!));

describe('sessions: resume URL, RESUME and close codes', () => {
  it('READY names a resume URL of its own; RESUME there replays what was missed, then RESUMED', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    await a.identify(s.token, { intents: I.Guilds | I.GuildMessages | I.MessageContent });
    const r = ready(a);
    expect(r.resume_gateway_url).toBe(s.resumeGatewayUrl);
    expect(r.resume_gateway_url).not.toBe(s.gatewayUrl);
    // lastDispatch names the session and the last sequence sent on it: what a barrier waits for.
    await until(() => lastSeq(a) === s.lastDispatch(0)?.seq, 5000, 'every dispatch received');
    expect(s.lastDispatch(0)!.sessionId).toBe(r.session_id);
    const seq = lastSeq(a);
    a.ws.terminate(); // dropped without a close frame: the session stays resumable
    await until(() => s.readyShards().length === 0, 5000, 'session detached');
    expect(s.lastDispatch(0)).toBeUndefined();
    const g = [...s.world.guilds.values()][0]!;
    const sent = s.sendMessage({
      guildId: g.id,
      channelId: s.world.textChannels(g.id)[0]!.id,
      authorId: s.world.humanMembers(g.id)[0]!.user.id,
      content: 'while away',
    });

    const b = await connect({ url: r.resume_gateway_url });
    b.send(6, { token: s.token, session_id: r.session_id, seq });
    await until(() => b.dispatches('RESUMED').length > 0, 5000, 'RESUMED');
    const replayed = b.dispatches('MESSAGE_CREATE');
    expect(replayed.map((f) => (f.d as { id: string }).id)).toEqual([sent.id]);
    expect(replayed[0]!.s).toBe(seq + 1);
    expect(s.resumes).toEqual({ gateway: 0, resume: 1 });
  });

  it('RESUME with a sequence the session never reached is closed with 4007, and the session ends', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    await a.identify(s.token);
    const r = ready(a);
    const seq = lastSeq(a);
    a.ws.terminate();
    const b = await connect({ url: r.resume_gateway_url });
    b.send(6, { token: s.token, session_id: r.session_id, seq: seq + 10 });
    expect(await b.closed()).toBe(4007);
    // "Reconnect and start a new session": the old one cannot be resumed any more.
    const c = await connect({ url: r.resume_gateway_url });
    c.send(6, { token: s.token, session_id: r.session_id, seq });
    await until(() => c.frames.some((f) => f.op === 9), 5000, 'INVALID_SESSION');
    expect(c.frames.find((f) => f.op === 9)!.d).toBe(false);
  });

  it('RESUME of an unknown session gets INVALID_SESSION (d: false) on an open socket', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    a.send(6, { token: s.token, session_id: 'nope', seq: 3 });
    await until(() => a.frames.some((f) => f.op === 9), 5000, 'INVALID_SESSION');
    expect(a.closeCode).toBeNull();
    await a.identify(s.token); // and may identify on the same socket
  });

  it('closes a client that stops heartbeating with 4009, and its session cannot be resumed', async () => {
    const { sim: s, connect } = await sim({ heartbeatIntervalMs: 300 });
    const a = await connect();
    await a.identify(s.token);
    const r = ready(a);
    expect(await a.closed()).toBe(4009);
    const b = await connect({ url: r.resume_gateway_url });
    b.send(6, { token: s.token, session_id: r.session_id, seq: lastSeq(a) });
    await until(() => b.frames.some((f) => f.op === 9), 5000, 'INVALID_SESSION');
  });

  it('rejects a wrong token (4004), an unknown opcode (4001), a payload before IDENTIFY (4003) and a bad API version (4012)', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    a.send(2, { token: 'nope', intents: 1, properties: {} });
    expect(await a.closed()).toBe(4004);
    const b = await connect();
    b.send(99, {});
    expect(await b.closed()).toBe(4001);
    const c = await connect();
    c.send(8, { guild_id: '1', query: '', limit: 0 });
    expect(await c.closed()).toBe(4003);
    const d = new WebSocket(`${s.gatewayUrl}?v=9&encoding=json`);
    const [code] = (await once(d, 'close')) as [number];
    expect(code).toBe(4012);
  });
});

describe('zlib-stream transport compression', () => {
  it('sends binary frames from one zlib context per connection, each ending with Z_SYNC_FLUSH, one payload each', async () => {
    const { sim: s, connect } = await sim({ guilds: 6 });
    const a = await connect({ compress: true });
    await a.identify(s.token, { intents: I.Guilds | I.GuildMessages | I.MessageContent });
    await until(() => a.dispatches('GUILD_CREATE').length === 6, 5000, 'GUILD_CREATEs');
    expect(a.binaryFrames).toBe(a.frames.length); // HELLO included: everything is compressed
    const g = [...s.world.guilds.values()][0]!;
    const channelId = s.world.textChannels(g.id)[0]!.id;
    const author = s.world.humanMembers(g.id)[0]!.user.id;
    const text = 'the same long sentence, repeated so that a shared window finds it again. '.repeat(20);
    const before = a.wireBytes;
    s.sendMessage({ guildId: g.id, channelId, authorId: author, content: text });
    await until(() => a.dispatches('MESSAGE_CREATE').length === 1, 5000, 'first message');
    const first = a.wireBytes - before;
    s.sendMessage({ guildId: g.id, channelId, authorId: author, content: text });
    await until(() => a.dispatches('MESSAGE_CREATE').length === 2, 5000, 'second message');
    const second = a.wireBytes - before - first;
    // The second copy compresses against the first: the context is shared across the connection's frames.
    expect(second).toBeLessThan(first / 2);
    expect(a.dispatches('MESSAGE_CREATE').map((f) => (f.d as { content: string }).content)).toEqual([text, text]);

    // A second connection has a context of its own: its first frame starts a new zlib stream (header 0x78).
    const b = await connect({ compress: true });
    await b.identify(s.token, { shard: [1, 2] }); // another max_concurrency bucket than a's shard 0
    expect(a.firstBinary![0]).toBe(0x78);
    expect(b.firstBinary![0]).toBe(0x78);
    expect(b.frames[0]!.op).toBe(10);
  });

  it('refuses a compression it does not offer (zstd-stream) instead of sending frames the client cannot read', async () => {
    const { sim: s } = await sim();
    await expect(RawGateway.open(s.gatewayUrl, { query: 'v=10&encoding=json&compress=zstd-stream' })).rejects.toThrow(
      /400/,
    );
  });
});

describe('payload size and send rate', () => {
  it('closes a connection that sends a payload over 4096 bytes with 4002', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    await a.identify(s.token);
    a.send(3, { since: null, activities: [{ name: 'x'.repeat(4100), type: 0 }], status: 'online', afk: false });
    expect(await a.closed()).toBe(4002);
  });

  it('accepts it when the limit is switched off', async () => {
    const { sim: s, connect } = await sim({ limits: { gatewayPayloadSize: false } });
    const a = await connect();
    await a.identify(s.token);
    a.send(3, { since: null, activities: [{ name: 'x'.repeat(4100), type: 0 }], status: 'online', afk: false });
    a.send(1, null);
    await until(() => a.frames.some((f) => f.op === 11), 5000, 'HEARTBEAT_ACK');
    expect(a.closeCode).toBeNull();
  });

  it('closes with 4008 on the 121st payload within 60 s, and the session ends', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    await a.identify(s.token); // 1
    for (let i = 0; i < 119; i++) a.send(1, null); // 120
    await until(() => a.frames.filter((f) => f.op === 11).length === 119, 5000, '119 ACKs');
    expect(a.closeCode).toBeNull();
    a.send(1, null); // 121
    expect(await a.closed()).toBe(4008);
    const b = await connect({ url: ready(a).resume_gateway_url });
    b.send(6, { token: s.token, session_id: ready(a).session_id, seq: lastSeq(a) });
    await until(() => b.frames.some((f) => f.op === 9), 5000, 'INVALID_SESSION');
  });

  it('lets a flood through when the send limit is switched off', async () => {
    const { sim: s, connect } = await sim({ limits: { gatewaySends: false } });
    const a = await connect();
    await a.identify(s.token);
    for (let i = 0; i < 200; i++) a.send(1, null);
    await until(() => a.frames.filter((f) => f.op === 11).length === 200, 5000, '200 ACKs');
    expect(a.closeCode).toBeNull();
  });
});

describe('IDENTIFY: max_concurrency buckets, the daily session start limit, intents', () => {
  // The interval is shortened from Discord's 5 s so the test takes a second; the rule is the same.
  const fast: Partial<Limits> = { identifyIntervalMs: 400 };

  it('answers a second IDENTIFY in the same bucket within the interval with INVALID_SESSION; other buckets proceed', async () => {
    const { sim: s, connect } = await sim({ maxConcurrency: 2, limits: fast });
    const [a, b, c] = [await connect(), await connect(), await connect()];
    await a.identify(s.token, { shard: [0, 4] });
    await b.identify(s.token, { shard: [1, 4] }); // bucket 1: fine at once
    c.send(2, { token: s.token, intents: 1, shard: [2, 4], properties: {} }); // bucket 0 again, too soon
    await until(() => c.frames.some((f) => f.op === 9), 5000, 'INVALID_SESSION');
    expect(c.frames.find((f) => f.op === 9)!.d).toBe(false);
    expect(c.closeCode).toBeNull();
    expect(s.identifyViolations).toBe(1);
    await new Promise((r) => setTimeout(r, 450)); // waiting is the point: the bucket refills after the interval
    await c.identify(s.token, { shard: [2, 4] });
    expect(s.identifyLog.map((x) => x.shard)).toEqual([0, 1, 2]);
    expect(s.identifyAttempts.filter((x) => x.refused)).toEqual([
      expect.objectContaining({ shard: 2, refused: 'concurrency' }),
    ]);
  });

  it('accepts identifies back to back when the limit is switched off', async () => {
    const { sim: s, connect } = await sim({ maxConcurrency: 1, limits: { identify: false } });
    const [a, b] = [await connect(), await connect()];
    await a.identify(s.token, { shard: [0, 2] });
    await b.identify(s.token, { shard: [1, 2] });
    expect(s.identifyViolations).toBe(0);
  });

  it('past the daily session start limit terminates every session and resets the token', async () => {
    // Identify concurrency off: the third IDENTIFY reuses shard 0's bucket at once, and must meet the budget, not the bucket.
    const { sim: s, connect } = await sim({ sessionStartTotal: 2, limits: { identify: false } });
    const old = s.token;
    const [a, b, c] = [await connect(), await connect(), await connect()];
    await a.identify(old, { shard: [0, 2] });
    await b.identify(old, { shard: [1, 2] });
    const budget = await fetch(`${s.apiUrl}/v10/gateway/bot`, { headers: { authorization: `Bot ${old}` } });
    expect(
      ((await budget.json()) as { session_start_limit: { remaining: number } }).session_start_limit.remaining,
    ).toBe(0);
    c.send(2, { token: old, intents: 1, shard: [0, 2], properties: {} });
    expect(await c.closed()).toBe(4004);
    expect(await a.closed()).toBe(4004);
    expect(await b.closed()).toBe(4004);
    expect(s.tokenResets).toBe(1);
    expect(s.token).not.toBe(old);
    expect((await fetch(`${s.apiUrl}/v10/users/@me`, { headers: { authorization: `Bot ${old}` } })).status).toBe(401);
    expect((await fetch(`${s.apiUrl}/v10/users/@me`, { headers: { authorization: `Bot ${s.token}` } })).status).toBe(
      200,
    );
  });

  it('closes with 4014 for a privileged intent the application has not enabled, 4013 for an unknown intent bit', async () => {
    const { sim: s, connect } = await sim({ privilegedIntents: { guildPresences: false } });
    const a = await connect();
    a.send(2, { token: s.token, intents: I.Guilds | I.GuildPresences, properties: {} });
    expect(await a.closed()).toBe(4014);
    const b = await connect();
    await b.identify(s.token, { intents: I.Guilds | I.GuildMembers | I.MessageContent }); // enabled ones are fine
    const c = await connect();
    c.send(2, { token: s.token, intents: 1 << 30, properties: {} });
    expect(await c.closed()).toBe(4013);
  });
});

describe('GUILD_CREATE member lists', () => {
  /** A guild with more than 50 members (the lowest large_threshold): the world's are 10-60, so top one up. */
  async function largeGuild(
    s: Simulator,
  ): Promise<{ g: SimGuild; voiceUser: string; onlineUser: string; plain: string[] }> {
    const g = biggestGuild(s);
    while (g.members.size <= 55) {
      const u = s.world.newUser(Date.now() - 86_400_000);
      g.members.set(u.id, { user: u, roles: [], nick: null, joinedAt: new Date().toISOString() });
    }
    const humans = s.world.humanMembers(g.id);
    const plain = humans.filter((m) => m.roles.length === 0 && m.nick === null).map((m) => m.user.id);
    const voiceChannel = s.world.voiceChannels(g.id)[0] ?? g.channels.find((c) => c.type === ChannelKind.Voice)!;
    const voiceUser = plain[0]!;
    new VoiceDriver(s).join(g.id, voiceUser, voiceChannel.id);
    const onlineUser = plain[1]!;
    new PresenceDriver(s).set(g.id, onlineUser, [{ name: 'Minecraft' }]);
    return { g, voiceUser, onlineUser, plain: plain.slice(2) };
  }
  const membersOf = (raw: RawGateway, guildId: string) =>
    raw
      .dispatches('GUILD_CREATE')
      .map((f) => f.d as { id: string; members: { user: { id: string } }[]; presences: { user: { id: string } }[] })
      .find((d) => d.id === guildId)!;

  it('without GUILD_PRESENCES: the bot and the members in voice (and only their presences)', async () => {
    const { sim: s, connect } = await sim();
    const { g, voiceUser } = await largeGuild(s);
    const a = await connect();
    await a.identify(s.token, { intents: I.Guilds | I.GuildMembers | I.GuildVoiceStates });
    await until(() => a.dispatches('GUILD_CREATE').length === s.world.guilds.size, 5000, 'GUILD_CREATEs');
    const gc = membersOf(a, g.id);
    expect(gc.members.map((m) => m.user.id).sort()).toEqual([s.world.botUser.id, voiceUser].sort());
    expect(gc.presences.every((p) => [s.world.botUser.id, voiceUser].includes(p.user.id))).toBe(true);
  });

  it('with GUILD_PRESENCES over large_threshold: online members, members with a role or a nickname, voice, and the bot', async () => {
    const { sim: s, connect } = await sim();
    const { g, voiceUser, onlineUser, plain } = await largeGuild(s);
    const a = await connect();
    a.send(2, { token: s.token, intents: I.Guilds | I.GuildPresences, large_threshold: 50, properties: {} });
    await until(() => a.dispatches('GUILD_CREATE').length === s.world.guilds.size, 5000, 'GUILD_CREATEs');
    const ids = new Set(membersOf(a, g.id).members.map((m) => m.user.id));
    const expected = [...g.members.values()].filter(
      (m) =>
        m.user.id === s.world.botUser.id ||
        m.user.id === voiceUser ||
        m.user.id === onlineUser ||
        m.roles.length > 0 ||
        m.nick !== null,
    );
    expect([...ids].sort()).toEqual(expected.map((m) => m.user.id).sort());
    for (const id of plain) expect(ids.has(id)).toBe(false);
  });

  it('with GUILD_PRESENCES under large_threshold: every member', async () => {
    const { sim: s, connect } = await sim();
    const a = await connect();
    a.send(2, { token: s.token, intents: I.Guilds | I.GuildPresences, large_threshold: 250, properties: {} });
    await until(() => a.dispatches('GUILD_CREATE').length === s.world.guilds.size, 5000, 'GUILD_CREATEs');
    for (const g of s.world.guilds.values()) expect(membersOf(a, g.id).members).toHaveLength(g.members.size);
  });
});

describe('REQUEST_GUILD_MEMBERS (op 8)', () => {
  it('answers user ids without GUILD_MEMBERS, but not a request for every member', async () => {
    const { sim: s, connect } = await sim();
    const g = [...s.world.guilds.values()][0]!;
    const a = await connect();
    await a.identify(s.token, { intents: I.Guilds });
    const ids = s.world
      .humanMembers(g.id)
      .slice(0, 3)
      .map((m) => m.user.id);
    a.send(8, { guild_id: g.id, user_ids: [...ids, '123456789012345678'], nonce: 'ids' });
    await until(() => a.dispatches('GUILD_MEMBERS_CHUNK').length === 1, 5000, 'chunk');
    const chunk = a.dispatches('GUILD_MEMBERS_CHUNK')[0]!.d as {
      members: { user: { id: string } }[];
      not_found: string[];
      nonce: string;
    };
    expect(chunk.members.map((m) => m.user.id).sort()).toEqual([...ids].sort());
    expect(chunk.not_found).toEqual(['123456789012345678']);
    expect(chunk.nonce).toBe('ids');
    a.send(8, { guild_id: g.id, query: '', limit: 0, nonce: 'all' });
    a.send(1, null); // anything answered after it shows the request was read (and ignored)
    await until(() => a.frames.some((f) => f.op === 11), 5000, 'ACK');
    await new Promise((r) => setTimeout(r, 100)); // wall-clock on purpose: time for a chunk to show, where there must be none
    expect(a.dispatches('GUILD_MEMBERS_CHUNK')).toHaveLength(1);
  });

  it('answers every member with GUILD_MEMBERS, once per guild per 30 s (RATE_LIMITED after), presences only with GUILD_PRESENCES', async () => {
    const { sim: s, connect } = await sim();
    const [g, other] = [...s.world.guilds.values()];
    const a = await connect();
    await a.identify(s.token, { intents: I.Guilds | I.GuildMembers });
    a.send(8, { guild_id: g!.id, query: '', limit: 0, presences: true, nonce: 'first' });
    await until(() => a.dispatches('GUILD_MEMBERS_CHUNK').length === 1, 5000, 'chunk');
    const chunk = a.dispatches('GUILD_MEMBERS_CHUNK')[0]!.d as { members: unknown[]; presences?: unknown[] };
    expect(chunk.members).toHaveLength(g!.members.size);
    expect(chunk.presences).toBeUndefined(); // presences: true needs GUILD_PRESENCES
    a.send(8, { guild_id: g!.id, query: '', limit: 0, nonce: 'again' });
    await until(() => a.dispatches('RATE_LIMITED').length === 1, 5000, 'RATE_LIMITED');
    const limited = a.dispatches('RATE_LIMITED')[0]!.d as {
      opcode: number;
      retry_after: number;
      meta: { guild_id: string; nonce: string };
    };
    expect(limited.opcode).toBe(8);
    expect(limited.retry_after).toBeGreaterThan(29);
    expect(limited.meta).toEqual({ guild_id: g!.id, nonce: 'again' });
    a.send(8, { guild_id: other!.id, query: '', limit: 0, nonce: 'other guild' }); // the limit is per guild
    await until(() => a.dispatches('GUILD_MEMBERS_CHUNK').length === 2, 5000, 'second chunk');
  });

  it('a 100,000-member guild: GUILD_CREATE large with only the bot, then every member once in 100 chunks of 1,000', async () => {
    const { sim: s, connect } = await sim({ guilds: 2, largeGuilds: [100_000] });
    // The regular guilds are those of the same seed without the large one.
    const plain = await startSimulator({ guilds: 2, seed: 11 });
    await plain.close();
    expect([...s.world.guilds.keys()].slice(0, 2)).toEqual([...plain.world.guilds.keys()]);
    const g = [...s.world.guilds.values()][2]!;
    expect(g.members.size).toBe(100_000);
    const a = await connect();
    // Presences on: still only the bot, as Discord sends for a guild over 75,000 members.
    await a.identify(s.token, { intents: I.Guilds | I.GuildMembers | I.GuildPresences });
    await until(() => a.dispatches('GUILD_CREATE').length === 3, 10_000, 'GUILD_CREATEs');
    const gc = a.dispatches('GUILD_CREATE').find((f) => (f.d as { id: string }).id === g.id)!.d as {
      large: boolean;
      member_count: number;
      members: { user: { id: string } }[];
    };
    expect(gc.large).toBe(true);
    expect(gc.member_count).toBe(100_000);
    expect(gc.members.map((m) => m.user.id)).toEqual([s.world.botUser.id]);
    a.send(8, { guild_id: g.id, query: '', limit: 0, nonce: 'all' });
    await until(() => a.dispatches('GUILD_MEMBERS_CHUNK').length === 100, 30_000, '100 chunks');
    const chunks = a.dispatches('GUILD_MEMBERS_CHUNK').map(
      (f) =>
        f.d as {
          guild_id: string;
          chunk_index: number;
          chunk_count: number;
          nonce: string;
          members: { user: { id: string }; roles: string[] }[];
        },
    );
    expect(chunks.map((c) => c.chunk_index)).toEqual([...Array(100).keys()]);
    expect(chunks.every((c) => c.chunk_count === 100 && c.nonce === 'all' && c.members.length === 1000)).toBe(true);
    const seen = new Map(chunks.flatMap((c) => c.members.map((m) => [m.user.id, m.roles] as const)));
    expect(seen.size).toBe(100_000);
    const differing = [...g.members].filter(([id, m]) => seen.get(id)?.join() !== m.roles.join()).map(([id]) => id);
    expect(differing).toEqual([]);
    expect(s.memberRequests).toEqual({ answered: 1, rateLimited: 0, chunks: 100 });
  });

  it('caps a query at 100 members, and ignores a request for several guilds', async () => {
    const { sim: s, connect } = await sim();
    const g = biggestGuild(s);
    for (let i = 0; i < 120; i++) {
      const u = s.world.newUser(Date.now() - 86_400_000, `zed${i}`);
      g.members.set(u.id, { user: u, roles: [], nick: null, joinedAt: new Date().toISOString() });
    }
    const a = await connect();
    await a.identify(s.token, { intents: I.Guilds | I.GuildMembers });
    a.send(8, { guild_id: g.id, query: 'zed', limit: 500, nonce: 'q' });
    await until(() => a.dispatches('GUILD_MEMBERS_CHUNK').length === 1, 5000, 'chunk');
    expect((a.dispatches('GUILD_MEMBERS_CHUNK')[0]!.d as { members: unknown[] }).members).toHaveLength(100);
    a.send(8, { guild_id: [...s.world.guilds.keys()].slice(0, 2), query: '', limit: 0 });
    a.send(1, null);
    await until(() => a.frames.some((f) => f.op === 11), 5000, 'ACK');
    await new Promise((r) => setTimeout(r, 100)); // wall-clock on purpose: time for a chunk to show, where there must be none
    expect(a.dispatches('GUILD_MEMBERS_CHUNK')).toHaveLength(1);
  });
});

describe('MESSAGE_CONTENT', () => {
  it('blanks content, embeds and attachments without the intent, except where the bot is mentioned', async () => {
    const { sim: s, connect } = await sim();
    const g = [...s.world.guilds.values()][0]!;
    const channelId = s.world.textChannels(g.id)[0]!.id;
    const author = s.world.humanMembers(g.id)[0]!.user.id;
    const a = await connect();
    await a.identify(s.token, { intents: I.Guilds | I.GuildMessages });
    s.sendMessage({ guildId: g.id, channelId, authorId: author, content: 'secret words', attachments: 1 });
    s.sendMessage({ guildId: g.id, channelId, authorId: author, content: `<@${s.world.botUser.id}> hello` });
    await until(() => a.dispatches('MESSAGE_CREATE').length === 2, 5000, 'MESSAGE_CREATE');
    const [plain, mention] = a
      .dispatches('MESSAGE_CREATE')
      .map((f) => f.d as { content: string; attachments: unknown[] });
    expect(plain).toMatchObject({ content: '', attachments: [] });
    expect(mention!.content).toBe(`<@${s.world.botUser.id}> hello`);
    const seqs = a.frames.filter((f) => f.op === 0).map((f) => f.s!);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});
