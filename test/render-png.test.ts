// The indexed PNG encoder (src/render/png.ts) against the truth: the canvas's own pixels before encoding,
// and PNGs decoded by Skia's decoder, which shares no code with our encoder.
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { drawChart, encodeChart } from '../src/render/draw.js';
import { encodeIndexedPng } from '../src/render/png.js';
import type { ChartSpec } from '../src/render/spec.js';
import { darkTheme } from '../src/render/theme.js';

const HOUR = 3_600_000;
/** What the encoder promises: no pixel more than 16 levels (6 %) from the drawing. */
const MAX_ERROR = 16;

interface Img {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

async function decode(png: Buffer): Promise<Img> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  c.getContext('2d').drawImage(img, 0, 0);
  return {
    width: img.width,
    height: img.height,
    data: c.getContext('2d').getImageData(0, 0, img.width, img.height).data,
  };
}

/** PNG colour type (IHDR byte 9): 3 is indexed, 6 is RGBA. */
const colourType = (png: Buffer): number => png[25] as number;

/** Largest per-channel difference at pixel p. */
function channelDiff(a: Uint8Array | Uint8ClampedArray, b: Uint8Array | Uint8ClampedArray, p: number): number {
  let m = 0;
  for (let k = 0; k < 4; k++) m = Math.max(m, Math.abs((a[p * 4 + k] as number) - (b[p * 4 + k] as number)));
  return m;
}

// A line chart over a gradient area with crossing series, a leaderboard with gradient bars, CJK and
// colour emoji, a heatmap and a donut: together every kind of colour a chart has.
const start = Date.UTC(2025, 0, 1);
let seed = 7;
const rnd = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const SPECS: ChartSpec[] = [
  {
    kind: 'line',
    title: 'Messages',
    subtitle: 'Hourly',
    bucketMs: HOUR,
    smooth: true,
    series: ['a', 'b', 'c'].map((name, k) => ({
      name,
      points: Array.from({ length: 24 * 14 }, (_, i) => ({
        t: start + i * HOUR,
        v: Math.round((k + 1) * 300 * (1.2 + Math.sin(i / 4)) + 200 * rnd()),
      })),
    })),
  },
  {
    kind: 'bar',
    title: 'Top members',
    subtitle: 'Messages',
    rows: ['🎮 player', '日本語チャンネル', 'Привет', 'member'].map((label, i) => ({ label, value: 1000 - i * 200 })),
  },
  {
    kind: 'heatmap',
    title: 'Activity by hour',
    cells: Array.from({ length: 7 }, (_, d) =>
      Array.from({ length: 24 }, (_, h) => Math.round(50 + 45 * Math.sin(h / 4) + d * 7)),
    ),
  },
  {
    kind: 'donut',
    title: 'Channels',
    slices: Array.from({ length: 9 }, (_, i) => ({ label: `channel-${i}`, value: 900 - i * 90 })),
  },
];

describe('indexed PNG encoding', () => {
  it('encodes every chart kind as an indexed PNG within the error bound, the background exact', async () => {
    for (const spec of SPECS) {
      const canvas = drawChart(spec);
      const truth = canvas.data();
      const png = await encodeChart(canvas);
      expect([spec.kind, colourType(png)]).toEqual([spec.kind, 3]);
      const got = await decode(png);
      expect([got.width, got.height]).toEqual([canvas.width, canvas.height]);
      let worst = 0;
      let over8 = 0;
      const pixels = got.width * got.height;
      for (let p = 0; p < pixels; p++) {
        const d = channelDiff(truth, got.data, p);
        worst = Math.max(worst, d);
        if (d > 8) over8++;
      }
      expect(worst, `${spec.kind}: largest error`).toBeLessThanOrEqual(MAX_ERROR);
      // Only the edges of text and curves move more than 8 levels, and they are a small share.
      expect(over8 / pixels, `${spec.kind}: share of pixels off by more than 8 levels`).toBeLessThan(0.01);
      // The background (the theme's colour, not read from the code under test) is exact in the corner.
      const bg = Number.parseInt(darkTheme.background.slice(1), 16);
      for (const p of [0, got.width - 1, pixels - 1]) {
        expect(Array.from(got.data.subarray(p * 4, p * 4 + 4))).toEqual([
          (bg >> 16) & 255,
          (bg >> 8) & 255,
          bg & 255,
          255,
        ]);
      }
    }
  });

  it('keeps gradients smooth: no dither noise, no bands', async () => {
    // Enough colours (emoji, CJK, ten gradients) that the palette cannot hold them all: quantised.
    const canvas = drawChart(SPECS[1] as ChartSpec);
    const truth = canvas.data();
    expect(new Set(new Uint32Array(truth.buffer, truth.byteOffset, truth.length / 4)).size).toBeGreaterThan(256);
    const got = (await decode(await encodeChart(canvas))).data;
    const { width } = canvas;
    const at = (d: Uint8Array | Uint8ClampedArray, x: number, y: number): number[] =>
      Array.from(d.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));
    const diff = (a: number[], b: number[]): number => Math.max(...a.map((v, k) => Math.abs(v - (b[k] as number))));
    // The first bar: bright blue pixels across the middle of the canvas; y is a row inside it.
    const isBar = (x: number, y: number): boolean => {
      const [r, , b] = at(truth, x, y) as [number, number, number];
      return b > 200 && b - r > 80;
    };
    let y = 0;
    while (y < canvas.height && !isBar(width / 2, y)) y++;
    y += 6;
    let x0 = width / 2;
    while (isBar(x0 - 1, y)) x0--;
    let x1 = width / 2;
    while (isBar(x1 + 1, y)) x1++;
    expect(x1 - x0).toBeGreaterThan(400);
    for (let x = x0 + 8; x < x1 - 8; x++) {
      expect(at(truth, x, y + 1), `dither at x ${x}`).toEqual(at(truth, x, y)); // the drawing has no noise
      expect(diff(at(got, x, y), at(truth, x, y)), `x ${x}`).toBeLessThanOrEqual(1);
      expect(diff(at(got, x, y), at(got, x + 1, y)), `step at x ${x}`).toBeLessThanOrEqual(2);
    }
    // And it is a gradient: its ends are far apart.
    expect(diff(at(got, x0 + 8, y), at(got, x1 - 8, y))).toBeGreaterThan(20);
  });

  it('is lossless for images of at most 256 colours, translucent ones included', async () => {
    const canvas = createCanvas(64, 48);
    const ctx = canvas.getContext('2d');
    // Whole-pixel rectangles: no anti-aliasing, so exactly these colours (and the transparent rest).
    const fills = ['#ff0000', 'rgba(0, 128, 255, 0.5)', '#20c040', 'rgba(250, 250, 0, 0.25)'];
    fills.forEach((fill, i) => {
      ctx.fillStyle = fill;
      ctx.fillRect(i * 12, i * 8, 20, 20);
    });
    const truth = ctx.getImageData(0, 0, 64, 48).data; // unpremultiplied, as a decoder returns them
    const png = encodeIndexedPng(canvas.data(), 64, 48);
    expect(png).not.toBeNull();
    expect(colourType(png as Buffer)).toBe(3);
    const got = await decode(png as Buffer);
    for (let p = 0; p < 64 * 48; p++) {
      const alpha = truth[p * 4 + 3] as number;
      // Opaque pixels exact; translucent ones within the rounding of unpremultiplying.
      expect(channelDiff(truth, got.data, p), `pixel ${p} (alpha ${alpha})`).toBeLessThanOrEqual(
        alpha === 255 || alpha === 0 ? 0 : 1,
      );
    }
  });

  it('leaves photo-like images to the lossless encoder', async () => {
    const canvas = createCanvas(96, 64);
    const ctx = canvas.getContext('2d');
    const noise = ctx.createImageData(96, 64);
    for (let i = 0; i < noise.data.length; i += 4) {
      noise.data[i] = Math.floor(rnd() * 256);
      noise.data[i + 1] = Math.floor(rnd() * 256);
      noise.data[i + 2] = Math.floor(rnd() * 256);
      noise.data[i + 3] = 255;
    }
    ctx.putImageData(noise, 0, 0);
    expect(encodeIndexedPng(canvas.data(), 96, 64)).toBeNull();
    const png = await encodeChart(canvas);
    expect(colourType(png)).toBe(6);
    expect((await decode(png)).data).toEqual(noise.data);
  });

  it('is deterministic and rejects pixels that do not match the size', () => {
    const rgba = drawChart(SPECS[0] as ChartSpec).data();
    expect(encodeIndexedPng(rgba, 1200, 600)?.equals(encodeIndexedPng(Buffer.from(rgba), 1200, 600) as Buffer)).toBe(
      true,
    );
    expect(() => encodeIndexedPng(rgba, 1200, 599)).toThrow(/expected 2875200 bytes of RGBA, got 2880000/);
  });
});
