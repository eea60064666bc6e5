// Path tracing for line charts: straight segments, or a monotone cubic (Fritsch–Carlson) that passes
// through every point and never overshoots between them, so a smoothed count never dips below zero or
// invents a peak the data does not have.
import type { Ctx } from '../layout.js';

export interface Pt {
  x: number;
  y: number;
}

/** Continues the current path through `pts` (the first point is joined with lineTo, or moveTo if `move`). */
export function tracePath(ctx: Ctx, pts: readonly Pt[], smooth: boolean, move: boolean): void {
  const n = pts.length;
  if (n === 0) return;
  const p0 = pts[0] as Pt;
  if (move) ctx.moveTo(p0.x, p0.y);
  else ctx.lineTo(p0.x, p0.y);
  if (!smooth || n < 3) {
    for (let i = 1; i < n; i++) ctx.lineTo((pts[i] as Pt).x, (pts[i] as Pt).y);
    return;
  }
  // Secant slopes, then tangents: zero at local extrema, harmonic mean elsewhere (keeps monotonicity).
  const d: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    const a = pts[i] as Pt;
    const b = pts[i + 1] as Pt;
    const dx = b.x - a.x;
    d.push(dx === 0 ? 0 : (b.y - a.y) / dx);
  }
  const m: number[] = new Array<number>(n);
  m[0] = d[0] as number;
  m[n - 1] = d[n - 2] as number;
  for (let i = 1; i < n - 1; i++) {
    const d0 = d[i - 1] as number;
    const d1 = d[i] as number;
    m[i] = d0 * d1 <= 0 ? 0 : (2 * d0 * d1) / (d0 + d1);
  }
  for (let i = 0; i < n - 1; i++) {
    const a = pts[i] as Pt;
    const b = pts[i + 1] as Pt;
    const h = (b.x - a.x) / 3;
    ctx.bezierCurveTo(a.x + h, a.y + h * (m[i] as number), b.x - h, b.y - h * (m[i + 1] as number), b.x, b.y);
  }
}
