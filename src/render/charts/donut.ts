// Donut chart of shares: the ring on the left with the total in the hole, a legend on the right with
// label, value and percentage per slice. Slices are shown largest first; beyond MAX_SLICES the smallest
// are merged into one "Other" slice so no wedge is too thin to see or name.
import { font } from '../fonts.js';
import { clear, drawEmpty, drawHeader, fitText, layoutScale, type Ctx } from '../layout.js';
import { drawText } from '../text.js';
import type { DonutSpec } from '../spec.js';
import { darkTheme, seriesColor, type Theme } from '../theme.js';
import { formatValue } from './format.js';

export const MAX_SLICES = 8;
const OTHER_COLOR = '#80848e';

export interface Slice {
  label: string;
  value: number;
  other: boolean;
}

/** Largest first (ties keep input order); more than MAX_SLICES become the top MAX_SLICES-1 plus "Other". */
export function groupSlices(slices: DonutSpec['slices']): Slice[] {
  const sorted = slices
    .map((sl, i) => ({ ...sl, i }))
    .filter((sl) => sl.value > 0)
    .sort((a, b) => b.value - a.value || a.i - b.i)
    .map((sl) => ({ label: sl.label, value: sl.value, other: false }));
  if (sorted.length <= MAX_SLICES) return sorted;
  const kept = sorted.slice(0, MAX_SLICES - 1);
  const rest = sorted.slice(MAX_SLICES - 1);
  kept.push({ label: `Other (${rest.length})`, value: rest.reduce((a, b) => a + b.value, 0), other: true });
  return kept;
}

function percent(v: number, total: number): string {
  const p = (v / total) * 100;
  return p >= 10 || p === 0 ? `${Math.round(p)}%` : p >= 0.1 ? `${p.toFixed(1)}%` : '<0.1%';
}

export function drawDonut(ctx: Ctx, spec: DonutSpec, theme: Theme = darkTheme): void {
  const { width, height } = clear(ctx, theme, spec);
  const s = layoutScale(width, height);
  const pad = Math.round(24 * s);
  const header = drawHeader(ctx, theme, s, width, pad, spec.title, spec.subtitle, []);
  const fmt = spec.valueFormat ?? 'number';
  const top = header.bottom;
  const availH = height - pad - top;
  const slices = groupSlices(spec.slices);
  const total = slices.reduce((a, b) => a + b.value, 0);

  const r = Math.max(4, Math.min(availH / 2, (width - 2 * pad) * 0.22));
  // Ring and legend are centred together, so a wide canvas does not leave an empty right half.
  const gapW = 40 * s;
  const legendW = Math.min(width - 2 * pad - 2 * r - gapW, 560 * s);
  const cx = Math.max(pad, (width - (2 * r + gapW + legendW)) / 2) + r;
  const cy = top + availH / 2;
  const thickness = r * 0.38;

  // Ring track (visible when empty, and as hairlines between slices).
  ctx.fillStyle = theme.grid;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.arc(cx, cy, r - thickness, 0, Math.PI * 2, true);
  ctx.fill();
  if (total <= 0) {
    drawEmpty(ctx, theme, s, cx + r + 24 * s, top, width - pad - (cx + r + 24 * s), availH);
    return;
  }

  const colors = slices.map((sl, i) => (sl.other ? OTHER_COLOR : seriesColor(theme, i)));
  // Slices start at 12 o'clock and go clockwise; a 1.5 px background gap separates neighbours.
  let a = -Math.PI / 2;
  slices.forEach((sl, i) => {
    const sweep = (sl.value / total) * Math.PI * 2;
    ctx.fillStyle = colors[i] as string;
    ctx.beginPath();
    ctx.arc(cx, cy, r, a, a + sweep);
    ctx.arc(cx, cy, r - thickness, a + sweep, a, true);
    ctx.closePath();
    ctx.fill();
    if (slices.length > 1) {
      ctx.strokeStyle = theme.background;
      ctx.lineWidth = 2 * s;
      ctx.beginPath();
      ctx.moveTo(cx + Math.cos(a) * (r - thickness - 1), cy + Math.sin(a) * (r - thickness - 1));
      ctx.lineTo(cx + Math.cos(a) * (r + 1), cy + Math.sin(a) * (r + 1));
      ctx.stroke();
    }
    a += sweep;
  });

  // Total in the hole.
  const hole = r - thickness;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = theme.text;
  ctx.font = font(Math.round(Math.min(30 * s, hole * 0.42)), 'bold');
  ctx.fillText(fitText(ctx, formatValue(total, fmt), hole * 1.6), cx, cy - 8 * s);
  ctx.fillStyle = theme.mutedText;
  ctx.font = font(Math.round(Math.min(14 * s, hole * 0.22)));
  ctx.fillText('total', cx, cy + 16 * s);

  // Legend: swatch, label (ellipsised), value and percentage right-aligned in two columns.
  const legLeft = cx + r + gapW;
  const legRight = legLeft + legendW;
  const rowH = Math.min(40 * s, availH / slices.length);
  const size = Math.round(Math.min(17 * s, Math.max(11, rowH * 0.5)));
  ctx.font = font(size, 'bold');
  const pctW = Math.max(...slices.map((sl) => ctx.measureText(percent(sl.value, total)).width));
  ctx.font = font(size);
  const valW = Math.max(...slices.map((sl) => ctx.measureText(formatValue(sl.value, fmt)).width));
  const labelW = legRight - legLeft - 26 * s - valW - pctW - 36 * s;
  const legTop = cy - (rowH * slices.length) / 2;
  slices.forEach((sl, i) => {
    const y = legTop + rowH * i + rowH / 2;
    ctx.fillStyle = colors[i] as string;
    ctx.beginPath();
    ctx.roundRect(legLeft, y - 7 * s, 14 * s, 14 * s, 4 * s);
    ctx.fill();
    ctx.textAlign = 'left';
    ctx.font = font(size);
    ctx.fillStyle = sl.other ? theme.mutedText : theme.text;
    drawText(ctx, fitText(ctx, sl.label, labelW), legLeft + 26 * s, y);
    ctx.textAlign = 'right';
    ctx.fillStyle = theme.mutedText;
    ctx.fillText(formatValue(sl.value, fmt), legRight - pctW - 24 * s, y);
    ctx.font = font(size, 'bold');
    ctx.fillStyle = theme.text;
    ctx.fillText(percent(sl.value, total), legRight, y);
  });
}
