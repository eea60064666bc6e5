// Horizontal leaderboard: rank, name, bar, value. Rows are drawn in the order given (the caller ranks
// them); names that do not fit are ellipsised, never squeezed. If the canvas cannot hold every row at a
// legible size, the list is cut and the last line says how many were left out.
import { font } from '../fonts.js';
import { linearGradient } from '../gradient.js';
import { clear, drawEmpty, drawHeader, fitText, layoutScale, type Ctx } from '../layout.js';
import { drawText, textWidth } from '../text.js';
import type { BarChartSpec } from '../spec.js';
import { darkTheme, rgbaOf, withAlpha, type Theme } from '../theme.js';
import { formatValue } from './format.js';

/** Gold, silver, bronze for the podium ranks. */
const PODIUM = ['#f5c542', '#c9ced6', '#d08c55'] as const;

export function drawBarChart(ctx: Ctx, spec: BarChartSpec, theme: Theme = darkTheme): void {
  const { width, height } = clear(ctx, theme, spec);
  const s = layoutScale(width, height);
  const pad = Math.round(24 * s);
  const header = drawHeader(ctx, theme, s, width, pad, spec.title, spec.subtitle, []);
  const top = Math.round(header.bottom);
  const bottom = height - pad;
  const avail = Math.max(1, bottom - top);
  const fmt = spec.valueFormat ?? 'number';

  if (spec.rows.length === 0) return drawEmpty(ctx, theme, s, pad, top, width - 2 * pad, avail);

  // Rows are at most 48 px (scaled) and at least 20 px; below that the list is cut.
  const minRowH = 20 * s;
  let shown = spec.rows.length;
  if (avail / shown < minRowH) shown = Math.max(1, Math.floor(avail / minRowH) - 1);
  const hidden = spec.rows.length - shown;
  const rowH = Math.min(48 * s, avail / (shown + (hidden ? 1 : 0)));
  const textSize = Math.round(Math.min(18 * s, Math.max(11, rowH * 0.42)));
  const rows = spec.rows.slice(0, shown);

  // Columns: rank | name | bar | value (detail). Widths come from the widest content, within limits.
  ctx.font = font(textSize, 'bold');
  const rankW = ctx.measureText(`#${shown}`).width;
  ctx.font = font(textSize);
  const values = rows.map((r) => formatValue(r.value, fmt));
  const details = rows.map((r) => r.detail ?? '');
  const detailSize = Math.round(textSize * 0.85);
  const valueW = (i: number): number => {
    ctx.font = font(textSize, 'bold');
    let w = ctx.measureText(values[i] as string).width;
    if (details[i]) {
      ctx.font = font(detailSize);
      w += 8 * s + textWidth(ctx, details[i] as string);
    }
    return w;
  };
  const valueColW = Math.min(width * 0.3, Math.max(...rows.map((_, i) => valueW(i))));
  ctx.font = font(textSize);
  const nameMaxW = Math.max(...rows.map((r) => textWidth(ctx, r.label)));
  const nameLeft = pad + rankW + 14 * s;
  const nameColW = Math.min(nameMaxW, width * 0.32);
  const barLeft = Math.round(nameLeft + nameColW + 16 * s);
  const barRight = Math.round(width - pad - valueColW - 12 * s);
  const barW = Math.max(1, barRight - barLeft);
  const max = Math.max(...rows.map((r) => r.value));
  const barH = Math.max(4, Math.round(rowH * 0.56));
  const radius = Math.min(barH / 2, 6 * s);

  ctx.textBaseline = 'middle';
  rows.forEach((row, i) => {
    const cy = top + rowH * i + rowH / 2;
    // Zebra band so the eye can follow a long row from name to value.
    if (i % 2 === 1) {
      ctx.fillStyle = withAlpha(theme.grid, 0.35);
      ctx.fillRect(pad - 8 * s, Math.round(cy - rowH / 2), width - 2 * pad + 16 * s, Math.round(rowH));
    }
    ctx.font = font(textSize, 'bold');
    ctx.textAlign = 'right';
    ctx.fillStyle = PODIUM[i] ?? theme.mutedText;
    ctx.fillText(`#${i + 1}`, pad + rankW, cy);

    ctx.font = font(textSize);
    ctx.textAlign = 'left';
    ctx.fillStyle = theme.text;
    drawText(ctx, fitText(ctx, row.label, nameColW), nameLeft, cy);

    // Track, then the bar; a non-zero value always shows at least a sliver. Top and bottom edges on
    // whole pixels: crisp, with no blended row above and below every bar.
    const barTop = Math.round(cy - barH / 2);
    ctx.fillStyle = withAlpha(theme.grid, 0.8);
    ctx.beginPath();
    ctx.roundRect(barLeft, barTop, barW, barH, radius);
    ctx.fill();
    const len = max > 0 ? (row.value / max) * barW : 0;
    if (row.value > 0) {
      const w = Math.max(len, 2 * radius, 3);
      ctx.fillStyle = linearGradient(ctx, 'x', barLeft, barLeft + w, [
        { offset: 0, color: rgbaOf(theme.palette[0] as string) },
        { offset: 1, color: rgbaOf(i === 0 ? '#7983f5' : '#6b76f3') },
      ]);
      ctx.beginPath();
      ctx.roundRect(barLeft, barTop, w, barH, radius);
      ctx.fill();
    }

    let x = width - pad - valueColW;
    ctx.font = font(textSize, 'bold');
    ctx.fillStyle = theme.text;
    const value = values[i] as string;
    ctx.fillText(value, x, cy);
    x += ctx.measureText(value).width + 8 * s;
    if (details[i]) {
      ctx.font = font(detailSize);
      ctx.fillStyle = theme.mutedText;
      drawText(ctx, fitText(ctx, details[i] as string, width - pad - x), x, cy);
    }
  });

  if (hidden) {
    ctx.font = font(Math.round(textSize * 0.9));
    ctx.fillStyle = theme.mutedText;
    ctx.textAlign = 'left';
    ctx.fillText(`… and ${hidden} more`, nameLeft, top + rowH * shown + rowH / 2);
  }
}
