// Invariant 7 on PostgreSQL: every message lands in the local hour, day, weekday and heatmap cell that
// ICU gives for its zone, for every distinct offset and kind of offset change between 2000 and 2036, and
// every total equals the sum of its series (helpers/zone-properties.ts; TimescaleDB: timescale.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/pool.js';
import { buildScenarios, checkScenarios, loadScenarios, type Scenario } from './helpers/zone-properties.js';
import { offsetAt } from './helpers/zones.js';
import { testDatabase } from './helpers/services.js';

let pool: Pool;
let drop: () => Promise<void>;
let scenarios: Scenario[];

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  pool = createPool(db.url);
  scenarios = buildScenarios();
  await loadScenarios(pool, scenarios);
}, 180_000);

afterAll(async () => {
  await pool?.end();
  await drop?.();
});

describe('exact in every zone (PostgreSQL)', () => {
  it('covers every distinct offset, every kind of offset change and the named zones', () => {
    const whys = scenarios.map((s) => s.why);
    const offsets = whys.filter((w) => w.startsWith('offset '));
    // Every offset in use, the half and three-quarter hours among them.
    for (const o of [
      '+05:30',
      '+05:45',
      '+08:45',
      '+12:45',
      '+13:45',
      '-03:30',
      '+10:30',
      '+14:00',
      '-11:00',
      '+00:00',
    ])
      expect(offsets).toContain(`offset ${o}`);
    for (const k of [
      'change +60m at 02:00',
      'change -60m at 03:00',
      'change +30m at 02:00',
      'change -30m at 02:00',
      'change +60m at 00:00',
      'change -60m at 00:01',
      'change +180m at 00:01',
      'change +1440m at 00:00',
    ]) {
      expect(whys).toContain(k);
    }
    expect(whys.filter((w) => w.startsWith('named '))).toHaveLength(11);
    // The scenario's focus really has the offset it is about (the reference agrees with itself).
    for (const s of scenarios.filter((x) => x.why.startsWith('offset '))) {
      const o = offsetAt(s.focus, s.zone);
      expect(
        `offset ${o < 0 ? '-' : '+'}${String(Math.floor(Math.abs(o) / 60)).padStart(2, '0')}:${String(Math.abs(o) % 60).padStart(2, '0')}`,
      ).toBe(s.why);
    }
    expect(scenarios.length).toBeGreaterThan(90);
  });

  it('puts every message and join in the local hour, day, weekday and heatmap cell ICU gives, totals equal to their series', async () => {
    const { failures, checks } = await checkScenarios(pool, scenarios);
    expect(failures.slice(0, 8).join('\n')).toBe('');
    expect(checks).toBeGreaterThan(scenarios.length * 10);
  }, 300_000);
});
