// Line/area time-series chart, drawn straight onto a 2D context. Pure: everything it draws comes from
// the spec and the theme, so the same spec always produces the same pixels.
import { drawHeader, fitText, layoutScale, snap, type Ctx } from '../layout.js';
import { font } from '../fonts.js';
import { linearGradient } from '../gradient.js';
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, type LineChartSpec, type TimePoint } from '../spec.js';
import { darkTheme, rgbaOf, seriesColor, withAlpha, type Theme } from '../theme.js';
import { tracePath } from './curve.js';
import { formatAxis, valueScale } from './format.js';
import { timeTicks } from './time.js';

function sortedPoints(points: TimePoint[]): TimePoint[] {
  for (let i = 1; i < points.length; i++) {
    if ((points[i] as TimePoint).t < (points[i - 1] as TimePoint).t) return [...points].sort((a, b) => a.t - b.t);
  }
  return points;
}

/** Runs of consecutive non-null points: a null ends a run, so the line shows a break there. */
function runs(points: TimePoint[]): { t: number; v: number }[][] {
  const out: { t: number; v: number }[][] = [];
  let cur: { t: number; v: number }[] = [];
  for (const p of points) {
    if (p.v === null) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push({ t: p.t, v: p.v });
  }
  if (cur.length) out.push(cur);
  return out;
}

export function drawLineChart(ctx: Ctx, spec: LineChartSpec, theme: Theme = darkTheme): void {
  const width = spec.width ?? DEFAULT_WIDTH;
  const height = spec.height ?? DEFAULT_HEIGHT;
  const s = layoutScale(width, height);
  const pad = Math.round(24 * s);
  const labelSize = Math.round(13 * s);
  const lineH = Math.round(17 * s);

  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);

  const series = spec.series.map((ser, i) => ({
    name: ser.name,
    color: ser.color ?? seriesColor(theme, i),
    runs: runs(sortedPoints(ser.points)),
  }));

  const header = drawHeader(ctx, theme, s, width, pad, spec.title, spec.subtitle, series);

  // Data extent. Null-only series still count for the time range: a silent day is still a day.
  let tMin = Infinity;
  let tMax = -Infinity;
  let vMin = Infinity;
  let vMax = -Infinity;
  let integers = true;
  for (const ser of spec.series) {
    for (const p of ser.points) {
      if (p.t < tMin) tMin = p.t;
      if (p.t > tMax) tMax = p.t;
      if (p.v === null) continue;
      if (p.v < vMin) vMin = p.v;
      if (p.v > vMax) vMax = p.v;
      if (integers && !Number.isInteger(p.v)) integers = false;
    }
  }
  const hasValues = vMin <= vMax;
  if (!hasValues) {
    vMin = 0;
    vMax = 0;
  }
  if (!(tMin <= tMax)) {
    // No points at all: an empty day ending now would be non-deterministic, so use the epoch.
    tMin = 0;
    tMax = spec.bucketMs;
  }
  if (tMin === tMax) {
    tMin -= spec.bucketMs;
    tMax += spec.bucketMs;
  }

  const plotTop = Math.round(header.bottom);
  const plotBottom = Math.round(height - pad - 2 * lineH - 6 * s);
  const plotH = Math.max(1, plotBottom - plotTop);
  const fmt = spec.valueFormat ?? 'number';
  const y = valueScale(vMin, vMax, Math.max(2, Math.min(7, Math.floor(plotH / (45 * s)) + 1)), integers, fmt);
  const yLabels = y.ticks.map((v) => formatAxis(v, y.step, fmt));
  ctx.font = font(labelSize);
  const yLabelW = Math.max(...yLabels.map((l) => ctx.measureText(l).width));
  const plotLeft = Math.round(pad + yLabelW + 12 * s);
  const plotRight = Math.round(width - pad - 24 * s); // room for half of the last x label
  const plotW = Math.max(1, plotRight - plotLeft);

  const xOf = (t: number): number => plotLeft + ((t - tMin) / (tMax - tMin)) * plotW;
  const yOf = (v: number): number => plotBottom - ((v - y.min) / (y.max - y.min)) * plotH;

  // Horizontal grid and y labels.
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  y.ticks.forEach((v, i) => {
    const yy = snap(yOf(v));
    ctx.strokeStyle = v === 0 ? theme.axis : theme.grid;
    ctx.beginPath();
    ctx.moveTo(plotLeft, yy);
    ctx.lineTo(plotRight, yy);
    ctx.stroke();
    ctx.fillStyle = theme.mutedText;
    ctx.fillText(yLabels[i] as string, plotLeft - 10 * s, yy);
  });

  // Vertical grid and x labels (time on the first line, the date/year on the second where it changes).
  const ticks = timeTicks(tMin, tMax, {
    timeZone: spec.timeZone ?? 'UTC',
    locale: spec.locale ?? 'en-US',
    bucketMs: spec.bucketMs,
    maxTicks: Math.floor(plotW / (95 * s)),
  });
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  let lastRight = -Infinity;
  for (const tick of ticks) {
    const xx = snap(xOf(tick.t));
    ctx.strokeStyle = withAlpha(theme.grid, 0.6);
    ctx.beginPath();
    ctx.moveTo(xx, plotTop);
    ctx.lineTo(xx, plotBottom);
    ctx.stroke();
    const w = Math.max(ctx.measureText(tick.label).width, tick.context ? ctx.measureText(tick.context).width : 0);
    // Keep labels on the canvas and never let two overlap (the tick line is still drawn).
    const cx = Math.min(Math.max(xx, w / 2 + 2), width - w / 2 - 2);
    if (cx - w / 2 < lastRight + 8 * s) continue;
    lastRight = cx + w / 2;
    ctx.fillStyle = theme.mutedText;
    ctx.fillText(tick.label, cx, plotBottom + 8 * s);
    if (tick.context) {
      ctx.fillStyle = theme.text;
      ctx.fillText(tick.context, cx, plotBottom + 8 * s + lineH);
    }
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(plotLeft, plotTop - 2, plotW, plotH + 4);
  ctx.clip();

  // Area under the first series, down to zero (or the nearest edge of the axis).
  const smooth = spec.smooth === true;
  const first = series[0];
  if (first) {
    const base = yOf(Math.min(Math.max(0, y.min), y.max));
    ctx.fillStyle = linearGradient(ctx, 'y', plotTop, plotBottom, [
      { offset: 0, color: rgbaOf(first.color, 0.35) },
      { offset: 1, color: rgbaOf(first.color, 0.03) },
    ]);
    for (const run of first.runs) {
      if (run.length < 2) continue;
      ctx.beginPath();
      ctx.moveTo(xOf((run[0] as { t: number }).t), base);
      tracePath(
        ctx,
        run.map((p) => ({ x: xOf(p.t), y: yOf(p.v) })),
        smooth,
        false,
      );
      ctx.lineTo(xOf((run[run.length - 1] as { t: number }).t), base);
      ctx.closePath();
      ctx.fill();
    }
  }

  // Lines, last series first so the first (the one with the area) ends up on top.
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  ctx.lineWidth = 2.5 * s;
  for (let i = series.length - 1; i >= 0; i--) {
    const ser = series[i] as (typeof series)[number];
    ctx.strokeStyle = ser.color;
    ctx.fillStyle = ser.color;
    for (const run of ser.runs) {
      if (run.length === 1) {
        // A lone value between gaps has no segment to draw: show it as a dot.
        const p = run[0] as { t: number; v: number };
        ctx.beginPath();
        ctx.arc(xOf(p.t), yOf(p.v), 3 * s, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      tracePath(
        ctx,
        run.map((p) => ({ x: xOf(p.t), y: yOf(p.v) })),
        smooth,
        true,
      );
      ctx.stroke();
    }
  }
  ctx.restore();

  if (!hasValues) {
    ctx.font = font(Math.round(18 * s));
    ctx.fillStyle = theme.mutedText;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(fitText(ctx, 'No data for this period', plotW), plotLeft + plotW / 2, plotTop + plotH / 2);
  }
}
