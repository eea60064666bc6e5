// /top, /emojis, /voice, /activity, /growth, /invites and /apps end to end: mixed traffic of every family
// through the simulator into an in-process bot, ingested until Postgres equals the ground truth; then each
// command is invoked as a member and must answer with a PNG chart and embed numbers equal to the truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
import { GuildSettingsStore } from '../src/settings.js';
import type { CommandOption, RecordedReply } from 'discord-sim';
import { sendMixedTraffic } from 'discord-sim';
import { diffApps, diffEmojis, diffMembers, diffVoice, memberEventsSettled as settled } from '../dev/stack.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
/** The guild with the most messages; and the one with the most joins. */
let guildId: string;
let joinGuildId: string;
let voiceTruth: Map<string, { seconds: number }>;
const EPHEMERAL = 64;
const MANAGE_GUILD = String(1n << 5n);

async function messagesDiff(): Promise<string[]> {
  const db = await messageTotalsByChannelMember(t.pool, [...t.sim.world.guilds.keys()]);
  return [...t.sim.truth.messageTotals()].filter(([k, v]) => db.get(k)?.messages !== v.messages).map(([k]) => k);
}

const memberEventsSettled = () =>
  settled({ redis: t.redis, pool: t.pool, keys: new Keys(t.prefix), partitions: t.config.redisPartitions, sim: t.sim });

function fields(r: RecordedReply): Record<string, string> {
  const embed = r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined;
  return Object.fromEntries((embed?.fields ?? []).map((f) => [f.name, f.value]));
}

/** "`1.` label — value" lines of a ranked field. */
function ranked(field: string | undefined): { label: string; value: string }[] {
  return (field ?? '').split('\n').flatMap((line) => {
    const m = /^`\d+\.` (.+) — (.+)$/.exec(line);
    return m ? [{ label: m[1]!, value: m[2]! }] : [];
  });
}

function seconds(duration: string): number {
  let s = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([dhms])/g))
    s += Number(n) * { d: 86_400, h: 3600, m: 60, s: 1 }[unit as 'd' | 'h' | 'm' | 's'];
  return s;
}

const num = (s: string) => Number(s.replace(/[^\d-]/g, ''));

function expectChart(r: RecordedReply): void {
  expect(r.content, r.content).toBe('');
  expect(r.flags & EPHEMERAL).toBe(0);
  expect(r.files).toHaveLength(1);
  expect(r.files[0]!.data.subarray(1, 4).toString('latin1')).toBe('PNG');
}

/** Sums `counts` per key(k) over keys starting with the guild, and the top entries (all tied at the max). */
function tops(
  counts: Map<string, number>,
  g: string,
  key: (parts: string[]) => string,
): { max: number; keys: string[]; sums: Map<string, number> } {
  const sums = new Map<string, number>();
  for (const [k, n] of counts) {
    const parts = k.split('|');
    if (parts[0] !== g) continue;
    sums.set(key(parts), (sums.get(key(parts)) ?? 0) + n);
  }
  const max = Math.max(...sums.values());
  return { max, keys: [...sums].filter(([, n]) => n === max).map(([k]) => k), sums };
}

/** Wall-clock instant (as UTC fields, shifted by `offsetMs`) of the hour holding the most timestamps. */
function busiestInstant(timestamps: number[], offsetMs: number): number {
  const per = new Map<number, number>();
  for (const ts of timestamps) {
    const h = Math.floor((ts + offsetMs) / 3_600_000);
    per.set(h, (per.get(h) ?? 0) + 1);
  }
  return [...per].sort((a, b) => b[1] - a[1])[0]![0] * 3_600_000;
}

// Every invocation by a different member: the per-member cooldown never answers instead.
let nextMember = 0;
function invoke(
  g: string,
  name: string,
  subcommand: string | undefined,
  options: CommandOption[] = [],
  o: { userId?: string; permissions?: string } = {},
): Promise<RecordedReply> {
  const humans = t.sim.world.humanMembers(g);
  const userId = o.userId ?? humans[nextMember++ % humans.length]!.user.id;
  return t.sim.invokeCommand({
    guildId: g,
    channelId: t.sim.world.textChannels(g)[0]!.id,
    userId,
    name,
    subcommand,
    options,
    permissions: o.permissions,
    timeoutMs: 30_000,
  });
}
const period = (value: string): CommandOption => ({ name: 'period', type: 3, value });

beforeAll(async () => {
  t = await startTestBot({
    name: 'commands-families',
    sim: { guilds: 3, seed: 17 },
    env: { VOICE_CREDIT_INTERVAL_MS: '1000' },
  });
  const traffic = await sendMixedTraffic(t.sim, {
    messages: 400,
    emojiMessages: 120,
    reactions: 80,
    appMessages: 60,
    joins: 10,
    voiceMembers: 5,
    seed: 17,
    betweenJoins: memberEventsSettled,
  });
  // How long the members stay in voice before and after the shuffle, on the clock the truth and the bot share.
  await t.advance(1_500);
  traffic.shuffleVoice();
  await t.advance(1_500);
  traffic.endVoice();
  await memberEventsSettled();
  const guilds = [...t.sim.world.guilds.keys()];
  await t.ingestUntil(async () => [
    ...(await messagesDiff()),
    ...(await diffEmojis(t.pool, t.sim)),
    ...(await diffApps(t.pool, t.sim)),
    ...(await diffMembers(t.pool, t.sim)),
    ...(await diffVoice(t.pool, traffic.voice, guilds, 1)),
  ]);
  voiceTruth = traffic.voice.truth();
  guildId = [...t.sim.truth.totalsBy('guild').entries()].sort((a, b) => b[1].messages - a[1].messages)[0]![0];
  const joinsPer = (g: string) => t.sim.members.joins.filter((j) => j.guildId === g).length;
  joinGuildId = guilds.sort((a, b) => joinsPer(b) - joinsPer(a))[0]!;
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('/top', () => {
  it('messages: the leaderboard starts with the truth top member and count', async () => {
    const counted = new Map<string, number>();
    for (const m of t.sim.truth.messagesIn(guildId))
      if (!m.bot && !m.webhook)
        counted.set(`${guildId}|${m.authorId}`, (counted.get(`${guildId}|${m.authorId}`) ?? 0) + 1);
    const truth = tops(counted, guildId, (p) => p[1]!);
    const reply = await invoke(guildId, 'top', 'messages', [period('24h')]);
    expectChart(reply);
    const rows = ranked(fields(reply)['Top members by messages']);
    expect(rows.length).toBeGreaterThan(1);
    expect(truth.keys.map((id) => `<@${id}>`)).toContain(rows[0]!.label);
    expect(num(rows[0]!.value)).toBe(truth.max);
    // Every row is exact, not just the first.
    for (const r of rows) expect(num(r.value)).toBe(truth.sums.get(/\d+/.exec(r.label)![0]));
  }, 60_000);

  it('emojis: the most used emoji and its count equal the truth', async () => {
    const truth = tops(t.sim.truth.emojiUses, guildId, (p) => p[2]!);
    const reply = await invoke(guildId, 'top', 'emojis', [period('7d')]);
    expectChart(reply);
    const first = ranked(fields(reply)['Top emojis'])[0]!;
    const key = /<a?:\w+:(\d+)>/.exec(first.label)?.[1] ?? first.label;
    expect(truth.keys).toContain(key);
    expect(num(first.value)).toBe(truth.max);
  }, 60_000);

  it('voice: the top member by voice time, within a second or two of the truth', async () => {
    const truth = tops(new Map([...voiceTruth].map(([k, v]) => [k, v.seconds])), guildId, (p) => p[2]!);
    const reply = await invoke(guildId, 'top', 'voice', [period('all')]);
    expectChart(reply);
    const first = ranked(fields(reply)['Top members by voice time'])[0]!;
    const id = /\d+/.exec(first.label)![0];
    expect(Math.abs(seconds(first.value) - truth.sums.get(id)!)).toBeLessThanOrEqual(2);
    expect(Math.abs(seconds(first.value) - truth.max)).toBeLessThanOrEqual(2);
  }, 60_000);

  it('invites: the top inviter by regular joins', async () => {
    const expected = t.sim.members.expectedInviteStats(joinGuildId);
    const best = Math.max(...[...expected.inviters.values()].map((b) => b.regular));
    // Everyone sees the ranking; the left/fake breakdown per inviter is Manage Server's, as in /invites.
    const reply = await invoke(joinGuildId, 'top', 'invites', [period('30d')], { permissions: '0' });
    expectChart(reply);
    const first = ranked(fields(reply)['Top inviters (regular joins)'])[0]!;
    const id = /\d+/.exec(first.label)![0];
    expect(expected.inviters.get(id)!.regular).toBe(best);
    expect(num(first.value.split(' ')[0]!)).toBe(best);
    expect(fields(reply)['Top inviters (regular joins)']).not.toMatch(/left|fake/);
    expect((reply.embeds[0] as { footer?: { text: string } }).footer?.text).toMatch(/\/invites \(Manage Server\)/);
    const managers = await invoke(joinGuildId, 'top', 'invites', [period('30d')], { permissions: MANAGE_GUILD });
    const b = expected.inviters.get(id)!;
    expect(ranked(fields(managers)['Top inviters (regular joins)'])[0]!.value).toMatch(
      new RegExp(`\\(${b.left} left · ${b.fake} fake\\)`),
    );
  }, 60_000);
});

describe('/emojis', () => {
  it('lists the most used emojis and the custom emojis nobody used', async () => {
    const truth = tops(t.sim.truth.emojiUses, guildId, (p) => p[2]!);
    const used = new Set(truth.sums.keys());
    const unused = t.sim.world.guild(guildId)!.emojis.filter((e) => !used.has(e.id));
    const reply = await invoke(guildId, 'emojis', undefined, [period('30d')]);
    expectChart(reply);
    const f = fields(reply);
    expect(f['Emoji uses']).toBe([...truth.sums.values()].reduce((a, b) => a + b, 0).toLocaleString('en-US'));
    const first = ranked(f['Most used'])[0]!;
    expect(truth.keys).toContain(/<a?:\w+:(\d+)>/.exec(first.label)?.[1] ?? first.label);
    expect(num(first.value)).toBe(truth.max);
    const least = ranked(f['Least used'])[0]!;
    expect(num(least.value)).toBe(Math.min(...truth.sums.values()));
    expect(f[`Custom emojis not used (${unused.length})`]).toBeDefined();
    for (const e of unused.slice(0, 5)) expect(f[`Custom emojis not used (${unused.length})`]).toContain(e.id);

    // Reactions only.
    const reactions = tops(
      new Map([...t.sim.truth.emojiUses].filter(([k]) => k.endsWith('|reaction'))),
      guildId,
      (p) => p[2]!,
    );
    const r = await invoke(guildId, 'emojis', undefined, [
      period('24h'),
      { name: 'source', type: 3, value: 'reaction' },
    ]);
    expectChart(r);
    expect(num(ranked(fields(r)['Most used'])[0]!.value)).toBe(reactions.max);
  }, 60_000);
});

describe('/voice', () => {
  it('totals voice time per guild within tolerance, with per-state times and channels', async () => {
    const mine = [...voiceTruth].filter(([k]) => k.startsWith(`${guildId}|`));
    const total = mine.reduce((a, [, v]) => a + v.seconds, 0);
    expect(total).toBeGreaterThan(0);
    const reply = await invoke(guildId, 'voice', undefined, [period('24h')]);
    expectChart(reply);
    const f = fields(reply);
    expect(Math.abs(seconds(f['Voice time']!) - total)).toBeLessThanOrEqual(mine.length + 1);
    for (const state of ['Muted', 'Deafened', 'Streaming', 'Video']) expect(f[state]).toMatch(/^\d/);
    const channels = new Set(mine.map(([k]) => k.split('|')[1]));
    expect(ranked(f.Channels)).toHaveLength(channels.size);
  }, 60_000);
});

describe('/activity', () => {
  it('draws the hour × weekday heatmap and its total equals the truth', async () => {
    const messages = t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook);
    const reply = await invoke(guildId, 'activity', undefined, [period('7d')]);
    expectChart(reply);
    const f = fields(reply);
    expect(num(f.Messages!)).toBe(messages.length);
    // The busiest slot of the truth, in UTC (the default zone).
    const now = new Date(
      busiestInstant(
        messages.map((m) => m.timestamp),
        0,
      ),
    );
    const weekday = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][now.getUTCDay()]!;
    expect(f['Busiest day']).toContain(weekday);
    expect(f['Busiest slot']).toContain(`${weekday} ${String(now.getUTCHours()).padStart(2, '0')}:00`);

    const emojis = [...t.sim.truth.emojiUses]
      .filter(([k]) => k.startsWith(`${guildId}|`))
      .reduce((a, [, n]) => a + n, 0);
    const byEmoji = await invoke(guildId, 'activity', undefined, [{ name: 'metric', type: 3, value: 'emojis' }]);
    expectChart(byEmoji);
    expect(num(fields(byEmoji)['Emoji uses']!)).toBe(emojis);
  }, 60_000);

  it("places hours and weekdays in the server's time zone", async () => {
    const settings = new GuildSettingsStore(t.pool, t.redis, t.prefix, t.logger);
    await settings.update(guildId, { timeZone: 'Asia/Tokyo' }); // UTC+9, no DST
    try {
      await expect.poll(() => t.bot.settings.get(guildId).timeZone, { timeout: 5_000 }).toBe('Asia/Tokyo');
      const reply = await invoke(guildId, 'activity', undefined, [period('7d')]);
      expectChart(reply);
      const messages = t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook);
      const tokyo = new Date(
        busiestInstant(
          messages.map((m) => m.timestamp),
          9 * 3_600_000,
        ),
      );
      expect(fields(reply)['Busiest slot']).toContain(`${String(tokyo.getUTCHours()).padStart(2, '0')}:00`);
      expect((reply.embeds[0] as { description: string }).description).toContain('Asia/Tokyo');
    } finally {
      await settings.update(guildId, { timeZone: 'UTC' });
      await expect.poll(() => t.bot.settings.get(guildId).timeZone, { timeout: 5_000 }).toBe('UTC');
    }
  }, 60_000);
});

describe('/growth', () => {
  it('counts joins, leaves and net equal to the simulator', async () => {
    const joins = t.sim.members.joins.filter((j) => j.guildId === joinGuildId).length;
    const leaves = t.sim.members.leaves.filter((l) => l.guildId === joinGuildId).length;
    expect(joins).toBeGreaterThan(0);
    const reply = await invoke(joinGuildId, 'growth', undefined, [period('7d')]);
    expectChart(reply);
    const f = fields(reply);
    expect(num(f.Joins!)).toBe(joins);
    expect(num(f.Leaves!)).toBe(leaves);
    expect(num(f.Net!)).toBe(joins - leaves);
    // All time: charted from where the bot joined the server, same totals.
    const all = await invoke(joinGuildId, 'growth', undefined, [period('all')]);
    expectChart(all);
    expect([num(fields(all).Joins!), num(fields(all).Leaves!)]).toEqual([joins, leaves]);
  }, 60_000);
});

describe('/invites', () => {
  const line = (b: { regular: number; left: number; fake: number }) =>
    `${b.regular} regular · ${b.left} left · ${b.fake} fake`;

  it('shows a manager every inviter with regular / left / fake, and the unknown joins', async () => {
    const expected = t.sim.members.expectedInviteStats(joinGuildId);
    const reply = await invoke(joinGuildId, 'invites', undefined, [period('30d')], { permissions: MANAGE_GUILD });
    expectChart(reply);
    const f = fields(reply);
    const rows = ranked(f.Inviters);
    expect(rows).toHaveLength(expected.inviters.size);
    for (const [id, b] of expected.inviters) expect(rows.find((r) => r.label === `<@${id}>`)?.value).toBe(line(b));
    expect(f.Unknown).toBe(line(expected.unknown));
    expect(f['Vanity URL']).toBe(line(expected.vanity));
    const joins = t.sim.members.joins.filter((j) => j.guildId === joinGuildId).length;
    expect(num(f.Joins!)).toBe(joins);
  }, 60_000);

  it("shows a member their own invites, and refuses anyone else's without Manage Server", async () => {
    const expected = t.sim.members.expectedInviteStats(joinGuildId);
    const [inviter, b] = [...expected.inviters].find(([id]) => id !== '')!;
    const own = await invoke(joinGuildId, 'invites', undefined, [], { userId: inviter, permissions: '0' });
    expectChart(own);
    const f = fields(own);
    expect([num(f.Regular!), num(f.Left!), num(f.Fake!)]).toEqual([b.regular, b.left, b.fake]);

    const other = t.sim.world.humanMembers(joinGuildId).find((m) => m.user.id !== inviter)!.user.id;
    const refused = await invoke(joinGuildId, 'invites', undefined, [{ name: 'member', type: 6, value: inviter }], {
      userId: other,
      permissions: '0',
    });
    expect(refused.files).toHaveLength(0);
    expect(refused.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(refused.content).toMatch(/Manage Server/);
  }, 60_000);

  it('says clearly when nothing was recorded', async () => {
    const nobody = t.sim.world
      .humanMembers(joinGuildId)
      .find((m) => !t.sim.members.expectedInviteStats(joinGuildId).inviters.has(m.user.id))!.user.id;
    const reply = await invoke(joinGuildId, 'invites', undefined, [{ name: 'member', type: 6, value: nobody }], {
      permissions: MANAGE_GUILD,
    });
    expect(reply.files).toHaveLength(0);
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.content).toMatch(/^Nobody joined through .+ invites in the last 30 days\.$/);
  }, 60_000);
});

describe('/apps and /top apps', () => {
  it('rank commands by uses exactly as the truth', async () => {
    // The commands this test file invoked are uses too: load them all before taking the truth.
    await t.ingestUntil(() => diffApps(t.pool, t.sim));
    const truth = tops(t.sim.truth.appUses, guildId, (p) => p[4]!);
    const total = [...truth.sums.values()].reduce((a, b) => a + b, 0);
    const reply = await invoke(guildId, 'apps', undefined, [period('24h')]);
    expectChart(reply);
    const f = fields(reply);
    expect(num(f['Command uses']!)).toBe(total);
    const first = ranked(f['Top commands'])[0]!;
    expect(truth.keys.map((c) => `\`/${c}\``)).toContain(first.label);
    expect(num(first.value)).toBe(truth.max);

    const top = await invoke(guildId, 'top', 'apps', [period('24h')]);
    expectChart(top);
    const topFirst = ranked(fields(top)['Top commands'])[0]!;
    expect(truth.keys.map((c) => `\`/${c}\``)).toContain(topFirst.label);
    expect(num(topFirst.value)).toBe(truth.max);
  }, 60_000);
});

describe('custom emojis from another server', () => {
  it('are named as messages showed them, or said to be not in this server, never "deleted"', async () => {
    const g = [...t.sim.world.guilds.keys()].find((x) => x !== guildId && x !== joinGuildId)!;
    const [blob, legacy] = ['987654321098765432', '876543210987654321'];
    for (const id of [blob, legacy]) expect(t.sim.world.guild(g)!.emojis.some((e) => e.id === id)).toBe(false);
    const author = t.sim.world.humanMembers(g)[3]!.user.id;
    const channelId = t.sim.world.textChannels(g)[0]!.id;
    // Used more than anything else in the guild, so they top the board.
    const most = tops(t.sim.truth.emojiUses, g, (p) => p[2]!).max;
    for (let k = 0; k <= most; k++) {
      t.sim.sendMessage({
        guildId: g,
        channelId,
        authorId: author,
        content: `<:partyblob:${blob}> <a:catjam:${legacy}><:partyblob:${blob}>`,
        emojis: [blob, legacy, blob],
      });
    }
    await t.ingestUntil(async () => [...(await messagesDiff()), ...(await diffEmojis(t.pool, t.sim))]);
    await t.bot.emojiNames.flush();
    expect(
      (await t.pool.query('SELECT emoji_id::text AS id, name, animated FROM emoji_names ORDER BY 1')).rows,
    ).toEqual(
      expect.arrayContaining([
        { id: legacy, name: 'catjam', animated: true },
        { id: blob, name: 'partyblob', animated: false },
      ]),
    );
    // An emoji counted before names were kept has none.
    await t.pool.query('DELETE FROM emoji_names WHERE emoji_id = $1', [legacy]);
    const reply = await invoke(g, 'top', 'emojis', [period('all')]);
    expectChart(reply);
    const rows = ranked(fields(reply)['Top emojis']);
    expect(rows[0]).toEqual({ label: ':partyblob: (not in this server)', value: `${2 * (most + 1)} uses` });
    expect(rows[1]).toEqual({ label: `Emoji not in this server (${legacy})`, value: `${most + 1} uses` });
    expect(JSON.stringify(reply.embeds)).not.toMatch(/Deleted emoji/);
    const emojis = await invoke(g, 'emojis', undefined, [period('all')]);
    expect(fields(emojis)['Most used']).toContain(':partyblob: (not in this server)');
  }, 60_000);
});
