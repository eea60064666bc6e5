// Bar, heatmap and donut charts and the line chart's new options, through the real worker pool: decoded
// PNGs measured by pixels, compared with committed golden images, and checked for glyphs that really
// drew (CJK and colour emoji, not tofu boxes). `UPDATE_GOLDEN=1` rewrites the golden images.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { formatAxis, formatValue, valueScale } from '../src/render/charts/format.js';
import { formatCount } from '../src/format.js';
import { groupSlices, MAX_SLICES } from '../src/render/charts/donut.js';
import { registerFonts, font } from '../src/render/fonts.js';
import { drawChart } from '../src/render/draw.js';
import { MAX_ERROR } from '../src/render/png.js';
import { RenderPool } from '../src/render/pool.js';
import {
  ChartSpecError,
  type BarChartSpec,
  type ChartSpec,
  type DonutSpec,
  type HeatmapSpec,
  type LineChartSpec,
} from '../src/render/spec.js';
import { emojiSegments, fitText } from '../src/render/text.js';

const GOLDEN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');
const HOUR = 3_600_000;
const BG = [0x2b, 0x2d, 0x31] as const;
const logger = createLogger('silent');

function barSpec(over: Partial<BarChartSpec> = {}): BarChartSpec {
  return {
    kind: 'bar',
    title: 'Top channels',
    subtitle: 'Messages, last 30 days',
    rows: [
      { label: '日本語チャンネル', value: 48_213, detail: '31%' },
      { label: '🎮 gaming', value: 30_120 },
      { label: 'Привет', value: 12_004 },
      { label: '👨‍👩‍👧 family', value: 9_876 },
      { label: 'a-very-long-channel-name-that-goes-on-and-on-forever-and-ever', value: 5_321 },
      { label: 'general', value: 4_200 },
      { label: 'memes 😂🔥', value: 1_200 },
      { label: 'help', value: 17 },
    ],
    ...over,
  };
}

function heatmapSpec(over: Partial<HeatmapSpec> = {}): HeatmapSpec {
  const cells = Array.from({ length: 7 }, (_, d) =>
    Array.from({ length: 24 }, (_, h) =>
      Math.round(Math.max(0, 100 * Math.sin(((h - 6) / 24) * Math.PI)) * (d >= 5 ? 1.6 : 1) + ((d * 7 + h * 13) % 17)),
    ),
  );
  return {
    kind: 'heatmap',
    title: 'When is the server active?',
    subtitle: 'Messages by hour, Europe/Berlin',
    cells,
    ...over,
  };
}

function donutSpec(over: Partial<DonutSpec> = {}): DonutSpec {
  const slices = [
    ['general', 5400],
    ['🎮 gaming', 3100],
    ['日本語', 1200],
    ['memes', 800],
    ['help', 400],
    ['off-topic', 300],
    ['music', 120],
    ['art', 60],
    ['bots', 30],
    ['x', 5],
  ].map(([label, value]) => ({ label: label as string, value: value as number }));
  return { kind: 'donut', title: 'Messages by channel', subtitle: 'Last 7 days', slices, ...over };
}

function lineSpec(over: Partial<LineChartSpec> = {}): LineChartSpec {
  const start = Date.UTC(2025, 0, 1);
  const points = Array.from({ length: 30 }, (_, i) => ({
    t: start + i * 24 * HOUR,
    v: Math.round(3600 * (3 + 2 * Math.sin(i / 3)) + ((i * 977) % 3000)),
  }));
  return {
    kind: 'line',
    title: 'Voice time',
    subtitle: 'Per day',
    bucketMs: 24 * HOUR,
    valueFormat: 'duration',
    smooth: true,
    series: [{ name: 'Voice', points }],
    ...over,
  };
}

const KINDS: Record<ChartSpec['kind'], () => ChartSpec> = {
  bar: barSpec,
  heatmap: heatmapSpec,
  donut: donutSpec,
  line: lineSpec,
};

interface Img {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

async function pixels(png: Buffer): Promise<Img> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

/** Pixels in [x0,x1)×[y0,y1) matching the predicate, given the pixel's channels. */
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

/** Pixels in the rectangle where any channel differs by more than `levels`. */
function diff(a: Img, b: Img, levels: number, x0 = 0, y0 = 0, x1 = a.width, y1 = a.height): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * a.width + x) * 4;
      for (let k = 0; k < 3; k++) {
        if (Math.abs((a.data[o + k] as number) - (b.data[o + k] as number)) > levels) {
          n++;
          break;
        }
      }
    }
  }
  return n;
}

const ink = (r: number, g: number, b: number): boolean =>
  Math.abs(r - BG[0]) + Math.abs(g - BG[1]) + Math.abs(b - BG[2]) > 120;
/** Saturated colour (emoji yellow/red/orange), never produced by the grey text or blurple bars. */
const warm = (r: number, g: number, b: number): boolean => r > 150 && r - b > 80;

// Golden comparison: at most 0.5 % of pixels may differ by more than 8 levels in any channel. That
// absorbs anti-aliasing and hinting differences of the same fonts between machines, and still fails
// on any real layout change (a moved label or bar changes several percent of the image). The goldens
// were written by Skia's lossless encoder, so the indexed PNGs the pool sends (png.ts) must also keep
// the look of the drawing to pass.
const GOLDEN_LEVELS = 8;
const GOLDEN_MAX_SHARE = 0.005;

describe('chart kinds', () => {
  let pool: RenderPool;
  beforeAll(() => {
    pool = new RenderPool({ threads: 2, logger });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('renders every kind to a decodable PNG of the requested size, with the title drawn', async () => {
    for (const [kind, make] of Object.entries(KINDS)) {
      const img = await pixels(await pool.render(make()));
      expect([kind, img.width, img.height]).toEqual([kind, 1200, 600]);
      expect(count(img, 0, 0, 400, 55, ink), `${kind} title`).toBeGreaterThan(400);
      const small = await pixels(await pool.render({ ...make(), width: 640, height: 360 }));
      expect([kind, small.width, small.height]).toEqual([kind, 640, 360]);
      const untitled = await pixels(await pool.render({ ...make(), title: '', subtitle: undefined }));
      expect(count(untitled, 0, 0, 400, 55, ink), `${kind} without title`).toBeLessThan(10);
    }
  });

  it('matches the golden images', async () => {
    const update = process.env.UPDATE_GOLDEN === '1';
    mkdirSync(GOLDEN_DIR, { recursive: true });
    for (const [kind, make] of Object.entries(KINDS)) {
      const png = await pool.render(make());
      const file = path.join(GOLDEN_DIR, `${kind}.png`);
      if (update || !existsSync(file)) {
        writeFileSync(file, png);
        expect(update, `${file} was missing and has been written; review and commit it`).toBe(true);
        continue;
      }
      const [got, want] = await Promise.all([pixels(png), pixels(readFileSync(file))]);
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      const share = diff(got, want, GOLDEN_LEVELS) / (got.width * got.height);
      if (share > GOLDEN_MAX_SHARE) writeFileSync(path.join(GOLDEN_DIR, `${kind}.actual.png`), png);
      expect(
        share,
        `${kind}: ${(share * 100).toFixed(2)} % of pixels differ (see ${kind}.actual.png)`,
      ).toBeLessThanOrEqual(GOLDEN_MAX_SHARE);
    }
    // The tolerance is not so loose that a real change passes: two swapped rows fail the comparison.
    const swapped = barSpec();
    swapped.rows = [swapped.rows[1], swapped.rows[0], ...swapped.rows.slice(2)] as BarChartSpec['rows'];
    const [got, want] = await Promise.all([
      pool.render(swapped).then(pixels),
      pixels(readFileSync(path.join(GOLDEN_DIR, 'bar.png'))),
    ]);
    expect(diff(got, want, GOLDEN_LEVELS) / (got.width * got.height)).toBeGreaterThan(GOLDEN_MAX_SHARE);
  });

  it('draws CJK and emoji labels as real glyphs, not blank and not tofu', async () => {
    // Row 1 holds the label under test; row 2 is long, so the name column is capped at the same width
    // whatever row 1 says and only row 1's label pixels can differ between the renders.
    const render = async (label: string): Promise<Img> =>
      pixels(
        await pool.render(
          barSpec({
            subtitle: undefined,
            rows: [
              { label, value: 10 },
              { label: 'x'.repeat(80), value: 5 },
            ],
          }),
        ),
      );
    const [empty, cjk, tofu, emoji] = await Promise.all([
      render(''),
      render('日本語チャンネル'),
      render('\uE000\uE001\uE002\uE003\uE004\uE005\uE006\uE007'),
      render('🎮🔥😂👨‍👩‍👧'),
    ]);
    const band = [52, 75, 440, 123] as const; // x0, y0, x1, y1 of row 1's name column
    expect(count(empty, ...band, ink)).toBe(0);
    expect(count(cjk, ...band, ink)).toBeGreaterThan(300);
    // Tofu boxes also draw ink; the CJK label must look different from them.
    expect(diff(cjk, tofu, 40, ...band)).toBeGreaterThan(300);
    // Emoji drew in colour (from Noto Color Emoji: DejaVu's few emoji glyphs are monochrome).
    expect(diff(emoji, empty, 40, ...band)).toBeGreaterThan(300);
    expect(count(emoji, ...band, warm)).toBeGreaterThan(50);
    expect(count(tofu, ...band, warm)).toBe(0);
    // The rest of the image is untouched by the label (the layout really was the same): compared exactly
    // on the drawn canvas, before the palette encoder (which picks its palette per image); the sent PNGs
    // agree there within twice the encoder's bound.
    registerFonts();
    const drawn = (label: string): Img => {
      const c = drawChart(
        barSpec({
          subtitle: undefined,
          rows: [
            { label, value: 10 },
            { label: 'x'.repeat(80), value: 5 },
          ],
        }),
      );
      return {
        width: c.width,
        height: c.height,
        data: new Uint8ClampedArray(c.getContext('2d').getImageData(0, 0, c.width, c.height).data),
      };
    };
    expect(diff(drawn('日本語チャンネル'), drawn(''), 0, 0, 130, 1200, 600)).toBe(0);
    expect(diff(cjk, empty, 2 * MAX_ERROR, 0, 130, 1200, 600)).toBe(0);
  });

  it('is deterministic for every kind, on any worker', async () => {
    for (const make of Object.values(KINDS)) {
      const outs = await Promise.all([pool.render(make()), pool.render(make()), pool.render(make())]);
      expect(outs[1]?.equals(outs[0] as Buffer)).toBe(true);
      expect(outs[2]?.equals(outs[0] as Buffer)).toBe(true);
    }
  });

  it('smooths lines only when asked, and handles empty data of every kind', async () => {
    const [straight, smooth] = await Promise.all([pool.render(lineSpec({ smooth: false })), pool.render(lineSpec())]);
    expect(diff(await pixels(straight), await pixels(smooth), 40)).toBeGreaterThan(500);
    const empties: ChartSpec[] = [
      barSpec({ rows: [] }),
      heatmapSpec({ cells: Array.from({ length: 7 }, () => new Array<number>(24).fill(0)) }),
      donutSpec({ slices: [] }),
      donutSpec({ slices: [{ label: 'a', value: 0 }] }),
    ];
    for (const spec of empties) expect((await pixels(await pool.render(spec))).width).toBe(1200);
    // A leaderboard longer than the canvas is cut with a note instead of shrinking into illegibility.
    const many = barSpec({ rows: Array.from({ length: 200 }, (_, i) => ({ label: `channel-${i}`, value: 200 - i })) });
    expect((await pixels(await pool.render(many))).height).toBe(600);
  });

  it('rejects bad specs with a ChartSpecError naming the field, and keeps working', async () => {
    const cells7x24 = heatmapSpec().cells;
    const bad: [unknown, RegExp][] = [
      [heatmapSpec({ cells: cells7x24.slice(0, 6) }), /cells must be 7 weekday rows/],
      [heatmapSpec({ cells: cells7x24.map((r, i) => (i === 3 ? r.slice(1) : r)) }), /cells\[3\] must have 24 hours/],
      [
        heatmapSpec({ cells: cells7x24.map((r, i) => (i === 2 ? r.map((v, h) => (h === 5 ? -1 : v)) : r)) }),
        /cells\[2\]\[5\]/,
      ],
      [
        donutSpec({
          slices: [
            { label: 'a', value: 3 },
            { label: 'b', value: -1 },
          ],
        }),
        /slices\[1\]\.value must be a finite number >= 0/,
      ],
      [barSpec({ rows: [{ label: 'a', value: Number.NaN }] }), /rows\[0\]\.value/],
      [
        barSpec({ rows: [{ label: 7, value: 1 }] as unknown as BarChartSpec['rows'] }),
        /rows\[0\]\.label must be a string/,
      ],
      [{ ...barSpec(), valueFormat: 'percent' }, /valueFormat must be 'number' or 'duration'/],
      [{ ...lineSpec(), smooth: 'yes' }, /smooth must be a boolean/],
      [{ kind: 'pie', title: 'x' }, /unknown chart kind "pie"/],
    ];
    for (const [spec, message] of bad) {
      const err = await pool.render(spec as ChartSpec).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChartSpecError);
      expect((err as Error).message).toMatch(message);
    }
    expect((await pixels(await pool.render(barSpec()))).width).toBe(1200);
  });
});

describe('value formats and text', () => {
  it('writes durations as h/m and counts with k/M', () => {
    expect(formatValue(11_520, 'duration')).toBe('3h 12m');
    expect(formatValue(7200, 'duration')).toBe('2h');
    expect(formatValue(45 * 60, 'duration')).toBe('45m');
    expect(formatValue(42, 'duration')).toBe('42s');
    expect(formatValue(3 * 86_400 + 4 * 3600 + 100, 'duration')).toBe('3d 4h');
    expect(formatCount(9876)).toBe('9,876');
    expect(formatCount(48_213)).toBe('48.2k');
    expect(formatCount(1_250_000)).toBe('1.25M');
    const y = valueScale(0, 5.5 * 3600, 7, true, 'duration');
    expect(y.ticks).toEqual([0, 1, 2, 3, 4, 5, 6].map((h) => h * 3600));
    expect(y.ticks.map((v) => formatAxis(v, y.step, 'duration'))).toEqual(['0', '1h', '2h', '3h', '4h', '5h', '6h']);
    const m = valueScale(0, 50 * 60, 6, true, 'duration');
    expect(m.step).toBe(600);
    expect(formatAxis(1800, m.step, 'duration')).toBe('30m');
    expect(formatAxis(250_000, 50_000, 'number')).toBe('250k');
  });

  it('groups everything beyond the largest slices into "Other", largest first', () => {
    const g = groupSlices(donutSpec().slices);
    expect(g).toHaveLength(MAX_SLICES);
    expect(g[0]?.label).toBe('general');
    expect(g[MAX_SLICES - 1]).toEqual({ label: 'Other (3)', value: 95, other: true });
    expect(
      groupSlices([
        { label: 'a', value: 1 },
        { label: 'b', value: 3 },
        { label: 'z', value: 0 },
      ]).map((s) => s.label),
    ).toEqual(['b', 'a']);
  });

  it('splits emoji runs whole and never cuts a grapheme when ellipsising', () => {
    expect(emojiSegments('general')).toBeNull();
    expect(emojiSegments('👨‍👩‍👧 family 🇯🇵')).toEqual([
      { text: '👨‍👩‍👧', emoji: true },
      { text: ' family ', emoji: false },
      { text: '🇯🇵', emoji: true },
    ]);
    registerFonts();
    const ctx = createCanvas(10, 10).getContext('2d');
    ctx.font = font(16);
    const text = '👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧 family 日本語チャンネル';
    const graphemes = (t: string): string[] =>
      Array.from(new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(t), (g) => g.segment);
    const all = graphemes(text);
    const seen = new Set<string>();
    for (let w = 20; w < 400; w += 7) {
      const cut = fitText(ctx, text, w);
      seen.add(cut);
      if (cut === text || cut === '') continue;
      expect(cut.endsWith('…')).toBe(true);
      const kept = graphemes(cut.slice(0, -1));
      // Every kept cluster is the original's cluster at that position: nothing was split.
      expect(kept).toEqual(all.slice(0, kept.length));
    }
    expect(seen.size).toBeGreaterThan(5);
  });
});
