// Poison never blocks. A batch PostgreSQL refuses for a reason of its own (here: a CHECK constraint the
// test adds, standing in for any data error the validators do not foresee) is retried on the next
// cycles and then quarantined, while the same partition's later batches and every other family keep
// landing in the very next cycle; the worker never backs off. The batch is then inspected and replayed
// with the operator's tool (`npm run quarantine`) and lands exactly once. And U+0000 in a text
// dimension, the poison of the adversarial pass, never reaches COPY at all.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/pool.js';
import { entryPoint } from '../src/entry.js';
import { FAMILIES, encodeField, minuteOf, textDim } from '../src/families.js';
import { encodeMemberEvent, type MemberEvent } from '../src/member-events.js';
import { Ingestor } from '../src/ingest/ingest.js';
import { Keys, partitionOf } from '../src/keys.js';
import { ingestBatches, ingestQuarantined } from '../src/metrics.js';
import { createRedis, type Redis } from '../src/redis.js';
import { capturedLogger } from './helpers/log-lines.js';
import { cleanupPrefix, testDatabase, testRedis } from './helpers/services.js';

const run = promisify(execFile);
const PARTITIONS = 4;
const INTERVAL_MS = 150;

let db: Awaited<ReturnType<typeof testDatabase>>;
let pool: Pool;
let redis: Redis;
let redisUrl: string;
let prefix: string;
let keys: Keys;

beforeAll(async () => {
  db = await testDatabase();
  pool = createPool(db.url);
  ({ url: redisUrl, prefix } = testRedis());
  redis = createRedis(redisUrl);
  keys = new Keys(prefix);
});

afterAll(async () => {
  await cleanupPrefix(redis, prefix);
  await pool.end();
  redis.disconnect();
  await db.drop();
});

/** Guild ids in partition `p`. */
function guildIn(p: number, n = 0): string {
  let found = 0;
  for (let i = 0n; ; i++) {
    const g = String(800_000_000_000_000_000n + i);
    if (partitionOf(g, PARTITIONS) === p && found++ === n) return g;
  }
}

async function quarantineCli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const entry = entryPoint('../src/ingest/quarantine-cli.ts', import.meta.url);
  try {
    const { stdout, stderr } = await run(process.execPath, [...entry.execArgv, entry.file, ...args], {
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        REDIS_PARTITIONS: String(PARTITIONS),
        LOG_LEVEL: 'warn',
      },
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

const counter = async (labels: Record<string, string>) =>
  (await ingestBatches.get()).values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k as 'family'] === x))
    .reduce((a, v) => a + v.value, 0);

describe('quarantine', () => {
  it('a poisoned batch is retried, then quarantined, while its partition and every other family keep landing each cycle; replayed, it loads once', async () => {
    await pool.query(`ALTER TABLE activities_raw ADD CONSTRAINT test_poison CHECK (activity <> 'poison')`);
    await pool.query(
      `ALTER TABLE member_events ADD CONSTRAINT test_poison_code CHECK (invite_code IS DISTINCT FROM 'poisoned')`,
    );
    const P = 1;
    const g = guildIn(P);
    const other = guildIn((P + 2) % PARTITIONS);
    const minute = minuteOf(Date.now());
    // The poison: one batch of activities in partition P (a good row rides along: a batch loads whole or not
    // at all), and a member-events batch in the same partition.
    await redis.hincrby(
      keys.live('activities', P),
      encodeField(FAMILIES.activities, minute, [g, '5', 'poison'], 0),
      60,
    );
    await redis.hincrby(keys.live('activities', P), encodeField(FAMILIES.activities, minute, [g, '5', 'Chess'], 0), 7);
    const poisonedJoin: MemberEvent = {
      at: Date.now(),
      guildId: g,
      userId: '6',
      kind: 'join',
      attribution: 'invite',
      inviterId: '7',
      inviteCode: 'poisoned',
      accountCreatedAt: Date.now() - 1e11,
      bot: false,
    };
    await redis.xadd(keys.memberEvents(P), '*', ...encodeMemberEvent(poisonedJoin));

    const { logger, find } = capturedLogger('warn', { test: 'quarantine' });
    const quarantinedBefore = await counter({ family: 'activities', outcome: 'quarantined' });
    const ingestor = new Ingestor({ redis, pool, keys, partitions: PARTITIONS, logger, maxAttempts: 3 });
    // The first cycle rotates the poison into its batches (and fails them once); then the loop runs.
    expect(await ingestor.runOnce()).toMatchObject({ failed: 2, quarantined: 0 });
    // After every cycle of the loop (before the next one starts) the test looks for the waves it waits for:
    // the number of cycles a wave took is then exact, however slow the machine.
    const waiting = new Map<string, number>();
    const landedAfter = new Map<string, number>();
    const landedRows = async (user: string) =>
      Number(
        (
          await pool.query<{ n: string }>(
            `SELECT (SELECT count(*) FROM activities_raw WHERE user_id = $1) + (SELECT count(*) FROM messages_raw WHERE user_id = $1)
                  + (SELECT count(*) FROM emojis_raw WHERE user_id = $1) + (SELECT count(*) FROM member_events WHERE user_id = $1) AS n`,
            [user],
          )
        ).rows[0]!.n,
      );
    const cycle = ingestor.runOnce.bind(ingestor);
    ingestor.runOnce = async () => {
      const result = await cycle();
      for (const [user, c0] of waiting) {
        if ((await landedRows(user)) < 4) continue;
        landedAfter.set(user, ingestor.status().cycles - c0);
        waiting.delete(user);
      }
      return result;
    };
    ingestor.start(INTERVAL_MS);
    try {
      // Waves of fresh data behind the poison: the same family and partition, another family in the same
      // partition, another partition, member events. Each must land within the next full cycle.
      for (let wave = 1; wave <= 8; wave++) {
        const user = String(1_000 + wave);
        await redis.hincrby(
          keys.live('activities', P),
          encodeField(FAMILIES.activities, minute, [g, user, 'Chess'], 0),
          wave,
        );
        await redis.hincrby(
          keys.live('messages', P),
          encodeField(FAMILIES.messages, minute, [g, '9', '0', user], 0),
          wave,
        );
        await redis.hincrby(
          keys.live('emojis', partitionOf(other, PARTITIONS)),
          encodeField(FAMILIES.emojis, minute, [other, user, '🔥', 'message'], 0),
          wave,
        );
        await redis.xadd(
          keys.memberEvents(P),
          '*',
          ...encodeMemberEvent({ ...poisonedJoin, userId: user, inviteCode: 'fine' }),
        );
        waiting.set(user, ingestor.status().cycles);
        await expect.poll(() => landedAfter.has(user), { timeout: 30_000, interval: 20 }).toBe(true);
        // The worker never backed off: every cycle counted as a success.
        expect(ingestor.status().consecutiveFailures).toBe(0);
      }
      // A cycle running when a wave was written may miss it; the next one may not.
      expect(Math.max(...landedAfter.values())).toBeLessThanOrEqual(2);
      console.log(
        `behind the poison, 8 waves landed after ${[...landedAfter.values()].join(', ')} cycle(s) of ${INTERVAL_MS} ms; failures in a row: 0`,
      );

      // By now the poison failed three times (one attempt per cycle) and sits in quarantine.
      await expect.poll(() => ingestor.quarantine.count(), { timeout: 10_000 }).toBe(2);
      const records = await ingestor.quarantine.list();
      const acts = records.find((r) => r.family === 'activities')!;
      const events = records.find((r) => r.family === 'member_events')!;
      expect(acts).toMatchObject({ partition: P, attempts: 3, code: '23514' });
      expect(acts.error).toMatch(/test_poison/);
      expect(events).toMatchObject({ partition: P, attempts: 3, code: '23514' });
      expect(await redis.exists(keys.batch('activities', P, acts.batchId))).toBe(0);
      expect(await redis.hget(acts.key, encodeField(FAMILIES.activities, minute, [g, '5', 'poison'], 0))).toBe('60');
      expect((await ingestor.quarantine.content(acts)).total).toBe(2);
      expect(await counter({ family: 'activities', outcome: 'quarantined' })).toBe(quarantinedBefore + 1);
      expect((await ingestQuarantined.get()).values[0]!.value).toBe(2);
      const logged = find(/batch quarantined/);
      expect(logged.map((l) => l.family).sort()).toEqual(['activities', 'member_events']);
      expect(find(/retried next cycle/).length).toBe(4); // attempts 1 and 2 of each
      // Nothing of the poisoned batches landed; everything else did.
      const { rows: none } = await pool.query(
        `SELECT 1 FROM activities_raw WHERE user_id = 5 UNION ALL SELECT 1 FROM member_events WHERE user_id = 6`,
      );
      expect(none).toHaveLength(0);

      // The operator's tool: list, show (the fields, escaped), replay after fixing the cause, drop.
      const listed = await quarantineCli('list');
      expect(listed.code).toBe(0);
      const lines = listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { batchId: string; family: string });
      expect(lines.map((l) => l.batchId).sort()).toEqual([acts.batchId, events.batchId].sort());
      const shown = await quarantineCli('show', acts.batchId);
      expect(JSON.parse(shown.stdout)).toMatchObject({ batchId: acts.batchId, total: 2, error: acts.error });
      expect(shown.stdout).toContain('|poison|');
      expect((await quarantineCli('replay', 'no-such-batch')).code).toBe(1);
      expect((await quarantineCli('frobnicate')).code).toBe(1);

      await pool.query('ALTER TABLE activities_raw DROP CONSTRAINT test_poison');
      const replayed = await quarantineCli('replay', acts.batchId);
      expect(replayed.code).toBe(0);
      expect(JSON.parse(replayed.stdout)).toMatchObject({ replayed: acts.batchId });
      await expect
        .poll(
          async () =>
            (
              await pool.query<{ s: string }>(
                'SELECT coalesce(sum(seconds), 0)::text AS s FROM activities_raw WHERE user_id = 5',
              )
            ).rows[0]!.s,
          { timeout: 10_000 },
        )
        .toBe('67');
      // Exactly once: one ledger row for the batch; more cycles change nothing.
      const c1 = ingestor.status().cycles;
      await expect.poll(() => ingestor.status().cycles, { timeout: 10_000 }).toBeGreaterThan(c1 + 2);
      const { rows: sums } = await pool.query<{ s: string; l: string }>(
        `SELECT (SELECT sum(seconds) FROM activities_raw WHERE user_id = 5)::text AS s, (SELECT count(*) FROM ingest_ledger WHERE batch_id = $1)::text AS l`,
        [acts.batchId],
      );
      expect(sums[0]).toEqual({ s: '67', l: '1' });

      const dropped = await quarantineCli('drop', events.batchId);
      expect(JSON.parse(dropped.stdout)).toMatchObject({ dropped: events.batchId });
      expect(await redis.exists(events.key)).toBe(0);
      expect(await ingestor.quarantine.count()).toBe(0);
      // The worker's gauge follows within a cycle (the tool ran in another process).
      await expect.poll(async () => (await ingestQuarantined.get()).values[0]!.value, { timeout: 10_000 }).toBe(0);
    } finally {
      await ingestor.stop();
    }
  }, 120_000);

  it('U+0000 and lone surrogates never reach COPY: cleaned before Redis, refused by the decoder if written by anything else', async () => {
    expect(textDim('Bad\u0000Game')).toBe('Bad Game');
    expect(textDim('\ud800broken\udfff')).toBe('\ufffdbroken\ufffd');
    expect(textDim('\u0000\u0001')).toBeUndefined();
    const P = 2;
    const g = guildIn(P);
    const minute = minuteOf(Date.now());
    // As an older version of the bot wrote them: the NUL field is skipped, the rest of the batch loads.
    await redis.hincrby(
      keys.live('activities', P),
      encodeField(FAMILIES.activities, minute, [g, '11', 'Bad\u0000Game'], 0),
      30,
    );
    await redis.hincrby(
      keys.live('activities', P),
      encodeField(FAMILIES.activities, minute, [g, '11', 'Good Game'], 0),
      40,
    );
    const ingestor = new Ingestor({
      redis,
      pool,
      keys,
      partitions: PARTITIONS,
      families: ['activities'],
      memberEvents: false,
    });
    try {
      const res = await ingestor.runOnce();
      expect(res).toMatchObject({ malformed: 1, failed: 0, quarantined: 0 });
      const { rows } = await pool.query<{ activity: string; seconds: number }>(
        'SELECT activity, seconds FROM activities_raw WHERE user_id = 11',
      );
      expect(rows).toEqual([{ activity: 'Good Game', seconds: 40 }]);
    } finally {
      await ingestor.stop();
    }
  });
});
