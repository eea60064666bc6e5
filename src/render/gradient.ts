// Linear gradients without dithering. Skia dithers canvas gradients: every pixel of a gradient gets
// ±1 level of ordered noise. The noise is invisible, but it gives a filled area hundreds of colours
// and rows that never repeat, which PNG compresses badly (the bench leaderboard, Skia-encoded, is
// 89 KB with it and 59 KB without). Here the colours are computed once per pixel column (or row) into
// a one-pixel strip that is repeated across the shape as a pattern: the same colours minus the noise.
import type { CanvasPattern } from '@napi-rs/canvas';
import type { Ctx } from './layout.js';
import type { Rgba } from './theme.js';

export interface GradientStop {
  /** 0..1 along the gradient. */
  offset: number;
  color: Rgba;
}

/**
 * A fill style that runs from `from` to `to` along the x or y axis of the canvas, with the given stops
 * (sorted by offset), padded with the end colours beyond them, as createLinearGradient would be. For a
 * context without a transform (the charts draw in canvas pixels).
 */
export function linearGradient(
  ctx: Ctx,
  axis: 'x' | 'y',
  from: number,
  to: number,
  stops: readonly GradientStop[],
): CanvasPattern {
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (!first || !last) throw new Error('a gradient needs at least one stop');
  const length = Math.max(1, axis === 'x' ? ctx.canvas.width : ctx.canvas.height);
  const data = new Uint8ClampedArray(length * 4);
  for (let i = 0; i < length; i++) {
    // Sampled at the pixel centre; premultiplied interpolation, as the canvas specification asks.
    const t = to === from ? 1 : (i + 0.5 - from) / (to - from);
    let k = 0;
    while (k < stops.length - 2 && t > (stops[k + 1] as GradientStop).offset) k++;
    const a = t <= first.offset ? first : t >= last.offset ? last : (stops[k] as GradientStop);
    const b = t <= first.offset ? first : t >= last.offset ? last : (stops[k + 1] as GradientStop);
    const f = b.offset > a.offset ? Math.min(1, Math.max(0, (t - a.offset) / (b.offset - a.offset))) : 0;
    const alpha = a.color[3] + (b.color[3] - a.color[3]) * f;
    for (let c = 0; c < 3; c++) {
      const pre = a.color[c]! * a.color[3] + (b.color[c]! * b.color[3] - a.color[c]! * a.color[3]) * f;
      data[i * 4 + c] = alpha > 0 ? Math.round(pre / alpha) : 0;
    }
    data[i * 4 + 3] = Math.round(alpha * 255);
  }
  const strip = axis === 'x' ? ctx.createImageData(length, 1) : ctx.createImageData(1, length);
  strip.data.set(data);
  // The strip's pixels sit on the canvas pixels (pattern origin at 0,0), so sampling is exact.
  const pattern = ctx.createPattern(strip, axis === 'x' ? 'repeat-y' : 'repeat-x');
  if (!pattern) throw new Error('could not create the gradient pattern');
  return pattern;
}
