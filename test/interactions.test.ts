// The interactions service's door: the simulator sets it as the application's Interactions Endpoint URL
// (which checks it as Discord does), then every request that is not Discord's own, current and well formed
// is refused with a clear status before anything runs. The command suites run through it too (vitest
// project bot-http); this file is about what must never get in.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationKeys } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let g: string;
let member: { id: string; username: string };
let chan: string;
let seq = 0;

beforeAll(async () => {
  t = await startTestBot({ name: 'interactions', sim: { guilds: 1 }, families: ['messages'], interactions: 'http' });
  g = [...t.sim.world.guilds.keys()][0]!;
  const m = t.sim.world.humanMembers(g)[0]!;
  member = { id: m.user.id, username: m.user.username };
  chan = t.sim.world.textChannels(g)[0]!.id;
}, 60_000);

afterAll(() => t?.stop());

/** A /me interaction as Discord would send it, for a guild of our choosing. */
function commandBody(guildId = g): string {
  const id = t.sim.newSnowflake();
  return JSON.stringify({
    id,
    application_id: t.sim.world.application.id,
    type: 2,
    token: `test-token-${id}-${seq++}`,
    version: 1,
    guild_id: guildId,
    channel_id: chan,
    member: {
      user: { id: member.id, username: member.username, discriminator: '0', global_name: null, avatar: null },
      roles: [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      permissions: '0',
    },
    data: { id: t.sim.newSnowflake(), name: 'me', type: 1 },
    locale: 'en-US',
    guild_locale: 'en-US',
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: { '0': guildId },
    context: 0,
  });
}

const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('endpoint URL validation (as the developer portal does it)', () => {
  it('accepted the service: a signed PING got PONG and a forged one was refused', () => {
    expect(t.sim.interactionsEndpointUrl).toBe(t.service!.url);
  });

  it('rejects an endpoint that accepts any signature, and one that does not answer PONG', async () => {
    const lax = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":1}'),
    );
    await new Promise<void>((r) => lax.listen(0, '127.0.0.1', r));
    const laxUrl = `http://127.0.0.1:${(lax.address() as AddressInfo).port}/`;
    const sim = t.sim;
    const current = sim.interactionsEndpointUrl;
    try {
      await expect(sim.setInteractionsEndpoint(laxUrl)).rejects.toThrow(/invalid signature was accepted/);
      await expect(sim.setInteractionsEndpoint('http://127.0.0.1:1/interactions')).rejects.toThrow(/no response/);
      expect(sim.interactionsEndpointUrl).toBe(current);
    } finally {
      await new Promise((r) => lax.close(r));
    }
  });
});

describe('requests that are refused before anything runs', () => {
  it('answers PING with PONG', async () => {
    const res = await t.sim.postToEndpoint(
      JSON.stringify({ id: '1', application_id: t.sim.world.application.id, type: 1, token: 'x', version: 1 }),
    );
    expect(res).toEqual({ status: 200, json: { type: 1 } });
  });

  it('refuses a forged signature, a wrong key, a tampered body, missing headers and a stale timestamp with 401', async () => {
    const before = t.sim.replies.length;
    const body = commandBody();
    const good = t.sim.applicationKeys.sign(body);
    const cases: Record<string, [string, Record<string, string>]> = {
      forged: [body, { ...good, 'x-signature-ed25519': flip(good['x-signature-ed25519']) }],
      wrongKey: [body, { ...new ApplicationKeys().sign(body) }],
      tampered: [body.replace('"name":"me"', '"name":"export"'), { ...good }],
      missing: [body, { 'content-type': 'application/json' }],
      stale: [body, { ...t.sim.applicationKeys.sign(body, Math.floor(Date.now() / 1000) - 3_600) }],
      future: [body, { ...t.sim.applicationKeys.sign(body, Math.floor(Date.now() / 1000) + 3_600) }],
    };
    for (const [name, [b, headers]] of Object.entries(cases)) {
      const res = await t.sim.postToEndpoint(b, headers);
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
    }
    // The one correctly signed copy still works: nothing above consumed it. (Its token is the test's own, so
    // the simulator refuses the edit that follows; only the acknowledgement matters here.)
    const ok = await t.sim.postToEndpoint(body, { ...good });
    expect(ok).toMatchObject({ status: 200, json: { type: 5 } });
    expect(t.sim.replies.length).toBe(before);
  });

  it('refuses an oversized body with 413, malformed JSON and an unknown type with 400, a replay with 409', async () => {
    const big = JSON.stringify({ type: 2, pad: 'x'.repeat(t.config.interactionsMaxBodyBytes) });
    expect((await t.sim.postToEndpoint(big)).status).toBe(413);
    expect((await t.sim.postToEndpoint('{"type": 2, ')).status).toBe(400);
    expect((await t.sim.postToEndpoint('[1, 2]')).status).toBe(400);
    expect((await t.sim.postToEndpoint(JSON.stringify({ id: '5', type: 99, token: 'x', version: 1 }))).status).toBe(
      400,
    );
    const body = commandBody();
    const headers = { ...t.sim.applicationKeys.sign(body) };
    expect((await t.sim.postToEndpoint(body, headers)).status).toBe(200);
    expect((await t.sim.postToEndpoint(body, headers)).status).toBe(409);
  });

  it('answers a command from a guild the bot is not in with an ephemeral explanation', async () => {
    const res = await t.sim.postToEndpoint(commandBody(t.sim.newSnowflake()));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ type: 4, data: { flags: 64 } });
    expect((res.json as { data: { content: string } }).data.content).toMatch(/not in this server/);
  });
});

describe('delivery', () => {
  it('acknowledges every invocation in the HTTP response within the deadline, and the reply follows over the webhook', async () => {
    const before = t.sim.endpointDeliveries.length;
    const replies = await Promise.all(
      t.sim.world
        .humanMembers(g)
        .slice(1, 5)
        .map((m) =>
          t.sim.invokeCommand({ guildId: g, channelId: chan, userId: m.user.id, name: 'me', timeoutMs: 30_000 }),
        ),
    );
    // Deferred in the HTTP response, then answered over the webhook routes (an edit, or an ephemeral follow-up).
    for (const r of replies) expect(['edit', 'followup']).toContain(r.kind);
    const deliveries = t.sim.endpointDeliveries.slice(before);
    expect(deliveries).toHaveLength(4);
    for (const d of deliveries) {
      expect(d.error).toBeUndefined();
      expect(d.status).toBe(200);
    }
  });

  it('sends an edit or follow-up again while Discord has not applied the acknowledgement yet', async () => {
    // The simulator applies the HTTP reply 300 ms after it has it: the first edit finds no message.
    t.sim.endpointResponseLagMs = 300;
    try {
      const m = t.sim.world.humanMembers(g)[5]!;
      const r = await t.sim.invokeCommand({ guildId: g, channelId: chan, userId: m.user.id, name: 'me' });
      expect(['edit', 'followup']).toContain(r.kind);
      expect(r.content).not.toMatch(/went wrong/);
    } finally {
      t.sim.endpointResponseLagMs = 0;
    }
  });
});
