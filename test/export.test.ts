// /export: the CSV attachment holds exactly the guild's rollup rows (snowflakes exact, as text), only
// admins get it, and the size limit truncates with a note.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { csvField, exportCsv, exportNote } from '../src/commands/export.js';
import type { Simulator } from 'discord-sim';
import { startTestBot, type TestBot } from './helpers/bot.js';

let t: TestBot;
let sim: Simulator;
let g: string;
let admin: string;
let chan: string;

const MANAGE_GUILD = String(1n << 5n);

beforeAll(async () => {
  t = await startTestBot({ name: 'export', sim: { guilds: 2 }, families: ['messages'] });
  sim = t.sim;
  g = [...sim.world.guilds.keys()][0]!;
  admin = sim.world.humanMembers(g)[1]!.user.id;
  chan = sim.world.textChannels(g)[0]!.id;
  await sim.sendTraffic({ messages: 600, guildIds: [g], seed: 3 });
  const want = sim.truth.messages.filter((m) => m.guildId === g && !m.bot && !m.webhook).length;
  await vi.waitFor(
    async () => {
      await t.bot.counters.settled();
      await t.ingestor.runOnce();
      const { rows } = await t.pool.query<{ n: string }>(
        'SELECT coalesce(sum(messages), 0)::text AS n FROM messages_raw WHERE guild_id = $1',
        [g],
      );
      expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(want);
    },
    { timeout: 30_000, interval: 100 },
  );
}, 60_000);

afterAll(() => t?.stop());

async function dbRows(): Promise<string[]> {
  const { rows } = await t.pool.query<{ line: string }>(
    `SELECT concat_ws(',', to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), guild_id, channel_id, parent_id, user_id, messages, words, attachments) AS line
     FROM messages_hourly WHERE guild_id = $1`,
    [g],
  );
  return rows.map((r) => r.line).sort();
}

describe('/export', () => {
  it('attaches a CSV whose rows equal the hourly rollup of the guild', async () => {
    const reply = await sim.invokeCommand({
      guildId: g,
      channelId: chan,
      userId: admin,
      name: 'export',
      permissions: MANAGE_GUILD,
      options: [
        { name: 'table', type: 3, value: 'messages' },
        { name: 'period', type: 3, value: '24h' },
      ],
    });
    expect(reply.flags & 64).toBe(64);
    expect(reply.files).toHaveLength(1);
    const file = reply.files[0]!;
    expect(file.name).toBe(`messages-24h-${g}.csv`);
    const [header, ...lines] = file.data.toString('utf8').trimEnd().split('\n');
    expect(header).toBe('bucket,guild_id,channel_id,parent_id,user_id,messages,words,attachments');
    const want = await dbRows();
    expect(want.length).toBeGreaterThan(10);
    expect([...lines].sort()).toEqual(want);
    // Snowflakes survive exactly (they exceed 2^53).
    expect(lines.every((l) => l.split(',')[1] === g)).toBe(true);
    expect(reply.content).toBe(`messages, last 24h: ${want.length.toLocaleString('en-US')} rows.`);
  }, 30_000);

  it('is refused to members without Manage Server', async () => {
    const member = sim.world.humanMembers(g)[2]!.user.id;
    const reply = await sim.invokeCommand({
      guildId: g,
      channelId: chan,
      userId: member,
      name: 'export',
      permissions: '0',
      options: [{ name: 'table', type: 3, value: 'members' }],
    });
    expect(reply.flags & 64).toBe(64);
    expect(reply.files).toHaveLength(0);
    expect(reply.content).toMatch(/Manage Server/);
  });

  it('neutralises names a spreadsheet would run as formulas (OWASP), and leaves numbers alone', async () => {
    const hostile = [
      '=HYPERLINK("http://evil.example","x")',
      '+1+cmd|/C calc',
      '-2+3',
      '@SUM(A1:A9)',
      '\tTab start',
      '\rReturn start',
      'Plain game',
    ];
    const at = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
    for (const [k, name] of hostile.entries()) {
      await t.pool.query(
        'INSERT INTO activities_raw (bucket, guild_id, user_id, activity, seconds) VALUES ($1, $2, $3, $4, $5)',
        [at, g, String(5000 + k), name, 60 + k],
      );
    }
    const e = await exportCsv(t.pool, { guildId: g, table: 'activities', since: new Date(at.getTime() - 60_000) });
    const text = e.csv.toString('utf8');
    // Every cell, parsed as a spreadsheet would (RFC 4180 quoting): none starts with a formula character.
    const cells = [...text.matchAll(/("(?:[^"]|"")*"|[^,\n]*)(,|\n)/g)].map((m) =>
      m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!,
    );
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    for (const name of hostile.slice(0, 6)) expect(cells).toContain(`'${name}`);
    expect(cells).toContain('Plain game');
    expect(cells).toContain('65'); // seconds, untouched
    expect([csvField('-5'), csvField('12.5'), csvField('=1+1'), csvField('a,b')]).toEqual([
      '-5',
      '12.5',
      `"'=1+1"`,
      '"a,b"',
    ]);
  });

  it('stops at the size limit and says where it truncated', async () => {
    const all = await exportCsv(t.pool, { guildId: g, table: 'messages', since: new Date(Date.now() - 86_400_000) });
    expect(all.truncated).toBe(false);
    const limit = Math.floor(all.csv.length / 3);
    const part = await exportCsv(t.pool, {
      guildId: g,
      table: 'messages',
      since: new Date(Date.now() - 86_400_000),
      limitBytes: limit,
    });
    expect(part.truncated).toBe(true);
    expect(part.csv.length).toBeLessThanOrEqual(limit);
    expect(part.rows).toBeGreaterThan(0);
    expect(part.rows).toBeLessThan(all.rows);
    // A prefix of the full export: same order, whole lines only.
    expect(all.csv.subarray(0, part.csv.length).equals(part.csv)).toBe(true);
    expect(part.csv.toString('utf8').trimEnd().split('\n')).toHaveLength(part.rows + 1);
    expect(exportNote('messages', '24h', part)).toMatch(new RegExp(`truncated at ${part.rows} rows`));
    const none = await exportCsv(t.pool, { guildId: g, table: 'members', since: new Date(0) });
    expect(none.csv.toString()).toBe(
      'at,guild_id,user_id,kind,attribution,inviter_id,invite_code,account_created_at,bot\n',
    );
  });
});
