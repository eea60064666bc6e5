// Family queries (series, top-N, summaries, heatmap, unused emojis) against a real migrated PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/pool.js';
import {
  channelSummary,
  familySeries,
  familyTotal,
  heatmap,
  memberSummary,
  topBy,
  unusedEmojis,
} from '../src/stats/families.js';
import { testDatabase } from './helpers/services.js';

let pool: Pool;
let drop: () => Promise<void>;
const G = '1200000000000000001';
const TEXT = '2200000000000000001';
const THREAD = '2200000000000000002';
const VOICE = '2200000000000000003';
const ALICE = '3200000000000000001';
const BOB = '3200000000000000002';
const range = { guildId: G, from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-06-08T00:00:00Z') };

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  pool = createPool(db.url);
  const q = (sql: string, ...rows: unknown[][]) => Promise.all(rows.map((r) => pool.query(sql, r)));
  await q(
    'INSERT INTO messages_raw (bucket, guild_id, channel_id, parent_id, user_id, messages, words, attachments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    ['2026-06-01T10:05:00Z', G, TEXT, 0, ALICE, 4, 20, 1], // Monday 10:00 UTC
    ['2026-06-01T10:50:00Z', G, THREAD, TEXT, BOB, 2, 6, 0], // thread of TEXT
    ['2026-06-03T22:00:00Z', G, TEXT, 0, BOB, 1, 1, 0], // Wednesday 22:00
    ['2026-06-03T22:00:00Z', '1200000000000000009', TEXT, 0, BOB, 50, 50, 0], // another guild
  );
  await q(
    'INSERT INTO voice_raw (bucket, guild_id, channel_id, user_id, seconds, muted_seconds, deafened_seconds, streaming_seconds, video_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    ['2026-06-02T20:00:00Z', G, VOICE, ALICE, 60, 60, 0, 30, 0],
    ['2026-06-02T20:01:00Z', G, VOICE, ALICE, 60, 0, 0, 0, 0],
    ['2026-06-02T20:01:00Z', G, VOICE, BOB, 45, 0, 0, 0, 10],
  );
  await q(
    'INSERT INTO emojis_raw (bucket, guild_id, user_id, emoji, source, uses) VALUES ($1, $2, $3, $4, $5, $6)',
    ['2026-06-01T10:05:00Z', G, ALICE, '👍', 'message', 3],
    ['2026-06-01T10:05:00Z', G, BOB, '👍', 'reaction', 2],
    ['2026-06-01T10:05:00Z', G, BOB, '900000000000000001', 'message', 1],
  );
  await q(
    'INSERT INTO app_commands_raw (bucket, guild_id, channel_id, user_id, application_id, command, uses) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    ['2026-06-01T10:05:00Z', G, TEXT, ALICE, '4000000000000000001', 'stats server', 2],
  );
});

afterAll(async () => {
  await pool?.end();
  await drop?.();
});

describe('family queries', () => {
  it('series per day in the guild zone, and totals equal to the series sum', async () => {
    const days = await familySeries(pool, 'messages', 'messages', range, 'day');
    expect(days).toHaveLength(7);
    expect(days.map((p) => p.v)).toEqual([6, 0, 1, 0, 0, 0, 0]);
    expect(await familyTotal(pool, 'messages', 'messages', range)).toBe(7);
    const voice = await familySeries(
      pool,
      'voice',
      'seconds',
      { ...range, to: new Date('2026-06-02T20:03:00Z'), from: new Date('2026-06-02T19:59:00Z') },
      'minute',
    );
    expect(voice.map((p) => p.v)).toEqual([0, 60, 105, 0]);
  });

  it('a channel counts its threads; a member filter narrows to them', async () => {
    expect(await familyTotal(pool, 'messages', 'messages', range, { channelId: TEXT })).toBe(7);
    expect(await familyTotal(pool, 'messages', 'messages', range, { channelId: THREAD })).toBe(2);
    expect(await familyTotal(pool, 'messages', 'messages', range, { userId: BOB })).toBe(3);
    expect(await channelSummary(pool, range, TEXT)).toEqual({ messages: 7, voiceSeconds: 0, members: 2 });
    expect(await channelSummary(pool, range, VOICE)).toEqual({ messages: 0, voiceSeconds: 165, members: 0 });
  });

  it('leaderboards, most and least used, stable on ties', async () => {
    expect(await topBy(pool, 'messages', 'messages', 'user_id', range)).toEqual([
      { key: ALICE, value: 4 },
      { key: BOB, value: 3 },
    ]);
    expect(await topBy(pool, 'voice', 'seconds', 'user_id', range, { limit: 1 })).toEqual([{ key: ALICE, value: 120 }]);
    expect(await topBy(pool, 'emojis', 'uses', 'emoji', range)).toEqual([
      { key: '👍', value: 5 },
      { key: '900000000000000001', value: 1 },
    ]);
    expect(await topBy(pool, 'emojis', 'uses', 'emoji', range, { order: 'asc', limit: 1 })).toEqual([
      { key: '900000000000000001', value: 1 },
    ]);
    expect(
      await topBy(pool, 'emojis', 'uses', 'emoji', range, { where: { dim: 'source', value: 'reaction' } }),
    ).toEqual([{ key: '👍', value: 2 }]);
    expect(await topBy(pool, 'apps', 'uses', 'command', range)).toEqual([{ key: 'stats server', value: 2 }]);
  });

  it('member summary across families', async () => {
    expect(await memberSummary(pool, range, ALICE)).toEqual({
      messages: 4,
      words: 20,
      voiceSeconds: 120,
      emojis: 3,
      commands: 2,
    });
  });

  it('heatmap by weekday and hour in the guild zone', async () => {
    const utc = await heatmap(pool, 'messages', 'messages', range);
    expect(utc[0]![10]).toBe(6); // Monday 10:00
    expect(utc[2]![22]).toBe(1); // Wednesday 22:00
    const tokyo = await heatmap(pool, 'messages', 'messages', { ...range, timeZone: 'Asia/Tokyo' });
    expect(tokyo[0]![19]).toBe(6); // Monday 19:00 in Tokyo
    expect(tokyo[3]![7]).toBe(1); // Thursday 07:00 in Tokyo
    expect(tokyo.flat().reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('lists custom emojis nobody used', async () => {
    expect(await unusedEmojis(pool, range, ['900000000000000001', '900000000000000002', '900000000000000003'])).toEqual(
      ['900000000000000002', '900000000000000003'],
    );
  });

  it('refuses names that are not in the family spec', async () => {
    await expect(familyTotal(pool, 'messages', 'messages; DROP TABLE messages_raw', range)).rejects.toThrow(
      'messages has no metric',
    );
    await expect(topBy(pool, 'messages', 'messages', 'emoji', range)).rejects.toThrow(
      'messages has no dimension "emoji"',
    );
  });
});
