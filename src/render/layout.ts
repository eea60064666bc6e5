// Drawing helpers shared by every chart kind: text fitting, header (title, subtitle, legend).
import type { SKRSContext2D } from '@napi-rs/canvas';
import { font } from './fonts.js';
import { DEFAULT_HEIGHT, DEFAULT_WIDTH } from './spec.js';
import { drawText, fitText, textWidth } from './text.js';
import type { Theme } from './theme.js';

export { fitText };

export type Ctx = SKRSContext2D;

/** Layout scale: sizes are designed for 1200x600 and grow or shrink with the canvas (within limits). */
export function layoutScale(width: number, height: number): number {
  return Math.min(2, Math.max(0.7, Math.min(width / DEFAULT_WIDTH, height / DEFAULT_HEIGHT)));
}

/** Crisp 1 px lines: canvas pixels are centred on .5. */
export const snap = (v: number): number => Math.round(v) + 0.5;

/** Fills the whole canvas with the theme background; returns the canvas size. */
export function clear(
  ctx: Ctx,
  theme: Theme,
  spec: { width?: number; height?: number },
): { width: number; height: number } {
  const width = spec.width ?? DEFAULT_WIDTH;
  const height = spec.height ?? DEFAULT_HEIGHT;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  return { width, height };
}

/** A centred muted message (e.g. "No data for this period") in the given box. */
export function drawEmpty(
  ctx: Ctx,
  theme: Theme,
  s: number,
  x: number,
  y: number,
  w: number,
  h: number,
  text = 'No data for this period',
): void {
  ctx.font = font(Math.round(18 * s));
  ctx.fillStyle = theme.mutedText;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(fitText(ctx, text, w), x + w / 2, y + h / 2);
}

export interface LegendItem {
  name: string;
  color: string;
}

export interface HeaderLayout {
  /** y where the content below the header may start. */
  bottom: number;
}

/**
 * Title and subtitle at the top left, legend at the top right, wrapping into rows if it is wide. The
 * title block keeps its height when the title is empty, so charts of one kind always line up.
 */
export function drawHeader(
  ctx: Ctx,
  theme: Theme,
  s: number,
  width: number,
  pad: number,
  title: string,
  subtitle: string | undefined,
  legend: LegendItem[],
): HeaderLayout {
  const titleSize = Math.round(26 * s);
  const subSize = Math.round(15 * s);
  const legendSize = Math.round(14 * s);
  const swatch = Math.round(12 * s);
  const itemGap = Math.round(20 * s);
  const rowH = Math.round(22 * s);

  // Legend first: it is fixed-size content, the title gets what is left.
  ctx.font = font(legendSize);
  const maxLegendW = Math.max((width - 2 * pad) * 0.5, 160 * s);
  const items = legend.map((it) => {
    const name = fitText(ctx, it.name, 220 * s);
    return { ...it, name, w: swatch + 8 * s + textWidth(ctx, name) };
  });
  const rows: (typeof items)[] = [];
  let row: typeof items = [];
  let rowW = 0;
  for (const it of items) {
    const add = (row.length ? itemGap : 0) + it.w;
    if (row.length && rowW + add > maxLegendW) {
      rows.push(row);
      row = [];
      rowW = 0;
    }
    rowW += row.length ? itemGap + it.w : it.w;
    row.push(it);
  }
  if (row.length) rows.push(row);
  let legendW = 0;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  rows.forEach((r, i) => {
    const w = r.reduce((acc, it, j) => acc + it.w + (j ? itemGap : 0), 0);
    legendW = Math.max(legendW, w);
    let x = width - pad - w;
    const cy = pad + rowH / 2 + i * rowH;
    for (const it of r) {
      ctx.fillStyle = it.color;
      ctx.beginPath();
      ctx.roundRect(x, cy - swatch / 2, swatch, swatch, 3 * s);
      ctx.fill();
      ctx.fillStyle = theme.mutedText;
      drawText(ctx, it.name, x + swatch + 8 * s, cy);
      x += it.w + itemGap;
    }
  });

  const textMaxW = width - 2 * pad - (legendW ? legendW + 32 * s : 0);
  ctx.textBaseline = 'top';
  ctx.fillStyle = theme.text;
  ctx.font = font(titleSize, 'bold');
  if (title) drawText(ctx, fitText(ctx, title, textMaxW), pad, pad);
  let bottom = pad + titleSize * 1.25;
  if (subtitle) {
    ctx.font = font(subSize);
    ctx.fillStyle = theme.mutedText;
    drawText(ctx, fitText(ctx, subtitle, textMaxW), pad, bottom + 4 * s);
    bottom += 4 * s + subSize * 1.3;
  }
  return { bottom: Math.max(bottom, pad + rows.length * rowH) + 18 * s };
}
