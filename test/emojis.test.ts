// Emoji uses counted exactly: the extractor on tricky unicode sequences, then real traffic through the
// simulator's gateway into an in-process discord.js bot, Redis and the ingest worker's COPY into Postgres,
// compared with the simulator's ground truth (recorded from what it chose to send, never parsed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../src/db/pool.js';
import { countEmojis, displayEmoji, extractEmojis, unicodeEmojiKey } from '../src/emoji.js';
import type { Ingestor } from '../src/ingest/ingest.js';
import { sendEmojiTraffic, TRICKY_UNICODE, type Simulator } from 'discord-sim';
import { diffEmojis, sleep } from '../dev/stack.js';
import { startTestBot, type TestBot } from './helpers/bot.js';

describe('emoji extractor', () => {
  it('finds each tricky sequence whole, under its VS16-free key', () => {
    for (const e of TRICKY_UNICODE) expect(extractEmojis(`a ${e.text} b`), e.label).toEqual([e.key]);
  });

  it('keeps ZWJ families, skin tones, flags and keycaps as one emoji each, even glued together', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    const thumb = '\u{1F44D}\u{1F3FD}';
    const fr = '\u{1F1EB}\u{1F1F7}';
    const keycap = '1\uFE0F\u20E3';
    expect(extractEmojis(`${family}${thumb}${fr}${keycap}${fr}`)).toEqual([family, thumb, fr, '1\u20E3', fr]);
    // A skin-toned thumb is not a plain thumb plus a modifier.
    expect(countEmojis(`${thumb}\u{1F44D}`)).toEqual(
      new Map([
        [thumb, 1],
        ['\u{1F44D}', 1],
      ]),
    );
  });

  it('finds keycaps whose ASCII base follows plain text', () => {
    expect(extractEmojis('room #\uFE0F\u20E3 then *\u20E3 and 9\uFE0F\u20E3')).toEqual([
      '#\u20E3',
      '*\u20E3',
      '9\u20E3',
    ]);
    expect(extractEmojis('#\uFE0F\u20E3')).toEqual(['#\u20E3']);
  });

  it('counts every occurrence, and ❤️ and ❤ as one key', () => {
    expect(countEmojis('\u2764\uFE0F \u2764 \u2764\uFE0F\u2764')).toEqual(new Map([['\u2764', 4]]));
    expect(countEmojis('gg \u{1F525}\u{1F525}\u{1F525}')).toEqual(new Map([['\u{1F525}', 3]]));
    expect(unicodeEmojiKey('\u{1F3F3}\uFE0F\u200D\u{1F308}')).toBe('\u{1F3F3}\u200D\u{1F308}');
  });

  it('keys custom and animated emojis by id, and never reads their names or ids as text', () => {
    const content =
      '<:pog:123456789012345678> <a:catjam:223456789012345678><:pog:123456789012345678> <:x_1:323456789012345678>';
    expect(countEmojis(content)).toEqual(
      new Map([
        ['123456789012345678', 2],
        ['223456789012345678', 1],
        ['323456789012345678', 1],
      ]),
    );
  });

  it('writes a key back as the fully-qualified emoji for display (U+FE0F where the default is text)', () => {
    const qualified = [
      '\u2764\uFE0F',
      '\u{1F3F3}\uFE0F\u200D\u{1F308}',
      '1\uFE0F\u20E3',
      '#\uFE0F\u20E3',
      '\u263A\uFE0F',
      '\u{1F44D}\u{1F3FD}',
      '\u{1F1EB}\u{1F1F7}',
      '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
      '\u{1F602}',
    ];
    for (const e of qualified) expect(displayEmoji(unicodeEmojiKey(e))).toBe(e);
    expect(displayEmoji('abc 123')).toBe('abc 123'); // digits are emoji only as keycap bases
  });

  it('ignores text that only looks like emoji: digits, #, *, mentions, shortcodes, short ids', () => {
    expect(extractEmojis('1 # * 123 <@123456789012345678> <#123456789012345678> :thumbsup: <3 :-) <:fake:12>')).toEqual(
      [],
    );
    expect(extractEmojis('')).toEqual([]);
  });
});

describe('emoji uses end to end', () => {
  let t: TestBot;
  let sim: Simulator;
  let pool: Pool;
  let ingestor: Ingestor;

  beforeAll(async () => {
    t = await startTestBot({ name: 'emojis', sim: { seed: 3 }, families: ['emojis'] });
    ({ sim, pool, ingestor } = t);
  }, 60_000);

  afterAll(() => t?.stop(), 60_000);

  /** Ingests until Postgres equals the truth (the bot handles dispatches asynchronously). */
  async function ingestUntilEqual(timeoutMs = 20_000): Promise<void> {
    const diff = async () => {
      await ingestor.runOnce();
      return diffEmojis(pool, sim);
    };
    await expect.poll(diff, { timeout: timeoutMs, interval: 200 }).toEqual([]);
  }

  it('counts message and reaction emojis per guild, user, emoji and source exactly', async () => {
    const summary = await sendEmojiTraffic(sim, { messages: 1_500, reactions: 1_500, seed: 11 });
    // Ordinary chat carries emojis too; its truth comes from the traffic planner's choices.
    await sim.sendTraffic({ messages: 1_000, seed: 12 });
    expect(summary.messageEmojis).toBeGreaterThan(1_000);
    expect(summary.removals).toBeGreaterThan(0);
    expect(summary.botReactions).toBeGreaterThan(0);

    await ingestUntilEqual();
    // Nothing is counted twice: another pass changes nothing.
    await sleep(300); // wall-clock on purpose: time for a late write to show, where there must be none
    await ingestor.runOnce();
    expect(await diffEmojis(pool, sim)).toEqual([]);

    // The exact equality covers what matters: every tricky key, both sources, custom ids, no bot uses.
    const keys = [...sim.truth.emojiUses.keys()].map((k) => k.split('|'));
    for (const e of TRICKY_UNICODE)
      expect(
        keys.some(([, , emoji]) => emoji === e.key),
        e.label,
      ).toBe(true);
    expect(new Set(keys.map(([, , , source]) => source))).toEqual(new Set(['message', 'reaction']));
    const customIds = new Set([...sim.world.guilds.values()].flatMap((g) => g.emojis.map((e) => e.id)));
    expect(keys.some(([, , emoji]) => customIds.has(emoji!))).toBe(true);
    const botIds = new Set([...sim.world.guilds.keys()].flatMap((g) => sim.world.botMembers(g).map((m) => m.user.id)));
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM emojis_raw WHERE user_id = ANY($1::bigint[])',
      [[...botIds]],
    );
    expect(Number(rows[0]!.n)).toBe(0);
    const total = await pool.query<{ source: string; uses: string }>(
      'SELECT source, sum(uses) AS uses FROM emojis_raw GROUP BY source',
    );
    const bySource = Object.fromEntries(total.rows.map((r) => [r.source, Number(r.uses)]));
    expect(bySource.reaction).toBe(summary.reactions - summary.botReactions);
  }, 60_000);

  it("counts a message's emojis in the minute the message was created", async () => {
    const guild = [...sim.world.guilds.values()].find((g) => g.emojis.length > 0)!;
    const author = sim.world.humanMembers(guild.id)[1]!.user.id;
    const custom = guild.emojis[0]!;
    const at = Date.now() - 3 * 3_600_000;
    const sent = sim.sendMessage({
      guildId: guild.id,
      channelId: sim.world.textChannels(guild.id)[0]!.id,
      authorId: author,
      timestamp: at,
      content: `late <${custom.animated ? 'a' : ''}:${custom.name}:${custom.id}> \u{1F44D}\u{1F3FD}\u{1F44D}\u{1F3FD}`,
      emojis: [custom.id, '\u{1F44D}\u{1F3FD}', '\u{1F44D}\u{1F3FD}'],
    });
    await ingestUntilEqual();
    const { rows } = await pool.query<{ emoji: string; uses: string }>(
      `SELECT emoji, sum(uses) AS uses FROM emojis_raw WHERE guild_id = $1 AND user_id = $2 AND source = 'message' AND bucket = to_timestamp($3::bigint * 60) GROUP BY emoji ORDER BY emoji`,
      [guild.id, author, Math.floor(sent.timestamp / 60_000)],
    );
    expect(Object.fromEntries(rows.map((r) => [r.emoji, Number(r.uses)]))).toEqual({
      [custom.id]: 1,
      '\u{1F44D}\u{1F3FD}': 2,
    });
  }, 30_000);
});
