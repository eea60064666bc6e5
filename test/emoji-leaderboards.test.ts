// Emoji leaderboards per member, channel and category (/emojis member:, channel:, category:) end to end:
// the simulator's emoji traffic (messages and reactions, in channels and threads) through the gateway, Redis
// and the ingest worker, ranked against the truth the simulator kept of which emoji it used where, never
// parsed from content. Bad input: another server's channel or category, a member's emojis without the
// permission: a clear ephemeral error.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendEmojiTraffic, type RecordedReply } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let g: string;
let other: string;
const ADMIN = String(1n << 3n);

async function diff(): Promise<string[]> {
  const { rows } = await t.pool.query<{ k: string; n: string }>(
    `SELECT guild_id || '|' || channel_id || '|' || user_id || '|' || emoji || '|' || source AS k, sum(uses) AS n FROM channel_emojis_raw GROUP BY 1`,
  );
  const db = new Map(rows.map((r) => [r.k, Number(r.n)]));
  const out: string[] = [];
  for (const [k, n] of t.sim.truth.channelEmojiUses) if (db.get(k) !== n) out.push(`${k}: ${db.get(k) ?? 0} ≠ ${n}`);
  for (const k of db.keys()) if (!t.sim.truth.channelEmojiUses.has(k)) out.push(`${k}: not in the truth`);
  return out;
}

const field = (r: RecordedReply, name: string): string | undefined =>
  ((r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? []).find(
    (f) => f.name === name,
  )?.value;

/** The counts of the "Most used" board, in order. */
const board = (r: RecordedReply) =>
  [...(field(r, 'Most used') ?? '').matchAll(/ — ([\d,]+)$/gm)].map(([, n]) => Number(n!.replace(/,/g, '')));

/** The truth's per-emoji sums over the uses whose channel passes `inChannel` (and user `byUser`), largest first. */
function expected(inChannel: (channelId: string) => boolean, byUser?: string): number[] {
  const sums = new Map<string, number>();
  for (const [k, n] of t.sim.truth.channelEmojiUses) {
    const [guild, channel, user, emoji] = k.split('|');
    if (guild !== g || !inChannel(channel!) || (byUser !== undefined && user !== byUser)) continue;
    sums.set(emoji!, (sums.get(emoji!) ?? 0) + n);
  }
  return [...sums.values()].sort((a, b) => b - a);
}

const parentOf = (id: string) => t.sim.world.channel(id)?.parentId ?? null;

/** A member who has not asked yet: commands have a per-member cooldown. */
let asked = 0;
const freshAsker = (not?: string) => {
  const ms = t.sim.world.humanMembers(g).filter((m) => m.user.id !== not);
  return ms[asked++ % ms.length]!.user.id;
};

/**
 * Asks again past the cooldown (moving the test clock the router reads) if the member asked a moment ago
 * (the guild has only so many members).
 */
async function invoke(o: Parameters<TestBot['sim']['invokeCommand']>[0]): Promise<RecordedReply> {
  for (;;) {
    const reply = await t.sim.invokeCommand(o);
    const wait = /^Slow down: you can use \S+ again in (\d+) s/.exec(reply.content);
    if (!wait) return reply;
    t.clock.advance(Number(wait[1]) * 1000 + 200);
  }
}

async function ask(
  userId: string,
  options: { name: string; type: number; value: string }[],
  permissions = ADMIN,
): Promise<RecordedReply> {
  return invoke({
    guildId: g,
    channelId: t.sim.world.textChannels(g)[0]!.id,
    userId,
    name: 'emojis',
    options: [{ name: 'period', type: 3, value: '24h' }, ...options],
    permissions,
    timeoutMs: 30_000,
  });
}

beforeAll(async () => {
  t = await startTestBot({ name: 'emoji-leaderboards', sim: { guilds: 2, seed: 23 } });
  [g, other] = [...t.sim.world.guilds.keys()] as [string, string];
  await sendEmojiTraffic(t.sim, { messages: 1_200, reactions: 1_200, seed: 23 });
  await t.ingestUntil(diff, 60_000);
  // The shard records channels in batches off the gateway path: the options are checked against them.
  await vi.waitFor(
    async () =>
      expect((await t.pool.query('SELECT 1 FROM guild_channels WHERE guild_id = $1', [g])).rowCount).toBeGreaterThan(0),
    { timeout: 30_000, interval: 200 },
  );
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('/emojis member, channel and category', () => {
  it('records every use by channel exactly once, threads under their own id', async () => {
    expect(t.sim.truth.channelEmojiUses.size).toBeGreaterThan(100);
    expect(await diff()).toEqual([]);
  });

  it("channel: ranks the channel's emojis, its threads included", async () => {
    const counts = new Map<string, number>();
    for (const [k, n] of t.sim.truth.channelEmojiUses)
      if (k.startsWith(`${g}|`)) counts.set(k.split('|')[1]!, (counts.get(k.split('|')[1]!) ?? 0) + n);
    // The busiest text channel (not a thread) that has threads with uses, else the busiest.
    const texts = t.sim.world.textChannels(g).map((c) => c.id);
    const channel = texts.sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0))[0]!;
    const want = expected((c) => c === channel || parentOf(c) === channel);
    const reply = await ask(freshAsker(), [{ name: 'channel', type: 7, value: channel }]);
    const got = board(reply);
    expect(reply.content).toBe('');
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got).toEqual(want.slice(0, got.length));
    expect(reply.embeds[0]!.title).toContain(`#${t.sim.world.channel(channel)!.name}`);
  }, 30_000);

  it('category: ranks the emojis of every channel under it, threads included', async () => {
    const inCategory = (cat: string) => (c: string) =>
      parentOf(c) === cat || (parentOf(c) !== null && parentOf(parentOf(c)!) === cat);
    const categories = [
      ...new Set(
        t.sim.world
          .textChannels(g)
          .map((c) => c.parentId)
          .filter((p): p is string => p !== null),
      ),
    ];
    const category = categories.sort((a, b) => expected(inCategory(b)).length - expected(inCategory(a)).length)[0]!;
    const want = expected(inCategory(category));
    expect(want.length).toBeGreaterThan(0);
    const reply = await ask(freshAsker(), [{ name: 'category', type: 7, value: category }]);
    const got = board(reply);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(want.slice(0, got.length));
  }, 30_000);

  it("member: ranks one member's emojis (from the emojis family's history)", async () => {
    const perUser = new Map<string, number>();
    for (const [k, n] of t.sim.truth.emojiUses)
      if (k.startsWith(`${g}|`)) perUser.set(k.split('|')[1]!, (perUser.get(k.split('|')[1]!) ?? 0) + n);
    const member = [...perUser].sort((a, b) => b[1] - a[1])[0]![0];
    const sums = new Map<string, number>();
    for (const [k, n] of t.sim.truth.emojiUses) {
      const [guild, user, emoji] = k.split('|');
      if (guild === g && user === member) sums.set(emoji!, (sums.get(emoji!) ?? 0) + n);
    }
    const want = [...sums.values()].sort((a, b) => b - a);
    // Another member with the insight permission, then the member themself without it.
    const asker = freshAsker(member);
    const got = board(await ask(asker, [{ name: 'member', type: 6, value: member }]));
    expect(got).toEqual(want.slice(0, got.length));
    expect(got.length).toBeGreaterThan(0);
    const own = board(await ask(member, [{ name: 'member', type: 6, value: member }], '0'));
    expect(own).toEqual(got);
  }, 30_000);

  it("refuses another server's channel or category, a channel with a category, and others' emojis without permission", async () => {
    const asker = freshAsker();
    const foreignChannel = t.sim.world.textChannels(other)[0]!.id;
    const a = await ask(asker, [{ name: 'channel', type: 7, value: foreignChannel }]);
    expect(a.flags & 64).toBe(64);
    expect(a.content).toMatch(/not one of this server's channels/);
    const foreignCategory = t.sim.world
      .textChannels(other)
      .map((c) => c.parentId)
      .find((p): p is string => p !== null)!;
    const b = await ask(freshAsker(), [{ name: 'category', type: 7, value: foreignCategory }]);
    expect(b.flags & 64).toBe(64);
    expect(b.content).toMatch(/not one of this server's channels/);
    const mine = t.sim.world.textChannels(g)[0]!;
    const c = await ask(freshAsker(), [
      { name: 'channel', type: 7, value: mine.id },
      { name: 'category', type: 7, value: mine.parentId! },
    ]);
    expect(c.content).toMatch(/channel or a category, not both/);
    const d = await ask(
      freshAsker(t.sim.world.humanMembers(g)[0]!.user.id),
      [{ name: 'member', type: 6, value: t.sim.world.humanMembers(g)[0]!.user.id }],
      '0',
    );
    expect(d.flags & 64).toBe(64);
    expect(d.embeds).toHaveLength(0);
  }, 60_000);

  it('a deleted channel keeps its last name, marked deleted, and its counts', async () => {
    const counts = new Map<string, number>();
    for (const [k, n] of t.sim.truth.channelEmojiUses)
      if (k.startsWith(`${g}|`)) counts.set(k.split('|')[1]!, (counts.get(k.split('|')[1]!) ?? 0) + n);
    const doomed = t.sim.world.textChannels(g).sort((a, b) => (counts.get(b.id) ?? 0) - (counts.get(a.id) ?? 0))[0]!;
    const want = expected((c) => c === doomed.id || parentOf(c) === doomed.id);
    const name = doomed.name;
    t.sim.structure.deleteChannel(g, doomed.id);
    await vi.waitFor(
      async () =>
        expect(
          (
            await t.pool.query(
              'SELECT 1 FROM guild_channels WHERE guild_id = $1 AND channel_id = $2 AND deleted_at IS NOT NULL',
              [g, doomed.id],
            )
          ).rowCount,
        ).toBe(1),
      { timeout: 30_000, interval: 200 },
    );
    const emojis = await ask(freshAsker(), [{ name: 'channel', type: 7, value: doomed.id }]);
    expect(emojis.content).toBe('');
    expect(emojis.embeds[0]!.title).toBe(`#${name} (deleted): emojis`);
    const got = board(emojis);
    expect(got).toEqual(want.slice(0, got.length));
    const stats = await invoke({
      guildId: g,
      channelId: t.sim.world.textChannels(g)[0]!.id,
      userId: freshAsker(),
      name: 'stats',
      subcommand: 'channel',
      options: [
        { name: 'channel', type: 7, value: doomed.id },
        { name: 'period', type: 3, value: '24h' },
      ],
      permissions: ADMIN,
      timeoutMs: 30_000,
    });
    expect(stats.content).toBe('');
    expect(stats.embeds[0]!.title).toMatch(new RegExp(`^#${name} \\(deleted\\): `));
  }, 60_000);
});
