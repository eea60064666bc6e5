// `role:` and `category:` end to end: the simulator gives a role to members (GUILD_MEMBER_UPDATE), the
// bot records who holds it, and every filtered answer must equal the simulator's ground truth restricted
// to the members who hold the role now (from the world) or to the channels under the category (from the
// world's channel tree), computed here. Bad input is refused ephemerally, never answered with another
// server's data.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChannelKind, sendMixedTraffic, type CommandOption, type RecordedReply } from 'discord-sim';
import { diffEmojis, diffVoice } from '../dev/stack.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { deletedRole, recordedHolders, recordedHolding } from './helpers/structure.js';

let t: TestBot;
let guildId: string;
let otherGuildId: string;
let roleId: string;
let voiceTruth: Map<string, { seconds: number }>;
const EPHEMERAL = 64;
const MANAGE_GUILD = String(1n << 5n);

const fields = (r: RecordedReply): Record<string, string> =>
  Object.fromEntries(
    ((r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined)?.fields ?? []).map((f) => [
      f.name,
      f.value,
    ]),
  );
const embedText = (r: RecordedReply): string => JSON.stringify(r.embeds[0] ?? {});
const seconds = (d: string) =>
  [...d.matchAll(/(\d+)([dhms])/g)].reduce(
    (a, [, n, u]) => a + Number(n) * { d: 86_400, h: 3600, m: 60, s: 1 }[u as 'd' | 'h' | 'm' | 's'],
    0,
  );

const humans = () => t.sim.world.humanMembers(guildId);
let nextFresh = 0;
/** A member who has not used the command yet (per-member cooldowns). */
const fresh = () => humans()[nextFresh++ % humans().length]!.user.id;
const invoke = (name: string, subcommand: string | undefined, options: CommandOption[] = [], permissions?: string) =>
  t.sim.invokeCommand({
    guildId,
    channelId: t.sim.world.textChannels(guildId)[0]!.id,
    userId: fresh(),
    name,
    subcommand,
    options,
    permissions,
    timeoutMs: 30_000,
  });

/** Members who hold the role now, from the world. */
const holders = (role = roleId) =>
  new Set(
    humans()
      .filter((m) => m.roles.includes(role))
      .map((m) => m.user.id),
  );
const messagesBy = (keep: (m: { authorId: string; channelId: string; parentChannelId: string | null }) => boolean) =>
  t.sim.truth.messagesIn(guildId).filter((m) => !m.webhook && !m.bot && keep(m));

async function messagesDiff(): Promise<string[]> {
  const db = await messageTotalsByChannelMember(t.pool, [...t.sim.world.guilds.keys()]);
  return [...t.sim.truth.messageTotals()].filter(([k, v]) => db.get(k)?.messages !== v.messages).map(([k]) => k);
}

beforeAll(async () => {
  t = await startTestBot({ name: 'filters', sim: { guilds: 2, seed: 21 }, env: { VOICE_CREDIT_INTERVAL_MS: '1000' } });
  const traffic = await sendMixedTraffic(t.sim, {
    messages: 500,
    emojiMessages: 60,
    reactions: 30,
    appMessages: 0,
    joins: 0,
    voiceMembers: 6,
    seed: 21,
  });
  await t.advance(2_500); // how long the members stay in voice, on the clock the truth and the bot share
  traffic.endVoice();
  const guilds = [...t.sim.world.guilds.keys()];
  await t.ingestUntil(async () => [
    ...(await messagesDiff()),
    ...(await diffEmojis(t.pool, t.sim)),
    ...(await diffVoice(t.pool, traffic.voice, guilds, 1)),
  ]);
  voiceTruth = traffic.voice.truth();
  guildId = [...t.sim.truth.totalsBy('guild').entries()].sort((a, b) => b[1].messages - a[1].messages)[0]![0];
  otherGuildId = guilds.find((g) => g !== guildId)!;
  // A role for every other member, and for everyone who was in voice.
  roleId = t.sim.structure.createRole(guildId, 'Testers', 0x33aa55).id;
  const inVoice = new Set(
    [...voiceTruth.keys()].filter((k) => k.startsWith(`${guildId}|`)).map((k) => k.split('|')[2]!),
  );
  humans().forEach((m, k) => {
    if (k % 2 === 0 || inVoice.has(m.user.id)) t.sim.structure.setMemberRoles(guildId, m.user.id, { add: [roleId] });
  });
  await vi.waitFor(
    async () => {
      const n = await recordedHolders(t.pool, guildId, roleId);
      if (n !== holders().size) throw new Error(`role holders not recorded yet: ${n} of ${holders().size}`);
    },
    { timeout: 20_000, interval: 200 },
  );
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('role filter', () => {
  it('/stats server role: counts the messages, words, voice and emojis of members who hold the role now, and says so', async () => {
    const h = holders();
    const msgs = messagesBy((m) => h.has(m.authorId));
    const voice = [...voiceTruth]
      .filter(([k]) => k.startsWith(`${guildId}|`) && h.has(k.split('|')[2]!))
      .reduce((a, [, v]) => a + v.seconds, 0);
    const emojis = [...t.sim.truth.emojiUses]
      .filter(([k]) => k.startsWith(`${guildId}|`) && h.has(k.split('|')[1]!))
      .reduce((a, [, n]) => a + n, 0);
    expect(msgs.length).toBeGreaterThan(0);
    expect(msgs.length).toBeLessThan(messagesBy(() => true).length);
    const reply = await invoke('stats', 'server', [
      { name: 'period', type: 3, value: '24h' },
      { name: 'role', type: 8, value: roleId },
    ]);
    expect(reply.flags & EPHEMERAL).toBe(0);
    const f = fields(reply);
    expect(f.Messages).toBe(String(msgs.length));
    expect(f.Words).toBe(String(msgs.reduce((a, m) => a + m.words, 0)));
    expect(f.Emojis).toBe(String(emojis));
    expect(Math.abs(seconds(f['Voice time']!) - voice)).toBeLessThanOrEqual(4);
    expect(f['Active members']).toBe(String(new Set(msgs.map((m) => m.authorId)).size));
    expect(embedText(reply)).toContain(`Only members who hold @Testers now (${h.size} members)`);
  }, 30_000);

  it('follows role changes: a member who loses the role leaves the answer with all their past messages', async () => {
    const h = holders();
    const top = [...h]
      .map((id) => [id, messagesBy((m) => m.authorId === id).length] as const)
      .sort((a, b) => b[1] - a[1])[0]!;
    expect(top[1]).toBeGreaterThan(0);
    t.sim.structure.setMemberRoles(guildId, top[0], { remove: [roleId] });
    await expect
      .poll(() => recordedHolding(t.pool, guildId, roleId, top[0]), { timeout: 10_000, interval: 200 })
      .toBe(0);
    const now = holders();
    const reply = await invoke('stats', 'channel', [
      { name: 'channel', type: 7, value: t.sim.world.textChannels(guildId)[0]!.id },
      { name: 'role', type: 8, value: roleId },
    ]);
    const ch = t.sim.world.textChannels(guildId)[0]!.id;
    const expected = messagesBy((m) => now.has(m.authorId) && (m.channelId === ch || m.parentChannelId === ch)).length;
    if (expected === 0) expect(reply.content).toMatch(/Nothing recorded/);
    else expect(fields(reply).Messages).toBe(String(expected));
    t.sim.structure.setMemberRoles(guildId, top[0], { add: [roleId] });
    await expect
      .poll(() => recordedHolding(t.pool, guildId, roleId, top[0]), { timeout: 10_000, interval: 200 })
      .toBe(1);
  }, 30_000);

  it("/top messages role: ranks only the role's members", async () => {
    const h = holders();
    const counts = new Map<string, number>();
    for (const m of messagesBy((x) => h.has(x.authorId))) counts.set(m.authorId, (counts.get(m.authorId) ?? 0) + 1);
    const expected = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
    const reply = await invoke('top', 'messages', [
      { name: 'period', type: 3, value: '24h' },
      { name: 'role', type: 8, value: roleId },
    ]);
    const board = Object.values(fields(reply))[0]!;
    const got = [...board.matchAll(/<@(\d+)> — (\d+)/g)].map(([, id, n]) => [id!, Number(n)] as const);
    expect(got.map(([, n]) => n)).toEqual(expected.map(([, n]) => n));
    for (const [id] of got) expect(h.has(id)).toBe(true);
    expect(embedText(reply)).toContain('@Testers');
  }, 30_000);

  it("/activity, /voice and /emojis role: totals of the role's members", async () => {
    const h = holders();
    const activity = await invoke('activity', undefined, [
      { name: 'period', type: 3, value: '7d' },
      { name: 'role', type: 8, value: roleId },
    ]);
    expect(fields(activity).Messages).toBe(String(messagesBy((m) => h.has(m.authorId)).length));
    const voice = await invoke('voice', undefined, [
      { name: 'period', type: 3, value: '24h' },
      { name: 'role', type: 8, value: roleId },
    ]);
    const voiceTotal = [...voiceTruth]
      .filter(([k]) => k.startsWith(`${guildId}|`) && h.has(k.split('|')[2]!))
      .reduce((a, [, v]) => a + v.seconds, 0);
    expect(Math.abs(seconds(fields(voice)['Voice time']!) - voiceTotal)).toBeLessThanOrEqual(4);
    const emojis = await invoke('emojis', undefined, [
      { name: 'period', type: 3, value: '24h' },
      { name: 'role', type: 8, value: roleId },
    ]);
    const uses = [...t.sim.truth.emojiUses]
      .filter(([k]) => k.startsWith(`${guildId}|`) && h.has(k.split('|')[1]!))
      .reduce((a, [, n]) => a + n, 0);
    expect(fields(emojis)['Emoji uses']).toBe(String(uses));
  }, 60_000);

  it("/export role: only rows of the role's members", async () => {
    const h = holders();
    const reply = await invoke(
      'export',
      undefined,
      [
        { name: 'table', type: 3, value: 'messages' },
        { name: 'period', type: 3, value: '24h' },
        { name: 'role', type: 8, value: roleId },
      ],
      MANAGE_GUILD,
    );
    const [header, ...lines] = reply.files[0]!.data.toString('utf8').trim().split('\n');
    const cols = header!.split(',');
    const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, k) => [cols[k]!, v])));
    expect(rows.every((r) => h.has(r.user_id!))).toBe(true);
    expect(rows.reduce((a, r) => a + Number(r.messages), 0)).toBe(messagesBy((m) => h.has(m.authorId)).length);
    expect(reply.content).toContain('@Testers');
  }, 30_000);

  it('refuses a role of another server and a deleted role, ephemerally', async () => {
    const foreign = t.sim.world.guild(otherGuildId)!.roles.find((r) => r.id !== otherGuildId && !r.managed)!;
    const a = await invoke('stats', 'server', [{ name: 'role', type: 8, value: foreign.id }]);
    expect(a.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(a.content).toMatch(/not one of this server's roles/);
    const doomed = await deletedRole(t, guildId, 'Short-lived');
    const b = await invoke('top', 'voice', [{ name: 'role', type: 8, value: doomed }]);
    expect(b.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(b.content).toMatch(/@Short-lived was deleted/);
  }, 30_000);
});

describe('categories', () => {
  const busiestCategory = () => {
    const g = t.sim.world.guild(guildId)!;
    const cats = g.channels.filter((c) => c.type === ChannelKind.Category);
    const n = (catId: string) => {
      const ids = new Set(t.sim.world.categoryChannels(guildId, catId).map((c) => c.id));
      return messagesBy((m) => ids.has(m.channelId)).length;
    };
    return cats
      .map((c) => ({ c, n: n(c.id), ids: new Set(t.sim.world.categoryChannels(guildId, c.id).map((x) => x.id)) }))
      .sort((a, b) => b.n - a.n)[0]!;
  };

  it('/stats category: messages of every channel under it, threads included', async () => {
    const { c, n, ids } = busiestCategory();
    expect(n).toBeGreaterThan(0);
    expect([...ids].some((id) => t.sim.world.channel(id)!.type === ChannelKind.PublicThread)).toBe(true);
    const reply = await invoke('stats', 'category', [
      { name: 'category', type: 7, value: c.id },
      { name: 'period', type: 3, value: '24h' },
    ]);
    const f = fields(reply);
    expect(f.Messages).toBe(String(n));
    expect(f['Active channels']).toBe(
      String(new Set(messagesBy((m) => ids.has(m.channelId)).map((m) => m.channelId)).size),
    );
    expect(embedText(reply)).toContain(c.name);
    expect(f.Emojis).toBeUndefined(); // emojis are not recorded per channel
  }, 30_000);

  it('/stats category with role, /top messages and /activity category', async () => {
    const { c, ids } = busiestCategory();
    const h = holders();
    const both = await invoke('stats', 'category', [
      { name: 'category', type: 7, value: c.id },
      { name: 'role', type: 8, value: roleId },
    ]);
    expect(fields(both).Messages).toBe(String(messagesBy((m) => ids.has(m.channelId) && h.has(m.authorId)).length));
    const counts = new Map<string, number>();
    for (const m of messagesBy((x) => ids.has(x.channelId))) counts.set(m.authorId, (counts.get(m.authorId) ?? 0) + 1);
    const top = await invoke('top', 'messages', [{ name: 'category', type: 7, value: c.id }]);
    const got = [...Object.values(fields(top))[0]!.matchAll(/<@(\d+)> — (\d+)/g)].map(([, , v]) => Number(v));
    expect(got).toEqual([...counts.values()].sort((a, b) => b - a).slice(0, 10));
    const activity = await invoke('activity', undefined, [{ name: 'category', type: 7, value: c.id }]);
    expect(fields(activity).Messages).toBe(String(messagesBy((m) => ids.has(m.channelId)).length));
  }, 60_000);

  it('refuses a category of another server and a channel that is not a category', async () => {
    const foreign = t.sim.world.guild(otherGuildId)!.channels.find((c) => c.type === ChannelKind.Category)!;
    const a = await invoke('stats', 'category', [{ name: 'category', type: 7, value: foreign.id }]);
    expect(a.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(a.content).toMatch(/not one of this server's channels/);
    const text = t.sim.world.textChannels(guildId)[0]!;
    const b = await invoke('activity', undefined, [{ name: 'category', type: 7, value: text.id }]);
    expect(b.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(b.content).toMatch(/is not a category/);
  }, 30_000);
});

describe('averages and the change against the previous period', () => {
  it('/stats server from:to on one day: per-day and per-member averages, and each total against the day before', async () => {
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
    const iso = new Date(day).toISOString().slice(0, 10);
    const [a, b, c] = humans()
      .slice(0, 3)
      .map((m) => m.user.id);
    const channelId = t.sim.world.textChannels(guildId)[1]!.id;
    const send = (authorId: string, at: number, content: string) =>
      t.sim.sendMessage({ guildId, channelId, authorId, content, timestamp: at });
    for (let k = 0; k < 7; k++) send(k < 5 ? a! : b!, day + 3_600_000 + k * 60_000, 'one two three');
    for (let k = 0; k < 4; k++) send(c!, day - 7_200_000 - k * 60_000, 'one two');
    await t.ingestUntil(messagesDiff);
    const inDay = (from: number) =>
      messagesBy(() => true).filter((m) => m.timestamp >= from && m.timestamp < from + 86_400_000);
    const now = inDay(day);
    const before = inDay(day - 86_400_000);
    const pct = (x: number, y: number) =>
      y === 0
        ? x === 0
          ? 'none either'
          : 'new'
        : `${Math.round(((x - y) / y) * 100) > 0 ? '+' : Math.round(((x - y) / y) * 100) < 0 ? '−' : '±'}${Math.abs(Math.round(((x - y) / y) * 100))} %`;
    const reply = await invoke('stats', 'server', [
      { name: 'from', type: 3, value: iso },
      { name: 'to', type: 3, value: iso },
    ]);
    const f = fields(reply);
    expect(f.Messages).toBe(String(now.length));
    expect(f['Messages per day']).toBe(String(now.length));
    const authors = new Set(now.map((m) => m.authorId)).size;
    expect(f['Messages per active member']).toBe(String(Math.round((now.length / authors) * 10) / 10));
    const change = f['Change vs the same length before']!;
    expect(change).toContain(`Messages: ${pct(now.length, before.length)}`);
    expect(change).toContain(
      `Words: ${pct(
        now.reduce((x, m) => x + m.words, 0),
        before.reduce((x, m) => x + m.words, 0),
      )}`,
    );
  }, 30_000);
});
