// The render pool end to end on real PNGs: decoded, measured by pixels, compared byte for byte.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { renderDuration } from '../src/metrics.js';
import { formatTick, niceScale } from '../src/render/charts/scale.js';
import { timeTicks } from '../src/render/charts/time.js';
import { FONT_FAMILY, FONT_STACK, registerFonts } from '../src/render/fonts.js';
import { RenderError, RenderPool } from '../src/render/pool.js';
import { ChartSpecError, type ChartSpec, type LineChartSpec } from '../src/render/spec.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 2, 1);
const BG = [0x2b, 0x2d, 0x31];
const logger = createLogger('silent');

function series(name: string, n: number, f: (i: number) => number | null): LineChartSpec['series'][number] {
  return { name, points: Array.from({ length: n }, (_, i) => ({ t: START + i * HOUR, v: f(i) })) };
}

function lineSpec(over: Partial<LineChartSpec> = {}): LineChartSpec {
  return {
    kind: 'line',
    title: 'Messages per hour',
    subtitle: 'Last 7 days',
    timeZone: 'Europe/Berlin',
    bucketMs: HOUR,
    series: [series('Messages', 168, (i) => 1000 + Math.round(800 * Math.sin(i / 6)))],
    ...over,
  };
}

async function pixels(png: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

type Img = Awaited<ReturnType<typeof pixels>>;

/** Pixels in the rectangle that match the predicate. */
function count(
  img: Img,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  pred: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * img.width + x) * 4;
      if (pred(img.data[o] as number, img.data[o + 1] as number, img.data[o + 2] as number)) n++;
    }
  }
  return n;
}

/** Clearly brighter than the background: text, not grid lines (which sit close to it). */
const bright = (r: number, g: number, b: number): boolean =>
  Math.abs(r - (BG[0] as number)) + Math.abs(g - (BG[1] as number)) + Math.abs(b - (BG[2] as number)) > 120;
/** The first palette colour (blurple #5865f2): its line and the upper part of its area fill. */
const blurple = (r: number, g: number, b: number): boolean => b > 90 && b - r > 30 && b - g > 25;

describe('render pool', () => {
  let pool: RenderPool;
  beforeAll(() => {
    pool = new RenderPool({ threads: 2, logger });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('returns a decodable PNG of the requested size, default 1200x600', async () => {
    const png = await pool.render(lineSpec());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    writeFileSync(path.join(tmpdir(), 'render-test-line.png'), png);
    const img = await pixels(png);
    expect([img.width, img.height]).toEqual([1200, 600]);
    const small = await pixels(await pool.render(lineSpec({ width: 640, height: 360 })));
    expect([small.width, small.height]).toEqual([640, 360]);
    // Each render is timed on the main thread, labelled by kind.
    const counts = (await renderDuration.get()).values.filter(
      (v) => v.metricName === 'stats_render_duration_seconds_count',
    );
    expect(counts.find((v) => v.labels.kind === 'line')?.value).toBeGreaterThanOrEqual(2);
  });

  it('draws the title, and nothing there when the title is empty', async () => {
    const withTitle = await pixels(await pool.render(lineSpec({ subtitle: undefined })));
    const without = await pixels(await pool.render(lineSpec({ title: '', subtitle: undefined })));
    const titled = count(withTitle, 0, 0, 500, 50, bright);
    expect(titled).toBeGreaterThan(400);
    expect(count(without, 0, 0, 500, 50, bright)).toBeLessThan(10);
  });

  it('draws y-axis labels', async () => {
    const img = await pixels(await pool.render(lineSpec()));
    // Left strip between the header and the x labels: only the tick labels are drawn there.
    expect(count(img, 0, 100, 45, 520, (r, g, b) => r + g + b > 300)).toBeGreaterThan(100);
  });

  it('is deterministic: the same spec gives the same bytes, on any worker', async () => {
    const spec = lineSpec({ series: [series('a', 720, (i) => i % 50), series('b', 720, (i) => (i * 7) % 33)] });
    const outs = await Promise.all([pool.render(spec), pool.render(spec), pool.render(spec)]);
    expect(outs[1]?.equals(outs[0] as Buffer)).toBe(true);
    expect(outs[2]?.equals(outs[0] as Buffer)).toBe(true);
  });

  it('renders several series and shows null gaps as breaks', async () => {
    // Series 0 is null for the middle third of the week; the other series stay below its area.
    const spec = lineSpec({
      series: [
        series('Messages', 168, (i) => (i >= 56 && i < 112 ? null : 5000)),
        series('Voice', 168, () => 100),
        series('Reactions', 168, (i) => (i % 24 === 3 ? null : 200)),
      ],
    });
    const png = await pool.render(spec);
    writeFileSync(path.join(tmpdir(), 'render-test-gaps.png'), png);
    const img = await pixels(png);
    // Plot spans roughly x 60..1150; the gap's centre is at the middle of the plot.
    const inGap = count(img, 595, 80, 605, 530, blurple);
    const beforeGap = count(img, 250, 80, 260, 530, blurple);
    expect(beforeGap).toBeGreaterThan(50);
    expect(inGap).toBe(0);
    // Legend swatches for all three series in the top-right corner.
    expect(count(img, 700, 0, 1200, 60, (r, g, b) => g > 180 && r < 150 && b < 170)).toBeGreaterThan(20); // green
    expect(count(img, 700, 0, 1200, 60, (r, g, b) => r > 200 && g > 200 && b < 150)).toBeGreaterThan(20); // yellow
  });

  it('renders empty and all-null data without failing', async () => {
    for (const s of [[], [series('x', 24, () => null)], [{ name: 'one', points: [{ t: START, v: 3 }] }]]) {
      const img = await pixels(await pool.render(lineSpec({ series: s })));
      expect(img.width).toBe(1200);
    }
  });

  it('handles 8 concurrent renders on 2 threads', async () => {
    const specs = Array.from({ length: 8 }, (_, k) =>
      lineSpec({ title: `Chart ${k}`, series: [series('s', 720, (i) => (i * (k + 1)) % 97)] }),
    );
    const outs = await Promise.all(specs.map((s) => pool.render(s)));
    for (const png of outs) expect((await pixels(png)).width).toBe(1200);
    expect(new Set(outs.map((b) => b.toString('base64'))).size).toBe(8);
  });

  it('rejects bad specs with a clear error and keeps working', async () => {
    await expect(pool.render({ ...lineSpec(), kind: 'pie' } as unknown as ChartSpec)).rejects.toThrow(
      /unknown chart kind "pie"/,
    );
    await expect(pool.render(lineSpec({ width: 0 }))).rejects.toThrow(ChartSpecError);
    await expect(pool.render(lineSpec({ width: 0 }))).rejects.toThrow(/width must be an integer from 1/);
    await expect(pool.render(lineSpec({ timeZone: 'Mars/Olympus' }))).rejects.toThrow(/unknown time zone/);
    const bad = lineSpec({ series: [{ name: 'x', points: [{ t: START, v: Number.NaN }] }] });
    await expect(pool.render(bad)).rejects.toThrow(/series\[0\]\.points\[0\]\.v must be a finite number or null/);
    await expect(pool.render(lineSpec({ bucketMs: () => 1 } as unknown as LineChartSpec))).rejects.toThrow(
      /not serialisable/,
    );
    expect((await pixels(await pool.render(lineSpec()))).width).toBe(1200);
  });
});

describe('render pool failure handling', () => {
  // A stand-in worker speaking the same protocol, to make a worker crash, throw or hang on demand.
  const dir = mkdtempSync(path.join(tmpdir(), 'render-pool-'));
  const fake = path.join(dir, 'fake-worker.mjs');
  writeFileSync(
    fake,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', ({ id, spec }) => {
  if (spec.title === 'exit') process.exit(3);
  if (spec.title === 'throw') throw new Error('boom');
  if (spec.title === 'hang') return;
  const png = new ArrayBuffer(4);
  parentPort.postMessage({ id, png }, [png]);
});
parentPort.postMessage({ ready: true });
`,
  );
  const broken = path.join(dir, 'broken-worker.mjs');
  writeFileSync(broken, `throw new Error('cannot load');\n`);

  it('rejects the crashed task, replaces the worker and carries on', async () => {
    const pool = new RenderPool({ threads: 1, logger, workerUrl: pathToFileURL(fake) });
    try {
      const crash = pool.render(lineSpec({ title: 'exit' }));
      const after = pool.render(lineSpec({ title: 'ok' })); // queued behind the crash on the only worker
      await expect(crash).rejects.toThrow(/render worker crashed while drawing a line chart \(exit code 3\)/);
      expect((await after).length).toBe(4);
      await expect(pool.render(lineSpec({ title: 'throw' }))).rejects.toThrow(/crashed.*boom/);
      expect((await pool.render(lineSpec({ title: 'ok' }))).length).toBe(4);
    } finally {
      await pool.close();
    }
  });

  it('times out a hung render and replaces the worker', async () => {
    const pool = new RenderPool({ threads: 1, logger, workerUrl: pathToFileURL(fake), taskTimeoutMs: 200 });
    try {
      await expect(pool.render(lineSpec({ title: 'hang' }))).rejects.toThrow(RenderError);
      await expect(pool.render(lineSpec({ title: 'hang' }))).rejects.toThrow(/timed out after 200 ms/);
      expect((await pool.render(lineSpec({ title: 'ok' }))).length).toBe(4);
    } finally {
      await pool.close();
    }
  });

  it('fails queued renders when workers cannot start', async () => {
    const pool = new RenderPool({ threads: 1, logger, workerUrl: pathToFileURL(broken) });
    try {
      await expect(pool.render(lineSpec())).rejects.toThrow(/render worker failed to start \(cannot load\)/);
    } finally {
      await pool.close();
    }
  });

  it('rejects pending and new renders on close', async () => {
    const pool = new RenderPool({ threads: 1, logger, workerUrl: pathToFileURL(fake) });
    const pending = expect(pool.render(lineSpec({ title: 'hang' }))).rejects.toThrow(/closed/);
    await expect.poll(() => pool.queued).toBe(0); // the render is running on the worker
    await pool.close();
    await pending;
    await expect(pool.render(lineSpec())).rejects.toThrow(/closed/);
  });
});

describe('fonts', () => {
  it('registers DejaVu from the npm package under our own family, regular and bold', () => {
    registerFonts();
    registerFonts(); // idempotent
    const fam = GlobalFonts.families.filter((f) => f.family === FONT_FAMILY);
    expect(fam).toHaveLength(1);
    expect(fam[0]?.styles.map((s) => s.weight).sort()).toEqual([400, 700]);
    expect(FONT_STACK.startsWith(`"${FONT_FAMILY}"`)).toBe(true);
  });
});

describe('axis maths', () => {
  it('picks nice ticks and abbreviates', () => {
    expect(niceScale(0, 4730, 6, true).ticks).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(niceScale(0, 1, 6, true).ticks).toEqual([0, 1]);
    expect(niceScale(-120, 380, 6, true).ticks).toEqual([-200, -100, 0, 100, 200, 300, 400]);
    expect(niceScale(0, 0.7, 6, false).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceScale(0, 1_200, 6, true).ticks).toEqual([0, 250, 500, 750, 1000, 1250]);
    expect([0, 250, 1000, 1250].map((v) => formatTick(v, 250))).toEqual(['0', '250', '1k', '1.25k']);
    expect(formatTick(2_500_000, 500_000)).toBe('2.5M');
    expect(formatTick(-1500, 500)).toBe('-1.5k');
    expect(formatTick(3e9, 1e9)).toBe('3B');
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
  });

  it('places time ticks on local boundaries of the zone, across DST', () => {
    // 2025-03-09 is the US spring-forward day: daily ticks must still sit on New York midnights.
    const from = Date.UTC(2025, 2, 5);
    const ticks = timeTicks(from, from + 10 * DAY, {
      timeZone: 'America/New_York',
      locale: 'en-US',
      bucketMs: HOUR,
      maxTicks: 12,
    });
    const hour = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' });
    expect(ticks.length).toBe(10);
    for (const t of ticks) expect(hour.format(t.t)).toBe('00');
    expect(ticks[0]?.label).toBe('Mar 5');
    expect(ticks[0]?.context).toBe('2025');
    expect(ticks[1]?.context).toBeUndefined();

    const hourly = timeTicks(from, from + DAY, {
      timeZone: 'Asia/Kolkata',
      locale: 'en-US',
      bucketMs: HOUR,
      maxTicks: 8,
    });
    expect(hourly.map((t) => t.label)).toEqual([
      '06:00',
      '09:00',
      '12:00',
      '15:00',
      '18:00',
      '21:00',
      '00:00',
      '03:00',
    ]);
  });
});
