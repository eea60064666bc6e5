// One malformed dispatch must never take a process down. The shapes the adversarial pass used (a message
// without author, non-string content, d: null, a non-string activity name, a voice state in channel
// "abc" without a user) against an in-process bot: each is dropped before discord.js, counted and logged
// once per event type with a sample, and the next valid message still counts. A collector that throws
// skips only its own work. The fuzz test (fuzz.test.ts) does the same at volume through cluster processes.
import { EventEmitter } from 'node:events';
import type { Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorErrors, dispatchesRejected, gatewayDispatches } from '../src/metrics.js';
import { createDispatchGuard } from '../src/shard/dispatch-guard.js';
import { dispatchLabel, dispatchProblem } from '../src/shard/dispatch-schemas.js';
import { messageTotalsByChannelMember } from '../src/stats/queries.js';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { FuzzRng, TEMPLATES, malformedDispatch, type FuzzContext } from './helpers/fuzz.js';
import { capturedLogger, type CapturedLogger } from './helpers/log-lines.js';

const sum = async (m: typeof dispatchesRejected | typeof collectorErrors, labels: Record<string, string>) =>
  (await m.get()).values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((a, v) => a + v.value, 0);

describe('dispatch schemas', () => {
  let n = 1_000_000_000_000_000_000n;
  const c: FuzzContext = {
    guildId: '111111111111111111',
    textChannelId: '222222222222222222',
    voiceChannelId: '333333333333333333',
    userId: '444444444444444444',
    username: 'u',
    messageId: '555555555555555555',
    applicationId: '666666666666666666',
    roleId: '777777777777777777',
    snowflake: () => String(n++),
  };

  it('accept every valid template and refuse 20,000 random breakages of them', () => {
    for (const [t, tpl] of Object.entries(TEMPLATES)) expect(dispatchProblem(t, tpl.build(c)), t).toBeUndefined();
    const rng = new FuzzRng(7);
    const accepted: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const m = malformedDispatch(rng, c);
      if (m.how !== 'unknown event' && dispatchProblem(m.t, m.d) === undefined) accepted.push(`${m.t} ${m.how}`);
    }
    expect(accepted).toEqual([]);
  });

  it('bound the event-type label: unknown names are "other"', () => {
    expect(dispatchLabel('MESSAGE_CREATE')).toBe('MESSAGE_CREATE');
    expect(dispatchLabel('NOT_AN_EVENT_123')).toBe('other');
    expect(dispatchLabel(42)).toBe('other');
  });
});

describe('a collector that throws', () => {
  it('is counted and logged once per kind with a sample, and only its own listener skips the event', async () => {
    const log = capturedLogger('warn');
    const guard = createDispatchGuard(log.logger);
    const client = new EventEmitter() as unknown as Client;
    let counted = 0;
    guard.forCollector(client, 'broken').on('messageCreate', () => {
      throw new TypeError('a bug');
    });
    guard.forCollector(client, 'healthy').on('messageCreate', () => counted++);
    const before = await sum(collectorErrors, { collector: 'broken', type: 'messageCreate' });
    for (let i = 0; i < 5; i++)
      (client as unknown as EventEmitter).emit('messageCreate', { id: i, token: 'aW50ZXJhY3Rpb246secret' });
    expect(counted).toBe(5);
    expect(await sum(collectorErrors, { collector: 'broken', type: 'messageCreate' })).toBe(before + 5);
    const lines = log.find(/handling a gateway event failed/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      collector: 'broken',
      type: 'messageCreate',
      err: { type: 'TypeError', message: 'a bug' },
    });
    expect(lines[0]!.sample).toBe('{"id":0,"token":"[redacted]"}');
  });
});

describe('malformed dispatches into a running bot', () => {
  let t: TestBot;
  let log: CapturedLogger;
  beforeAll(async () => {
    log = capturedLogger('warn', { test: 'dispatch-guard' });
    t = await startTestBot({
      name: 'dispatch-guard',
      sim: { guilds: 2, seed: 5 },
      env: { PRESENCE_INTENT: 'true' },
      families: ['messages', 'activities', 'voice'],
      logger: log.logger,
    });
  }, 60_000);
  afterAll(() => t?.stop());

  it('drops each before discord.js, logs it once per type with a sample, and keeps counting', async () => {
    const { sim } = t;
    const g = [...sim.world.guilds.keys()][0]!;
    const chan = sim.world.textChannels(g)[0]!.id;
    const user = sim.world.humanMembers(g)[0]!.user;
    const base = {
      id: sim.newSnowflake(),
      channel_id: chan,
      guild_id: g,
      content: 'hi',
      timestamp: new Date().toISOString(),
      author: { id: user.id, username: user.username },
    };
    const bad: [string, unknown][] = [
      ['MESSAGE_CREATE', { ...base, author: undefined }], // no author
      ['MESSAGE_CREATE', { ...base, id: sim.newSnowflake(), content: 42 }], // non-string content
      ['MESSAGE_CREATE', null], // d: null
      [
        'PRESENCE_UPDATE',
        { user: { id: user.id }, guild_id: g, status: 'online', activities: [{ name: 42, type: 0 }] },
      ], // non-string activity name
      ['VOICE_STATE_UPDATE', { guild_id: g, channel_id: 'abc', session_id: 'x' }], // channel "abc", no user
      ['GUILD_MEMBER_ADD', { guild_id: g, user: null }],
      [
        'INTERACTION_CREATE',
        {
          id: sim.newSnowflake(),
          application_id: sim.world.application.id,
          type: 2,
          token: 'aW50ZXJhY3Rpb246leak',
          guild_id: g,
        },
      ], // no member, no user
      ['NOT_A_REAL_EVENT', { anything: true }],
    ];
    const rejectedBefore = await sum(dispatchesRejected, {});
    const errorsBefore = await sum(collectorErrors, {});
    const otherBefore = (await gatewayDispatches.get()).values
      .filter((v) => v.labels.type === 'other')
      .reduce((a, v) => a + v.value, 0);
    for (let round = 0; round < 3; round++) for (const [event, d] of bad) sim.faults.dispatchRaw(g, event, d);
    const good = sim.sendMessage({ guildId: g, channelId: chan, authorId: user.id, content: 'still counted' });
    await t.ingestUntil(async () => {
      const db = await messageTotalsByChannelMember(t.pool, [g]);
      return db.get(`${g}|${chan}|${user.id}`)?.messages === 1 ? [] : [`message ${good.id} not counted yet`];
    });
    // 7 malformed known events × 3 rounds rejected; the unknown event passes through as "other".
    expect(await sum(dispatchesRejected, {})).toBe(rejectedBefore + 21);
    expect(
      (await gatewayDispatches.get()).values.filter((v) => v.labels.type === 'other').reduce((a, v) => a + v.value, 0),
    ).toBe(otherBefore + 3);
    const dropped = log.find(/malformed gateway dispatch dropped/);
    expect(dropped.map((l) => l.type).sort()).toEqual([
      'GUILD_MEMBER_ADD',
      'INTERACTION_CREATE',
      'MESSAGE_CREATE',
      'PRESENCE_UPDATE',
      'VOICE_STATE_UPDATE',
    ]);
    const problems = Object.fromEntries(dropped.map((l) => [l.type as string, l.problem as string]));
    expect(problems).toMatchObject({
      MESSAGE_CREATE: "/ must have required property 'author'",
      PRESENCE_UPDATE: '/activities/0/name must be string',
      VOICE_STATE_UPDATE: "/ must have required property 'user_id'",
    });
    for (const l of dropped) expect(String(l.sample).length).toBeLessThanOrEqual(301);
    // Message content is never logged, only its length.
    expect(JSON.stringify(dropped)).not.toContain('"hi"');
    expect(dropped.find((l) => l.type === 'MESSAGE_CREATE')!.sample).toContain('"content":"[2 characters]"');
    expect(JSON.stringify(dropped)).not.toMatch(/aW50ZXJhY3Rpb246/);
    // Nothing was stored for the bad voice state or presence.
    expect(t.bot.sessions.voice.sessions(g).size).toBe(0);
    expect(t.bot.sessions.activities!.sessions(g).size).toBe(0);
    expect(await sum(collectorErrors, {})).toBe(errorsBefore);
  }, 60_000);
});
