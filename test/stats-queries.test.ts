// The stats query module against a real, migrated PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/pool.js';
import { messageSeries, messageTotals, messageTotalsByChannelMember } from '../src/stats/queries.js';
import { testDatabase } from './helpers/services.js';

let pool: Pool;
let drop: () => Promise<void>;
const G = '1100000000000000001';
const OTHER = '1100000000000000002';

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  pool = createPool(db.url);
  const rows: [string, string, string, string, number, number, number][] = [
    // Deltas for the same minute and dims appear in several batches and are summed on read.
    ['2026-03-07T23:30:00Z', G, '2000000000000000001', '3000000000000000001', 2, 10, 1],
    ['2026-03-07T23:30:00Z', G, '2000000000000000001', '3000000000000000001', 1, 4, 0],
    ['2026-03-08T01:15:00Z', G, '2000000000000000002', '3000000000000000002', 5, 20, 0],
    ['2026-03-08T12:00:00Z', G, '2000000000000000001', '3000000000000000002', 3, 3, 3],
    ['2026-03-08T12:00:00Z', OTHER, '2000000000000000009', '3000000000000000002', 100, 100, 100],
  ];
  for (const r of rows) {
    await pool.query(
      'INSERT INTO messages_raw (bucket, guild_id, channel_id, user_id, messages, words, attachments) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      r,
    );
  }
});

afterAll(async () => {
  await pool?.end();
  await drop?.();
});

describe('stats queries', () => {
  it('totals sum deltas within the range and the guild only', async () => {
    const t = await messageTotals(pool, {
      guildId: G,
      from: new Date('2026-03-07T00:00:00Z'),
      to: new Date('2026-03-09T00:00:00Z'),
    });
    expect(t).toEqual({ messages: 11, words: 37, attachments: 4, members: 2, channels: 2 });
    const narrow = await messageTotals(pool, {
      guildId: G,
      from: new Date('2026-03-08T00:00:00Z'),
      to: new Date('2026-03-08T12:00:00Z'),
    });
    expect(narrow.messages).toBe(5); // `to` is exclusive
  });

  it('aligned to a bucket, totals start where the chart starts and equal its sum', async () => {
    const r = { guildId: G, from: new Date('2026-03-07T23:45:00Z'), to: new Date('2026-03-08T13:00:00Z') };
    expect((await messageTotals(pool, r)).messages).toBe(8); // minute-aligned: the 23:30 row is outside
    const hourly = await messageTotals(pool, r, 'hour');
    expect(hourly.messages).toBe(11); // hour-aligned: the range starts at 23:00
    const series = await messageSeries(pool, r, 'hour');
    expect(series[0]!.t).toBe(Date.parse('2026-03-07T23:00:00Z'));
    expect(series.reduce((a, p) => a + p.v, 0)).toBe(hourly.messages);
  });

  it('minute and hour series fill every bucket, zeros included', async () => {
    const from = new Date('2026-03-07T23:28:00Z');
    const to = new Date('2026-03-07T23:33:00Z');
    const minutes = await messageSeries(pool, { guildId: G, from, to }, 'minute');
    expect(minutes.map((p) => p.v)).toEqual([0, 0, 3, 0, 0]);
    expect(minutes[2]!.t).toBe(Date.parse('2026-03-07T23:30:00Z'));
    const hours = await messageSeries(
      pool,
      { guildId: G, from: new Date('2026-03-07T23:00:00Z'), to: new Date('2026-03-08T03:00:00Z') },
      'hour',
    );
    expect(hours.map((p) => p.v)).toEqual([3, 0, 5, 0]);
  });

  it('day buckets start at midnight in the guild time zone, DST included', async () => {
    // New York switched to DST on 2026-03-08: that local day has 23 hours.
    const r = {
      guildId: G,
      from: new Date('2026-03-07T05:00:00Z'),
      to: new Date('2026-03-09T04:00:00Z'),
      timeZone: 'America/New_York',
    };
    const days = await messageSeries(pool, r, 'day');
    expect(days.map((p) => new Date(p.t).toISOString())).toEqual([
      '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
    ]);
    // 23:30Z and 01:15Z on Mar 7/8 are both still March 7 in New York; 12:00Z Mar 8 is March 8.
    expect(days.map((p) => p.v)).toEqual([8, 3]);
    const utc = await messageSeries(
      pool,
      { ...r, from: new Date('2026-03-07T00:00:00Z'), to: new Date('2026-03-09T00:00:00Z'), timeZone: 'UTC' },
      'day',
    );
    expect(utc.map((p) => p.v)).toEqual([3, 8]);
  });

  it('reconciliation totals key by guild, channel and user', async () => {
    const all = await messageTotalsByChannelMember(pool, [G]);
    expect(all.get(`${G}|2000000000000000001|3000000000000000001`)).toEqual({ messages: 3, words: 14, attachments: 1 });
    expect([...all.keys()].every((k) => k.startsWith(G))).toBe(true);
  });
});
