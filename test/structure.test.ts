// Names and structure in PostgreSQL (src/shard/structure.ts, sql/030): channels, categories, threads,
// roles, members' display names and current roles, kept current from the gateway. The expectation is the
// simulator's world (what it sent), with Discord's display-name rule written out here.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Events, SimpleShardingStrategy } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelKind, startSimulator, type Simulator } from 'discord-sim';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createClient } from '../src/shard/bot.js';
import { collectStructure, StructureRecorder } from '../src/shard/structure.js';
import { deleteMemberData, pgTransaction } from '../src/privacy.js';
import { shardReads } from '../src/shard/read-pause.js';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { capturedLogger } from './helpers/log-lines.js';

interface Snapshot {
  channels: string[];
  deleted: string[];
  roles: string[];
  members: string[];
  memberRoles: string[];
}

/** What the database should hold, from the world. */
function expected(sim: Simulator, guildIds: string[]): Omit<Snapshot, 'deleted'> {
  const channels: string[] = [];
  const roles: string[] = [];
  const members: string[] = [];
  const memberRoles: string[] = [];
  for (const id of guildIds) {
    const g = sim.world.guild(id)!;
    for (const c of g.channels) channels.push(`${id}|${c.id}|${c.type}|${c.parentId ?? '-'}|${c.name}`);
    for (const r of g.roles) roles.push(`${id}|${r.id}|${r.name}|${r.color}`);
    for (const m of g.members.values()) {
      members.push(`${id}|${m.user.id}|${m.nick ?? m.user.globalName ?? m.user.username}|${m.user.bot}`);
      for (const r of m.roles) memberRoles.push(`${id}|${r}|${m.user.id}`);
    }
  }
  return { channels: channels.sort(), roles: roles.sort(), members: members.sort(), memberRoles: memberRoles.sort() };
}

async function actual(t: TestBot, guildIds: string[]): Promise<Snapshot> {
  const q = async (sql: string) => (await t.pool.query<{ k: string }>(sql, [guildIds])).rows.map((r) => r.k).sort();
  return {
    channels: await q(
      `SELECT guild_id || '|' || channel_id || '|' || type || '|' || coalesce(parent_id::text, '-') || '|' || name AS k FROM guild_channels WHERE guild_id = ANY ($1::bigint[]) AND deleted_at IS NULL`,
    ),
    deleted: await q(
      `SELECT guild_id || '|' || channel_id || '|' || name AS k FROM guild_channels WHERE guild_id = ANY ($1::bigint[]) AND deleted_at IS NOT NULL`,
    ),
    roles: await q(
      `SELECT guild_id || '|' || role_id || '|' || name || '|' || colour AS k FROM guild_roles WHERE guild_id = ANY ($1::bigint[]) AND deleted_at IS NULL`,
    ),
    members: await q(
      `SELECT guild_id || '|' || user_id || '|' || display_name || '|' || bot AS k FROM guild_members WHERE guild_id = ANY ($1::bigint[])`,
    ),
    memberRoles: await q(
      `SELECT guild_id || '|' || role_id || '|' || user_id AS k FROM member_roles WHERE guild_id = ANY ($1::bigint[])`,
    ),
  };
}

describe('guild structure in the database', () => {
  let t: TestBot;
  let sim: Simulator;
  let guildIds: string[];

  beforeAll(async () => {
    t = await startTestBot({ name: 'structure', sim: { guilds: 4, seed: 17 }, families: [] });
    sim = t.sim;
    guildIds = [...sim.world.guilds.keys()];
  }, 60_000);
  afterAll(() => t?.stop(), 60_000);

  const synced = async () => {
    await t.bot.structure.flush();
    const a = await actual(t, guildIds);
    const { deleted: _, ...rest } = a;
    return rest;
  };

  it('holds every channel, role, member name and role from GUILD_CREATE and member chunks', async () => {
    // Guilds over the large threshold (50) come without their members: the bot asks for them (op 8).
    const large = guildIds.filter((id) => sim.world.guild(id)!.members.size > 50);
    expect(large.length).toBeGreaterThan(0);
    await expect.poll(synced, { timeout: 30_000, interval: 200 }).toEqual(expected(sim, guildIds));
    expect(sim.gatewayMessages(8)).toBeGreaterThanOrEqual(large.length);
    // Categories with their channels under them, threads under their channel.
    const { rows } = await t.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM guild_channels c JOIN guild_channels p ON p.guild_id = c.guild_id AND p.channel_id = c.parent_id WHERE p.type = 4',
    );
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
  }, 40_000);

  it('follows channel, category, role, role assignment, nickname and member changes', async () => {
    const [g1, g2] = guildIds.map((id) => sim.world.guild(id)!);
    const s = sim.structure;
    const cat = s.createChannel(g1!.id, { type: ChannelKind.Category, name: 'Events' });
    const text = s.createChannel(g1!.id, { type: ChannelKind.Text, name: 'tournaments', parentId: cat.id });
    const thread = s.createChannel(g1!.id, { type: ChannelKind.PublicThread, name: 'brackets', parentId: text.id });
    const moved = sim.world.textChannels(g1!.id)[0]!;
    s.updateChannel(g1!.id, moved.id, { name: 'renamed-general', parentId: cat.id });
    const doomed = sim.world.voiceChannels(g1!.id)[0]!;
    s.deleteChannel(g1!.id, doomed.id);
    s.deleteChannel(g1!.id, thread.id);

    const role = s.createRole(g1!.id, 'Champions', 0xffaa00);
    const humans = sim.world.humanMembers(g1!.id);
    s.setMemberRoles(g1!.id, humans[1]!.user.id, { add: [role.id] });
    s.setMemberRoles(g1!.id, humans[2]!.user.id, { add: [role.id] });
    const someoneWithRoles = humans.find(
      (m) => m.roles.length > 1 && m.user.id !== humans[1]!.user.id && m.user.id !== humans[2]!.user.id,
    );
    if (someoneWithRoles) s.setMemberRoles(g1!.id, someoneWithRoles.user.id, { remove: [someoneWithRoles.roles[0]!] });
    s.updateRole(g1!.id, role.id, { name: 'Champions 2026' });
    const otherRole = g2!.roles.find((r) => r.id !== g2!.id && !r.managed)!;
    s.deleteRole(g2!.id, otherRole.id);
    s.setNickname(g1!.id, humans[3]!.user.id, 'the nick');
    sim.members.leave(g1!.id, humans[4]!.user.id);

    await expect.poll(synced, { timeout: 20_000, interval: 200 }).toEqual(expected(sim, guildIds));
    // A deleted channel keeps its last name, marked deleted; so does a deleted thread.
    const after = await actual(t, guildIds);
    expect(after.deleted).toEqual(
      [`${g1!.id}|${doomed.id}|${doomed.name}`, `${g1!.id}|${thread.id}|${thread.name}`].sort(),
    );
    const { rows } = await t.pool.query<{ name: string; deleted: boolean }>(
      'SELECT name, deleted_at IS NOT NULL AS deleted FROM guild_roles WHERE guild_id = $1 AND role_id = $2',
      [g2!.id, otherRole.id],
    );
    expect(rows).toEqual([{ name: otherRole.name, deleted: true }]);
  }, 40_000);

  it('names each server, and follows a rename', async () => {
    const names = async () =>
      (
        await t.pool.query<{ k: string }>(
          "SELECT guild_id || '|' || name AS k FROM guild_names WHERE guild_id = ANY ($1::bigint[]) ORDER BY 1",
          [guildIds],
        )
      ).rows.map((r) => r.k);
    const world = () => guildIds.map((id) => `${id}|${sim.world.guild(id)!.name}`).sort();
    await expect.poll(names, { timeout: 20_000, interval: 200 }).toEqual(world());
    sim.structure.renameGuild(guildIds[1]!, 'The Renamed Server');
    await expect.poll(names, { timeout: 20_000, interval: 200 }).toEqual(world());
    expect(await names()).toContain(`${guildIds[1]}|The Renamed Server`);
  }, 40_000);

  it('stores a name PostgreSQL cannot hold as text cleaned, and keeps writing what comes after it', async () => {
    const g = guildIds[3]!;
    // U+0000 in a text parameter fails the statement, and with it the whole batch, on every retry.
    const bad = sim.structure.createChannel(g, { type: ChannelKind.Text, name: 'bad\u0000name' });
    const badRole = sim.structure.createRole(g, 'role\u0000x');
    const later = sim.structure.createChannel(g, { type: ChannelKind.Text, name: 'after-the-bad-one' });
    const row = async (id: string) =>
      (
        await t.pool.query<{ name: string }>(
          'SELECT name FROM guild_channels WHERE guild_id = $1 AND channel_id = $2',
          [g, id],
        )
      ).rows[0]?.name;
    await expect.poll(() => row(later.id), { timeout: 20_000, interval: 200 }).toBe('after-the-bad-one');
    expect(await row(bad.id)).toBe('bad name');
    const { rows } = await t.pool.query<{ name: string }>(
      "SELECT name FROM guild_roles WHERE guild_id = $1 AND name LIKE 'role%x'",
      [g],
    );
    expect(rows).toEqual([{ name: 'role x' }]);
    // Gone again, so the world and the database compare equal in the tests after this one.
    sim.structure.deleteChannel(g, bad.id);
    sim.structure.deleteRole(g, badRole.id);
  }, 40_000);

  it('marks what went while the bot was away at the next GUILD_CREATE', async () => {
    const g = sim.world.guild(guildIds[2]!)!;
    // Changed in the world with no dispatch: the bot only learns from the next full guild.
    const gone = g.channels.find((c) => c.type === ChannelKind.Text)!;
    g.channels.splice(g.channels.indexOf(gone), 1);
    const leaver = sim.world.humanMembers(g.id).at(-1)!;
    g.members.delete(leaver.user.id);
    sim.faults.invalidSession(0, false);
    await expect.poll(synced, { timeout: 30_000, interval: 200 }).toEqual(expected(sim, guildIds));
    expect((await actual(t, guildIds)).deleted).toContain(`${g.id}|${gone.id}|${gone.name}`);
  }, 40_000);

  it('stores no name for an opted-out member, and /privacy delete removes it', async () => {
    const g = sim.world.guild(guildIds[0]!)!;
    const [a, b] = sim.world.humanMembers(g.id).slice(5, 7);
    const rowsOf = async (userId: string) => {
      await t.bot.structure.flush();
      const m = await t.pool.query('SELECT 1 FROM guild_members WHERE guild_id = $1 AND user_id = $2', [g.id, userId]);
      const r = await t.pool.query('SELECT 1 FROM member_roles WHERE guild_id = $1 AND user_id = $2', [g.id, userId]);
      return m.rows.length + r.rows.length;
    };
    await t.bot.privacy.optOut(g.id, a!.user.id);
    await expect.poll(() => rowsOf(a!.user.id), { timeout: 10_000, interval: 200 }).toBe(0);
    // Later changes are not stored either.
    sim.structure.setNickname(g.id, a!.user.id, 'still private');
    sim.structure.setNickname(g.id, b!.user.id, 'b marks the time');
    await expect
      .poll(
        async () => {
          await t.bot.structure.flush();
          return (
            await t.pool.query('SELECT display_name FROM guild_members WHERE guild_id = $1 AND user_id = $2', [
              g.id,
              b!.user.id,
            ])
          ).rows[0]?.display_name;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe('b marks the time');
    expect(await rowsOf(a!.user.id)).toBe(0);

    expect(await rowsOf(b!.user.id)).toBeGreaterThan(0);
    const report = await deleteMemberData(t.pool, pgTransaction(t.pool), g.id, b!.user.id);
    expect(report.deleted.guild_members).toBe(1);
    expect(await rowsOf(b!.user.id)).toBe(0);
  }, 30_000);
});

describe("a big guild's member list", () => {
  let t: TestBot;
  afterAll(() => t?.stop(), 60_000);

  it('is written whole from one request, though it arrives faster than PostgreSQL takes it', async () => {
    // 60,000 members: three times the recorder's pending bound, all in one burst of 60 chunks.
    t = await startTestBot({
      name: 'structure-big',
      sim: { guilds: 0, largeGuilds: [60_000], seed: 23 },
      families: [],
    });
    const guildIds = [...t.sim.world.guilds.keys()];
    // The pause reaches the shard's socket through discord.js's sharding strategy (src/shard/read-pause.ts).
    const strategy = (t.bot.client.ws as unknown as { _ws?: { strategy?: unknown } })._ws?.strategy;
    expect(shardReads(() => strategy).reachable(0)).toBe(true);
    const want = expected(t.sim, guildIds);
    await expect
      .poll(
        async () => {
          await t.bot.structure.flush();
          const { deleted: _, ...rest } = await actual(t, guildIds);
          return rest.members.length === want.members.length ? rest : `${rest.members.length} members so far`;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual(want);
    expect(t.sim.memberRequests).toEqual({ answered: 1, rateLimited: 0, chunks: 60 });
  }, 90_000);
});

describe('a big member list when PostgreSQL stalls and fails', () => {
  it('pauses the shard while the write hangs, and reads on at once when it fails', async () => {
    // A "database" that accepts connections and never answers, until the test cuts them.
    const sockets: Socket[] = [];
    const db = createServer((c) => void sockets.push(c));
    await new Promise<void>((r) => db.listen(0, '127.0.0.1', r));
    const pool = createPool(`postgres://postgres@127.0.0.1:${(db.address() as AddressInfo).port}/none`);
    const sim = await startSimulator({ guilds: 0, largeGuilds: [40_000], shards: 1, seed: 29 });
    const config = loadConfig({ DISCORD_TOKEN: sim.token, DISCORD_API_URL: sim.apiUrl });
    let strategy: SimpleShardingStrategy | undefined;
    const client = createClient(config, [0], 1, { buildStrategy: (m) => (strategy = new SimpleShardingStrategy(m)) });
    const { logger, find } = capturedLogger();
    const recorder = new StructureRecorder(pool, logger);
    const collector = collectStructure(
      client,
      recorder,
      logger,
      shardReads(() => strategy),
    );
    const paused = () =>
      (strategy as unknown as { shards: Map<number, { connection: { isPaused: boolean } | null }> }).shards.get(0)
        ?.connection?.isPaused;
    try {
      const ready = new Promise((r) => client.once(Events.ClientReady, r));
      await client.login(sim.token);
      await ready;
      // The first write hangs: the chunks pile up to the high-water mark and the shard stops reading.
      await expect.poll(paused, { timeout: 20_000, interval: 20 }).toBe(true);
      expect(recorder.pending).toBeLessThanOrEqual(20_000);
      for (const c of sockets) c.destroy();
      // The write fails: reading resumes at once (not at the 5 s limit), and a message sent after the whole
      // list arrives.
      await expect.poll(paused, { timeout: 4_000, interval: 20 }).toBe(false);
      const g = [...sim.world.guilds.values()][0]!;
      const seen = new Promise((r) => client.on(Events.Raw, (p: { t?: string }) => p.t === 'MESSAGE_CREATE' && r(p)));
      sim.sendMessage({
        guildId: g.id,
        channelId: sim.world.textChannels(g.id)[0]!.id,
        authorId: sim.world.humanMembers(g.id)[0]!.user.id,
        content: 'still here',
      });
      await seen;
      expect(sim.memberRequests.chunks).toBe(40);
      expect(recorder.pending).toBeLessThanOrEqual(20_000);
      expect(find(/could not write guild structure/).length).toBeGreaterThan(0);
      expect(find(/after a pause of 5 s/)).toEqual([]);
    } finally {
      collector.stop();
      await client.destroy();
      for (const c of sockets) c.destroy();
      await recorder.close();
      await pool.end();
      await sim.close();
      await new Promise((r) => db.close(r));
    }
  }, 60_000);
});
