// GET /channels/{id}/messages over the simulator's messages, dispatched or laid down as history, paged as
// Discord pages them; expectations are computed here from the ids the simulator handed out.
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';

let sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function world(): Promise<{ s: Simulator; guildId: string; channelId: string; ids: string[]; authorId: string }> {
  const s = await startSimulator({ guilds: 2, seed: 9, limits: { rest: false } }); // paging, not rate limits, here
  sims.push(s);
  const guildId = [...s.world.guilds.keys()][0]!;
  const channelId = s.world.textChannels(guildId)[0]!.id;
  const authorId = s.world.humanMembers(guildId)[0]!.user.id;
  const t0 = Date.now() - 86_400_000;
  // Laid down out of order: the pages must still come back in id order.
  const times = Array.from({ length: 250 }, (_, i) => t0 + ((i * 7919) % 250) * 1000);
  const ids = times.map(
    (timestamp, i) => s.seedHistory({ guildId, channelId, authorId, content: `m${i}`, timestamp }).id,
  );
  ids.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return { s, guildId, channelId, ids, authorId };
}

const get = (s: Simulator, path: string) =>
  fetch(`${s.apiUrl}/v10${path}`, { headers: { authorization: `Bot ${s.token}` } });
const idsOf = async (r: Response) => ((await r.json()) as { id: string }[]).map((m) => m.id);

describe('GET /channels/{id}/messages', () => {
  it('pages newest first with before, after and around; limit defaults to 50 and is 1–100', async () => {
    const { s, channelId, ids } = await world();
    const desc = [...ids].reverse();
    expect(await idsOf(await get(s, `/channels/${channelId}/messages`))).toEqual(desc.slice(0, 50));
    expect(await idsOf(await get(s, `/channels/${channelId}/messages?limit=100&before=${ids[200]}`))).toEqual(
      ids.slice(100, 200).reverse(),
    );
    expect(await idsOf(await get(s, `/channels/${channelId}/messages?limit=10&after=${ids[5]}`))).toEqual(
      ids.slice(6, 16).reverse(),
    );
    expect(await idsOf(await get(s, `/channels/${channelId}/messages?limit=10&around=${ids[100]}`))).toEqual(
      ids.slice(95, 105).reverse(),
    );
    // Walking back with `before` reads every message exactly once.
    const seen: string[] = [];
    let before = '';
    for (;;) {
      const page = await idsOf(await get(s, `/channels/${channelId}/messages?limit=100${before}`));
      seen.push(...page);
      if (page.length < 100) break;
      before = `&before=${page[page.length - 1]}`;
    }
    expect(seen).toEqual(desc);
    for (const bad of ['limit=0', 'limit=101', 'limit=x', 'before=abc']) {
      const r = await get(s, `/channels/${channelId}/messages?${bad}`);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { code: number }).code).toBe(50035);
    }
  });

  it('answers message objects as the gateway sends them, without guild_id or member', async () => {
    const { s, guildId, channelId } = await world();
    const [a, b] = s.world.humanMembers(guildId);
    const sent = s.sendMessage({
      guildId,
      channelId,
      authorId: a!.user.id,
      content: `hey <@${b!.user.id}>`,
      attachments: 1,
    });
    const [m] = (await (await get(s, `/channels/${channelId}/messages?limit=1`)).json()) as Record<string, unknown>[];
    expect(m).toMatchObject({
      id: sent.id,
      channel_id: channelId,
      content: `hey <@${b!.user.id}>`,
      author: { id: a!.user.id },
      mentions: [{ id: b!.user.id }],
    });
    expect((m!.attachments as unknown[]).length).toBe(1);
    expect(m).not.toHaveProperty('guild_id');
    expect(m).not.toHaveProperty('member');
  });

  it('404 for an unknown channel, 403 Missing Access without VIEW_CHANNEL, no messages without READ_MESSAGE_HISTORY', async () => {
    const { s, guildId, channelId } = await world();
    const unknown = await get(s, `/channels/123456789012345678/messages`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 10003, message: 'Unknown Channel' });
    const bot = s.world.botUser.id;
    s.setChannelOverwrites(channelId, [
      { id: bot, type: 1, allow: '0', deny: String(PermissionFlagsBits.ViewChannel) },
    ]);
    const hidden = await get(s, `/channels/${channelId}/messages`);
    expect(hidden.status).toBe(403);
    expect(await hidden.json()).toMatchObject({ code: 50001, message: 'Missing Access' });
    s.setChannelOverwrites(channelId, [
      { id: guildId, type: 0, allow: '0', deny: String(PermissionFlagsBits.ReadMessageHistory) },
    ]);
    const noHistory = await get(s, `/channels/${channelId}/messages`);
    expect(noHistory.status).toBe(200);
    expect(await noHistory.json()).toEqual([]);
  });

  it('is rate limited per channel at 5 requests per second with X-RateLimit-* headers', async () => {
    const s = await startSimulator({ guilds: 1, seed: 3 });
    sims.push(s);
    const [c1, c2] = s.world.textChannels([...s.world.guilds.keys()][0]!);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await get(s, `/channels/${c1!.id}/messages?limit=1`);
      statuses.push(r.status);
      if (i === 0) expect(r.headers.get('x-ratelimit-limit')).toBe('5');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // Another channel is another bucket.
    expect((await get(s, `/channels/${c2!.id}/messages?limit=1`)).status).toBe(200);
  });
});
