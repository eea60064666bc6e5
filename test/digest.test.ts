// /digest end to end: the command validates and stores the digest, the scheduler's digest job posts the
// last complete week (in the server's zone, Asia/Kolkata: +05:30, so the week starts at 18:30 UTC on
// Sunday) to the channel over REST, once per period, and once after a long downtime. History is laid down
// with past timestamps through the simulator; expected totals, rankings, new regulars and quiet channels
// are computed here from the simulator's ground truth.
import { PermissionFlagsBits } from 'discord-api-types/v10';
import type { Simulator } from 'discord-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
import { requestRun } from '../src/scheduled-runs.js';
import { digestJob } from '../src/scheduler/jobs/digest.js';
import { createSchedulerRest } from '../src/scheduler/rest.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

const MANAGE_GUILD = String(PermissionFlagsBits.ManageGuild);
const SEND_MESSAGES = String(PermissionFlagsBits.SendMessages);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Monday 2026-11-09 00:00 in Asia/Kolkata (UTC+05:30, no DST) is 2026-11-08T18:30Z.
const WEEK = Date.parse('2026-11-08T18:30:00Z');
const PREV = WEEK - 7 * DAY;
const NEXT = WEEK + 7 * DAY;

let t: TestBot;
let sim: Simulator;
let g: string;
let admin: string;
let text: string;
let scheduler: Scheduler;
let now = NEXT + 11 * 60_000; // the week is over and its 10-minute ingest margin too

const lastUse = new Map<string, number>();
async function command(
  name: string,
  subcommand: string,
  options: { name: string; type: number; value: string }[] = [],
  o: { userId?: string; permissions?: string } = {},
) {
  const userId = o.userId ?? admin;
  // The command's 2 s per-member cooldown, passed on the test clock the router reads.
  const wait = (lastUse.get(`${name}|${userId}`) ?? 0) + 2_100 - t.clock.now();
  if (wait > 0) t.clock.advance(wait);
  const reply = await sim.invokeCommand({
    guildId: g,
    channelId: text,
    userId,
    name,
    subcommand,
    options,
    permissions: o.permissions ?? MANAGE_GUILD,
  });
  lastUse.set(`${name}|${userId}`, t.clock.now());
  return reply;
}

async function runDigest(): Promise<void> {
  await scheduler.sync();
  await scheduler.tick();
  await scheduler.idle();
}

beforeAll(async () => {
  t = await startTestBot({ name: 'digest', sim: { guilds: 2 }, families: ['messages'] });
  sim = t.sim;
  g = [...sim.world.guilds.keys()][0]!;
  const humans = sim.world.humanMembers(g);
  admin = humans[1]!.user.id;
  text = sim.world.textChannels(g)[0]!.id;
  scheduler = new Scheduler({
    pool: t.pool,
    redis: t.redis,
    rest: createSchedulerRest({ api: sim.apiUrl, token: sim.token, globalRequestsPerSecond: 5 }),
    logger: t.logger,
    jobs: [digestJob],
    keys: new Keys(t.prefix),
    partitions: t.config.redisPartitions,
    render: t.render,
    clock: () => new Date(now),
  });
});
afterAll(async () => {
  await scheduler?.stop();
  await t?.stop();
});

describe('/digest', () => {
  it('refuses bad input ephemerally and stores nothing', async () => {
    const other = [...sim.world.guilds.keys()][1]!;
    const cases: [
      { name: string; type: number; value: string }[],
      RegExp,
      { userId?: string; permissions?: string }?,
    ][] = [
      [
        [
          { name: 'channel', type: 7, value: text },
          { name: 'every', type: 3, value: 'week' },
        ],
        /Manage Server/,
        { userId: sim.world.humanMembers(g)[2]!.user.id, permissions: SEND_MESSAGES },
      ],
      [
        [
          { name: 'channel', type: 7, value: sim.world.voiceChannels(g)[0]!.id },
          { name: 'every', type: 3, value: 'week' },
        ],
        /not a text channel/,
      ],
      [
        [
          { name: 'channel', type: 7, value: sim.world.textChannels(other)[0]!.id },
          { name: 'every', type: 3, value: 'week' },
        ],
        /not in this server/,
      ],
      [
        [
          { name: 'channel', type: 7, value: text },
          { name: 'every', type: 3, value: 'fortnight' },
        ],
        /week.*month/,
      ],
    ];
    for (const [options, expected, o] of cases) {
      const r = await command('digest', 'set', options, o);
      expect(r.flags & 64).toBe(64);
      expect(r.content).toMatch(expected);
    }
    expect((await command('digest', 'off')).content).toMatch(/No digest/);
    expect((await t.pool.query('SELECT 1 FROM guild_digests')).rows).toEqual([]);
  });

  it('posts the last complete week in the server zone once, with totals, rankings, new regulars and quiet channels', async () => {
    const tz = await command('settings', 'timezone', [{ name: 'zone', type: 3, value: 'Asia/Kolkata' }]);
    expect(tz.content).toMatch(/Asia\/Kolkata/);
    const humans = sim.world.humanMembers(g);
    const [steady, newcomer, leaver] = [humans[3]!.user.id, humans[4]!.user.id, humans[5]!.user.id];
    const [c1, c2, quiet] = sim.world.textChannels(g).map((c) => c.id) as [string, string, string];
    const send = (authorId: string, channelId: string, at: number, n = 1) => {
      for (let k = 0; k < n; k++)
        sim.sendMessage({ guildId: g, channelId, authorId, content: `hello ${k}`, timestamp: at + k * 1000 });
    };
    // Previous week: steady and leaver talk; the quiet channel is busy.
    send(steady, c1, PREV + 2 * HOUR, 4);
    send(leaver, quiet, PREV + DAY, 12);
    send(steady, c2, WEEK - 60_000); // the last minute of the previous week (Sunday 23:59 in Kolkata)
    // This week: steady, and a newcomer with enough messages to be a regular; the quiet channel is silent.
    send(steady, c1, WEEK, 7); // from the first minute of Monday in Kolkata
    send(newcomer, c2, WEEK + 3 * DAY, 6);
    send(newcomer, c1, NEXT - 60_000); // Sunday 23:59
    send(steady, c1, NEXT + 60_000); // next week: not in this digest
    const truthIn = (from: number, to: number) =>
      sim.truth.messagesIn(g).filter((m) => !m.bot && m.timestamp >= from && m.timestamp < to);
    const total = sim.truth.messagesIn(g).filter((m) => !m.bot).length;
    await expect
      .poll(
        async () => {
          await t.bot.counters.settled();
          await t.ingestor.runOnce();
          return Number(
            (
              await t.pool.query<{ n: string }>(
                'SELECT coalesce(sum(messages), 0)::text AS n FROM messages_raw WHERE guild_id = $1',
                [g],
              )
            ).rows[0]!.n,
          );
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(total);

    const set = await command('digest', 'set', [
      { name: 'channel', type: 7, value: text },
      { name: 'every', type: 3, value: 'week' },
    ]);
    expect(set.content).toMatch(/weekly digest will be posted in <#/);
    expect(set.content).toMatch(/Asia\/Kolkata/);
    // The first run is due after the current real week; the test's virtual clock is at the end of a past
    // week, so it asks for the run at that virtual time (as the week's end would).
    await requestRun(t.pool, 'digest', g, new Date(now));
    await runDigest();
    const posts = sim.channelMessages.posted.filter((m) => m.guildId === g);
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.channelId).toBe(text);
    expect(post.files).toHaveLength(1);
    expect(post.files[0]!.data.subarray(1, 4).toString()).toBe('PNG');
    const embed = post.embeds[0]!;
    expect(embed.title).toBe('Weekly digest: 9 Nov 2026 – 15 Nov 2026');
    const field = (name: string) => embed.fields!.find((f) => f.name === name)!.value;

    const week = truthIn(WEEK, NEXT);
    const prev = truthIn(PREV, WEEK);
    expect(week.length).toBe(14);
    expect(prev.length).toBe(17);
    const pct = Math.round(((week.length - prev.length) / prev.length) * 100);
    expect(field('Messages')).toBe(`${week.length} (${pct}% vs previous)`);
    const authors = (ms: typeof week) => new Set(ms.map((m) => m.authorId)).size;
    const activePct = Math.round(((authors(week) - authors(prev)) / authors(prev)) * 100);
    expect(field('Active members')).toBe(
      `${authors(week)} (${activePct === 0 ? 'no change' : `${activePct > 0 ? '+' : ''}${activePct}% vs previous`})`,
    );
    const by = (ms: typeof week, key: 'authorId' | 'channelId') => {
      const m = new Map<string, number>();
      for (const x of ms) m.set(x[key], (m.get(x[key]) ?? 0) + 1);
      return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    };
    expect(field('Top members')).toBe(
      by(week, 'authorId')
        .map(([u, n], k) => `\`${k + 1}.\` <@${u}> — ${n} messages`)
        .join('\n'),
    );
    expect(field('Top channels')).toBe(
      by(week, 'channelId')
        .map(([c, n], k) => `\`${k + 1}.\` <#${c}> — ${n} messages`)
        .join('\n'),
    );
    expect(field('New regulars')).toBe(`<@${newcomer}>`);
    expect(field('Gone quiet')).toBe(`<#${quiet}>`);

    // Due again in the same period (a retry, a second replica's pass): nothing more is posted.
    await requestRun(t.pool, 'digest', g, new Date(now));
    await runDigest();
    expect(sim.channelMessages.posted.filter((m) => m.guildId === g)).toHaveLength(1);
    // The next run is the next week's end (plus the margin).
    const row = (
      await t.pool.query<{ next_run_at: Date }>(
        "SELECT next_run_at FROM scheduled_runs WHERE job = 'digest' AND guild_id = $1",
        [g],
      )
    ).rows[0]!;
    expect(row.next_run_at.getTime()).toBe(NEXT + 7 * DAY + 10 * 60_000);

    // Down for three weeks: one catch-up post, of the latest complete week, not three.
    now = NEXT + 3 * 7 * DAY + 5 * HOUR;
    for (let k = 0; k < 3; k++) await runDigest();
    const after = sim.channelMessages.posted.filter((m) => m.guildId === g);
    expect(after).toHaveLength(2);
    expect(after[1]!.embeds[0]!.title).toBe('Weekly digest: 30 Nov 2026 – 6 Dec 2026');
  });

  it('previews the current period ephemerally with the chart, and turns off', async () => {
    const r = await command('digest', 'preview');
    expect(r.flags & 64).toBe(64);
    expect(r.content).toMatch(/Posted weekly in <#/);
    expect(r.embeds[0]!.title).toBe('Digest preview: this week so far');
    expect(r.files).toHaveLength(1);
    expect((await command('digest', 'off')).content).toMatch(/off/);
    expect((await t.pool.query('SELECT 1 FROM guild_digests')).rows).toEqual([]);
    expect((await t.pool.query("SELECT 1 FROM scheduled_runs WHERE job = 'digest'")).rows).toEqual([]);
  });
});
