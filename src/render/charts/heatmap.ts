// Weekday × hour heatmap: 7 rows (Monday first) of 24 cells, hour labels above, weekday labels to the
// left, and a colour-scale legend under the grid. Colour is a sequential ramp from the empty-cell grey
// through Discord blurple to near white, so "more" always reads as "brighter" on the dark background.
import { font } from '../fonts.js';
import { linearGradient } from '../gradient.js';
import { clear, drawHeader, layoutScale, type Ctx } from '../layout.js';
import type { HeatmapSpec } from '../spec.js';
import { darkTheme, type Rgba, type Theme } from '../theme.js';
import { formatValue } from './format.js';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** Ramp stops as [r, g, b]; index 0 is an empty cell. */
const RAMP: readonly (readonly [number, number, number])[] = [
  [0x38, 0x3a, 0x40],
  [0x2f, 0x3c, 0x8c],
  [0x58, 0x65, 0xf2],
  [0x9d, 0xa7, 0xff],
  [0xee, 0xf0, 0xff],
];

/** Colour for t in [0, 1]; exact zero keeps the empty grey so "nothing" differs from "a little". */
export function rampRgba(t: number): Rgba {
  const x = Math.min(1, Math.max(0, t));
  const c = RAMP[0] as readonly number[];
  if (x === 0) return [c[0] as number, c[1] as number, c[2] as number, 1];
  // Non-zero values start at the first coloured stop.
  const pos = 1 + x * (RAMP.length - 2);
  const i = Math.min(RAMP.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = RAMP[i] as readonly number[];
  const b = RAMP[i + 1] as readonly number[];
  const mix = (k: number): number => (a[k] as number) + ((b[k] as number) - (a[k] as number)) * f;
  return [mix(0), mix(1), mix(2), 1];
}

export function rampColor(t: number): string {
  const [r, g, b] = rampRgba(t);
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

export function drawHeatmap(ctx: Ctx, spec: HeatmapSpec, theme: Theme = darkTheme): void {
  const { width, height } = clear(ctx, theme, spec);
  const s = layoutScale(width, height);
  const pad = Math.round(24 * s);
  const header = drawHeader(ctx, theme, s, width, pad, spec.title, spec.subtitle, []);
  const fmt = spec.valueFormat ?? 'number';
  const labelSize = Math.round(13 * s);
  const legendH = Math.round(44 * s);

  ctx.font = font(labelSize);
  const dayW = Math.max(...WEEKDAYS.map((d) => ctx.measureText(d).width));
  const gridLeft = pad + dayW + 12 * s;
  const gridTop = header.bottom + labelSize + 10 * s;
  const gridRight = width - pad;
  const gridBottom = height - pad - legendH;
  const gap = Math.max(1, Math.round(3 * s));
  const cellW = (gridRight - gridLeft + gap) / 24;
  const cellH = Math.max(2, (gridBottom - gridTop + gap) / 7);
  const radius = Math.min(4 * s, cellW / 4, cellH / 4);

  let max = 0;
  for (const row of spec.cells) for (const v of row) if (v > max) max = v;

  // Hour labels: every 3 hours when cells are narrow, every 2 otherwise.
  ctx.fillStyle = theme.mutedText;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  const every = cellW < 40 * s ? 3 : 2;
  for (let h = 0; h < 24; h += every) {
    ctx.fillText(String(h).padStart(2, '0'), gridLeft + h * cellW + (cellW - gap) / 2, gridTop - 6 * s);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  WEEKDAYS.forEach((d, i) => {
    ctx.fillStyle = i >= 5 ? theme.text : theme.mutedText; // weekends stand out a little
    ctx.fillText(d, gridLeft - 12 * s, gridTop + i * cellH + (cellH - gap) / 2);
  });

  spec.cells.forEach((row, d) => {
    row.forEach((v, h) => {
      ctx.fillStyle = rampColor(max > 0 ? v / max : 0);
      ctx.beginPath();
      // Whole-pixel edges: crisp, and one shade per cell instead of a blend column on every side.
      const x0 = Math.round(gridLeft + h * cellW);
      const y0 = Math.round(gridTop + d * cellH);
      ctx.roundRect(
        x0,
        y0,
        Math.round(gridLeft + (h + 1) * cellW - gap) - x0,
        Math.round(gridTop + (d + 1) * cellH - gap) - y0,
        radius,
      );
      ctx.fill();
    });
  });

  // Legend: a gradient bar with the range under it, right-aligned under the grid; the peak on the left.
  const barW = Math.min(320 * s, (gridRight - gridLeft) * 0.5);
  const barH = Math.round(10 * s);
  const barX = gridRight - barW;
  const barY = gridBottom + 12 * s;
  ctx.fillStyle = linearGradient(
    ctx,
    'x',
    barX,
    barX + barW,
    Array.from({ length: 11 }, (_, i) => ({ offset: i / 10, color: rampRgba(i / 10) })),
  );
  ctx.beginPath();
  ctx.roundRect(barX, barY, barW, barH, barH / 2);
  ctx.fill();
  ctx.font = font(Math.round(12 * s));
  ctx.fillStyle = theme.mutedText;
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText('0', barX, barY + barH + 5 * s);
  ctx.textAlign = 'center';
  ctx.fillText(formatValue(max / 2, fmt), barX + barW / 2, barY + barH + 5 * s);
  ctx.textAlign = 'right';
  ctx.fillText(formatValue(max, fmt), barX + barW, barY + barH + 5 * s);

  // Busiest slot, in words: the one fact people look for first.
  let best: [number, number] | null = null;
  spec.cells.forEach((row, d) =>
    row.forEach((v, h) => {
      if (v > 0 && (!best || v > (spec.cells[best[0]]?.[best[1]] ?? 0))) best = [d, h];
    }),
  );
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.font = font(Math.round(14 * s));
  ctx.fillStyle = theme.mutedText;
  const peak: [number, number] | null = best;
  const note = peak
    ? `Busiest: ${WEEKDAYS[peak[0]]} ${String(peak[1]).padStart(2, '0')}:00–${String((peak[1] + 1) % 24).padStart(2, '0')}:00 (${formatValue(max, fmt)})`
    : 'No activity in this period';
  ctx.fillText(note, gridLeft, barY + barH / 2 + 6 * s);
}
