// /stats server | member | channel and /me end to end: the simulator invokes them as members, the
// in-process bot answers from what the ingest worker loaded, and the embed's numbers must equal the
// simulator's ground truth; Discord's privacy policy, bad options and the guild's time zone included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuildSettingsStore } from '../src/settings.js';
import { sendMixedTraffic } from 'discord-sim';
import type { CommandOption, RecordedReply } from 'discord-sim';
import { diffApps, diffEmojis, diffVoice } from '../dev/stack.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let guildId: string;
let voiceTruth: Map<string, { seconds: number }>;
const EPHEMERAL = 64;
const VIEW_GUILD_INSIGHTS = String(1n << 19n);

async function messagesDiff(): Promise<string[]> {
  const db = await messageTotalsByChannelMember(t.pool, [...t.sim.world.guilds.keys()]);
  const out: string[] = [];
  for (const [k, v] of t.sim.truth.messageTotals()) {
    const d = db.get(k);
    if (d?.messages !== v.messages || d.words !== v.words) out.push(k);
  }
  return out;
}

function fields(r: RecordedReply): Record<string, string> {
  const embed = r.embeds[0] as { fields?: { name: string; value: string }[] } | undefined;
  return Object.fromEntries((embed?.fields ?? []).map((f) => [f.name, f.value]));
}

function seconds(duration: string): number {
  let s = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([dhms])/g))
    s += Number(n) * { d: 86_400, h: 3600, m: 60, s: 1 }[unit as 'd' | 'h' | 'm' | 's'];
  return s;
}

function expectChart(r: RecordedReply): void {
  expect(r.flags & EPHEMERAL).toBe(0);
  expect(r.files).toHaveLength(1);
  expect(r.files[0]!.data.subarray(1, 4).toString('latin1')).toBe('PNG');
}

const humans = () => t.sim.world.humanMembers(guildId);
// /stats has a per-member cooldown: every invocation that is not about a particular member gets a fresh one.
let nextFresh = 0;
const fresh = () => humans()[nextFresh++]!.user.id;
const textChannel = () => t.sim.world.textChannels(guildId)[0]!.id;

function invoke(
  userId: string,
  name: string,
  subcommand: string | undefined,
  options: CommandOption[] = [],
  permissions?: string,
): Promise<RecordedReply> {
  return t.sim.invokeCommand({
    guildId,
    channelId: textChannel(),
    userId,
    name,
    subcommand,
    options,
    permissions,
    timeoutMs: 30_000,
  });
}

beforeAll(async () => {
  t = await startTestBot({
    name: 'commands-stats',
    sim: { guilds: 2, seed: 13 },
    env: { VOICE_CREDIT_INTERVAL_MS: '1000' },
  });
  const traffic = await sendMixedTraffic(t.sim, {
    messages: 600,
    emojiMessages: 60,
    reactions: 30,
    appMessages: 40,
    joins: 0,
    voiceMembers: 4,
    seed: 13,
  });
  await t.advance(2_500); // how long the members stay in voice, on the clock the truth and the bot share
  traffic.endVoice();
  const guilds = [...t.sim.world.guilds.keys()];
  await t.ingestUntil(async () => [
    ...(await messagesDiff()),
    ...(await diffEmojis(t.pool, t.sim)),
    ...(await diffApps(t.pool, t.sim)),
    ...(await diffVoice(t.pool, traffic.voice, guilds, 1)),
  ]);
  voiceTruth = traffic.voice.truth();
  guildId = [...t.sim.truth.totalsBy('guild').entries()].sort((a, b) => b[1].messages - a[1].messages)[0]![0];
}, 120_000);

afterAll(() => t?.stop(), 60_000);

describe('/stats server', () => {
  it('answers with a chart and totals equal to the ground truth', async () => {
    const truth = t.sim.truth.totalsBy('guild').get(guildId)!;
    const emojis = [...t.sim.truth.emojiUses]
      .filter(([k]) => k.startsWith(`${guildId}|`))
      .reduce((a, [, n]) => a + n, 0);
    const commands = [...t.sim.truth.appUses]
      .filter(([k]) => k.startsWith(`${guildId}|`))
      .reduce((a, [, n]) => a + n, 0);
    const voice = [...voiceTruth].filter(([k]) => k.startsWith(`${guildId}|`)).reduce((a, [, v]) => a + v.seconds, 0);
    const reply = await invoke(fresh(), 'stats', 'server', [{ name: 'period', type: 3, value: '24h' }]);
    expectChart(reply);
    const f = fields(reply);
    expect(f.Messages).toBe(String(truth.messages));
    expect(f.Words).toBe(String(truth.words));
    expect(f.Attachments).toBe(String(truth.attachments));
    expect(f.Emojis).toBe(String(emojis));
    expect(f.Commands).toBe(String(commands));
    expect(Math.abs(seconds(f['Voice time']!) - voice)).toBeLessThanOrEqual(4);
    const authors = new Set(
      t.sim.truth.messages.filter((m) => m.guildId === guildId && !m.bot && !m.webhook).map((m) => m.authorId),
    );
    expect(f['Active members']).toBe(String(authors.size));
  }, 60_000);

  it('charts voice time for the whole history, and filters by channel', async () => {
    const voice = [...voiceTruth].filter(([k]) => k.startsWith(`${guildId}|`)).reduce((a, [, v]) => a + v.seconds, 0);
    expect(voice).toBeGreaterThan(1);
    const reply = await invoke(fresh(), 'stats', 'server', [
      { name: 'period', type: 3, value: 'all' },
      { name: 'metric', type: 3, value: 'voice' },
    ]);
    expectChart(reply);
    expect((reply.embeds[0] as { title: string }).title).toMatch(/all time$/);
    expect(Math.abs(seconds(fields(reply)['Voice time']!) - voice)).toBeLessThanOrEqual(4);
    const channelId = textChannel();
    const inChannel = t.sim.truth.messages.filter(
      (m) => !m.bot && !m.webhook && (m.channelId === channelId || m.parentChannelId === channelId),
    );
    const byChannel = await invoke(fresh(), 'stats', 'server', [{ name: 'channel', type: 7, value: channelId }]);
    expectChart(byChannel);
    expect(fields(byChannel).Messages).toBe(String(inChannel.length));
    expect(fields(byChannel).Emojis).toBeUndefined(); // not counted per channel
  }, 60_000);

  it('says so when bots are asked for but not stored here', async () => {
    const reply = await invoke(fresh(), 'stats', 'server', [{ name: 'include_bots', type: 5, value: true }]);
    expectChart(reply);
    expect((reply.embeds[0] as { footer: { text: string } }).footer.text).toMatch(
      /No bot messages here: bots' messages are recorded only while \/settings bots is on/,
    );
    expect(fields(reply).Messages).toBe(String(t.sim.truth.totalsBy('guild').get(guildId)!.messages));
  }, 60_000);
});

describe('/stats channel', () => {
  it("counts a text channel's threads towards it", async () => {
    const withThreads = t.sim.world
      .textChannels(guildId)
      .map((c) => ({
        id: c.id,
        msgs: t.sim.truth.messages.filter(
          (m) => !m.bot && !m.webhook && (m.channelId === c.id || m.parentChannelId === c.id),
        ),
      }))
      .sort(
        (a, b) => b.msgs.filter((m) => m.parentChannelId).length - a.msgs.filter((m) => m.parentChannelId).length,
      )[0]!;
    expect(withThreads.msgs.some((m) => m.parentChannelId === withThreads.id)).toBe(true);
    const reply = await invoke(fresh(), 'stats', 'channel', [
      { name: 'channel', type: 7, value: withThreads.id },
      { name: 'period', type: 3, value: '7d' },
    ]);
    expectChart(reply);
    expect(fields(reply).Messages).toBe(String(withThreads.msgs.length));
    expect(fields(reply).Words).toBe(String(withThreads.msgs.reduce((a, m) => a + m.words, 0)));
  }, 60_000);
});

describe('/stats member and /me', () => {
  const memberTotals = (userId: string) => {
    const mine = t.sim.truth.messages.filter(
      (m) => m.guildId === guildId && m.authorId === userId && !m.bot && !m.webhook,
    );
    return { messages: mine.length, words: mine.reduce((a, m) => a + m.words, 0) };
  };
  const active = () => humans().filter((m) => memberTotals(m.user.id).messages > 0);

  it("refuses another member's stats without the permissions, ephemerally, before any chart", async () => {
    const [asker, other] = active().slice(-2);
    const reply = await invoke(
      asker!.user.id,
      'stats',
      'member',
      [{ name: 'member', type: 6, value: other!.user.id }],
      '0',
    );
    expect(reply.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(reply.files).toHaveLength(0);
    expect(reply.content).toMatch(/Administrator, Manage Server or View Server Insights/);
    // The same member may see their own.
    const own = await invoke(asker!.user.id, 'me', undefined, [], '0');
    expectChart(own);
    expect(fields(own).Messages).toBe(String(memberTotals(asker!.user.id).messages));
    expect(fields(own).Words).toBe(String(memberTotals(asker!.user.id).words));
  }, 60_000);

  it('shows any member to someone with View Server Insights', async () => {
    const [viewer, other] = active().slice(-4, -2);
    const reply = await invoke(
      viewer!.user.id,
      'stats',
      'member',
      [
        { name: 'member', type: 6, value: other!.user.id },
        { name: 'period', type: 3, value: '30d' },
      ],
      VIEW_GUILD_INSIGHTS,
    );
    expectChart(reply);
    expect(fields(reply).Messages).toBe(String(memberTotals(other!.user.id).messages));
    expect(fields(reply).Words).toBe(String(memberTotals(other!.user.id).words));
    expect((reply.embeds[0] as { title: string }).title).toContain(
      other!.nick ?? other!.user.globalName ?? other!.user.username,
    );
  }, 60_000);

  it('lets a server narrow, never widen, who sees other members: managers only', async () => {
    const [viewer, manager, other] = active().slice(-7, -4);
    const store = new GuildSettingsStore(t.pool, t.redis, t.prefix, t.logger);
    await store.update(guildId, { memberStatsManagersOnly: true });
    try {
      await expect.poll(() => t.bot.settings.get(guildId).memberStatsManagersOnly, { timeout: 5_000 }).toBe(true);
      const refused = await invoke(
        viewer!.user.id,
        'stats',
        'member',
        [{ name: 'member', type: 6, value: other!.user.id }],
        VIEW_GUILD_INSIGHTS,
      );
      expect(refused.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(refused.content).toMatch(/only to Administrator and Manage Server/);
      const MANAGE_GUILD = String(1n << 5n);
      const allowed = await invoke(
        manager!.user.id,
        'stats',
        'member',
        [
          { name: 'member', type: 6, value: other!.user.id },
          { name: 'period', type: 3, value: '30d' },
        ],
        MANAGE_GUILD,
      );
      expectChart(allowed);
      expect(fields(allowed).Messages).toBe(String(memberTotals(other!.user.id).messages));
    } finally {
      await store.update(guildId, { memberStatsManagersOnly: false });
    }
  }, 60_000);
});

describe('options', () => {
  it('rejects a bad date range with a clear ephemeral error', async () => {
    const backwards = await invoke(fresh(), 'stats', 'server', [
      { name: 'from', type: 3, value: '2026-03-10' },
      { name: 'to', type: 3, value: '2026-03-01' },
    ]);
    expect(backwards.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(backwards.files).toHaveLength(0);
    expect(backwards.content).toBe('`from` (2026-03-10) is after `to` (2026-03-01): the range must run forwards.');
    const malformed = await invoke(fresh(), 'stats', 'channel', [{ name: 'from', type: 3, value: '2026-02-30' }]);
    expect(malformed.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(malformed.content).toMatch(/`from` must be a date like .*YYYY-MM-DD.*"2026-02-30"/);
  }, 60_000);

  it("draws days in the guild's time zone", async () => {
    const member = humans()[nextFresh++]!;
    const channelId = t.sim.world.textChannels(guildId)[1]!.id;
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    // Three messages late in the UTC day, two early: in UTC+14 the late ones belong to the next day.
    for (const [h, n] of [
      [20, 3],
      [5, 2],
    ] as const) {
      for (let k = 0; k < n; k++)
        t.sim.sendMessage({
          guildId,
          channelId,
          authorId: member.user.id,
          content: 'dated',
          timestamp: Date.parse(`${day}T${String(h).padStart(2, '0')}:0${k}:00Z`),
        });
    }
    await t.ingestUntil(messagesDiff);
    const opts = [
      { name: 'from', type: 3, value: day },
      { name: 'to', type: 3, value: day },
    ];
    const utc = await invoke(member.user.id, 'me', undefined, opts);
    expectChart(utc);
    expect(fields(utc).Messages).toBe('5');

    await new GuildSettingsStore(t.pool, t.redis, t.prefix, t.logger).update(guildId, {
      timeZone: 'Pacific/Kiritimati',
    });
    await expect.poll(() => t.bot.settings.get(guildId).timeZone, { timeout: 5_000 }).toBe('Pacific/Kiritimati');
    const kiritimati = await invoke(member.user.id, 'stats', 'member', opts);
    expectChart(kiritimati);
    expect(fields(kiritimati).Messages).toBe('2');
    expect((kiritimati.embeds[0] as { footer: { text: string } }).footer.text).toContain('Pacific/Kiritimati');
  }, 60_000);
});

describe('include_bots', () => {
  it("leaves bots out on request where the server's settings record them", async () => {
    const bot = t.sim.world.botMembers(guildId)[0]!;
    expect(bot).toBeDefined();
    await new GuildSettingsStore(t.pool, t.redis, t.prefix, t.logger).update(guildId, {
      includeBots: true,
      timeZone: 'UTC',
    });
    await expect.poll(() => t.bot.settings.get(guildId).includeBots, { timeout: 5_000 }).toBe(true);
    const channelId = t.sim.world.textChannels(guildId)[2]!.id;
    const human = humans()[nextFresh]!.user.id;
    for (let k = 0; k < 3; k++) t.sim.sendMessage({ guildId, channelId, authorId: bot.user.id, content: 'beep boop' });
    t.sim.sendMessage({ guildId, channelId, authorId: human, content: 'hello there' });
    await t.ingestUntil(async () => {
      const db = await messageTotalsByChannelMember(t.pool, [guildId]);
      return db.get(`${guildId}|${channelId}|${bot.user.id}`)?.messages === 3 ? [] : ['bot messages not loaded yet'];
    });
    // Earlier bot traffic was not stored (bots were left out then): only the 3 sent since count as bots'.
    const members = t.sim.truth.messages.filter(
      (m) => !m.webhook && !m.bot && (m.channelId === channelId || m.parentChannelId === channelId),
    ).length;
    const opts = [{ name: 'channel', type: 7, value: channelId }];
    const stored = await invoke(fresh(), 'stats', 'channel', opts);
    expect(fields(stored).Messages).toBe(String(members + 3));
    const humansOnly = await invoke(fresh(), 'stats', 'channel', [
      ...opts,
      { name: 'include_bots', type: 5, value: false },
    ]);
    expectChart(humansOnly);
    expect(fields(humansOnly).Messages).toBe(String(members));
    expect((humansOnly.embeds[0] as { footer: { text: string } }).footer.text).toMatch(
      /Bots left out \(1 bot with messages here\)/,
    );

    // The setting switched off again: what bots said while it was on stays recorded, and answers leave it
    // out by default, include it on request, and say which.
    await new GuildSettingsStore(t.pool, t.redis, t.prefix, t.logger).update(guildId, { includeBots: false });
    await expect.poll(() => t.bot.settings.get(guildId).includeBots, { timeout: 5_000 }).toBe(false);
    const footer = (r: RecordedReply) => (r.embeds[0] as { footer: { text: string } }).footer.text;
    const byDefault = await invoke(fresh(), 'stats', 'channel', opts);
    expect(fields(byDefault).Messages).toBe(String(members));
    expect(footer(byDefault)).toMatch(/Bots left out \(1 bot with messages here\)/);
    const asked = await invoke(fresh(), 'stats', 'channel', [...opts, { name: 'include_bots', type: 5, value: true }]);
    expect(fields(asked).Messages).toBe(String(members + 3));
    expect(footer(asked)).toMatch(/Bots' messages included \(1 bot; recorded only while \/settings bots was on\)/);
    const server = await invoke(fresh(), 'stats', 'server', [
      { name: 'period', type: 3, value: 'all' },
      { name: 'include_bots', type: 5, value: false },
    ]);
    expect(fields(server).Messages).toBe(String(t.sim.truth.totalsBy('guild').get(guildId)!.messages));
    const authors = new Set(
      t.sim.truth.messages.filter((m) => m.guildId === guildId && !m.bot && !m.webhook).map((m) => m.authorId),
    );
    expect(fields(server)['Active members']).toBe(String(authors.size));
    // /top messages follows the setting: the bot is not on the leaderboard, and the answer says why.
    const top = await invoke(fresh(), 'top', 'messages');
    expect(JSON.stringify(top.embeds)).not.toContain(bot.user.id);
    expect((top.embeds[0] as { description: string }).description).toMatch(/bots left out/i);
  }, 60_000);
});

describe('cooldown', () => {
  it('is per server and member: the same member is not slowed down in one server by the other', async () => {
    const [a, b] = [...t.sim.world.guilds.keys()] as [string, string];
    const inA = new Set(t.sim.world.humanMembers(a).map((m) => m.user.id));
    const both = t.sim.world
      .humanMembers(b)
      .map((m) => m.user.id)
      .filter((id) => inA.has(id))
      .slice(-1)[0]!;
    expect(both).toBeDefined();
    const at = (g: string) =>
      t.sim.invokeCommand({
        guildId: g,
        channelId: t.sim.world.textChannels(g)[0]!.id,
        userId: both,
        name: 'stats',
        subcommand: 'server',
        options: [{ name: 'period', type: 3, value: 'all' }],
        timeoutMs: 30_000,
      });
    const first = await at(a);
    expectChart(first);
    const other = await at(b);
    expectChart(other);
    const again = await at(a);
    expect(again.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(again.content).toMatch(/^Slow down: you can use \/stats again in \d+ s\.$/);
    // Once the wait it names has passed (on the clock the router reads), the member is answered again.
    t.clock.advance(Number(/in (\d+) s/.exec(again.content)![1]) * 1000);
    expectChart(await at(a));
  }, 60_000);
});
