// Value-axis maths: "nice" tick steps (1, 2, 2.5, 5 × 10^n) and short labels (1.5k, 12M).

export interface LinearScale {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** The nice number at or above `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const base = 10 ** Math.floor(Math.log10(rough));
  const f = rough / base;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * base;
}

/**
 * A scale covering [lo, hi] with at most about `maxTicks` ticks. Zero is always included (these are
 * counts: an axis starting at 950 would make a 5 % change look like a cliff). With integer data the
 * step is never below 1, so a quiet server does not get "0.25 messages".
 */
export function niceScale(lo: number, hi: number, maxTicks: number, integers: boolean): LinearScale {
  let min = Math.min(0, lo);
  let max = Math.max(0, hi);
  if (min === max) max = min + 1;
  let step = niceStep((max - min) / Math.max(1, maxTicks - 1));
  if (integers) step = Math.max(1, step);
  min = Math.floor(min / step + 1e-9) * step;
  max = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  const n = Math.round((max - min) / step);
  // Multiply rather than accumulate so 0.1-steps do not drift into 0.30000000000000004.
  for (let i = 0; i <= n; i++) ticks.push(Number((min + i * step).toPrecision(12)));
  return { min, max, step, ticks };
}

/** Fewest decimals (up to 6) that write `x` exactly enough. */
function decimalsFor(x: number): number {
  for (let d = 0; d < 6; d++) {
    const scaled = x * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled))) return d;
  }
  return 6;
}

/**
 * A tick label with k/M/B abbreviation. `step` decides the decimals, so ticks 0, 250, 500, 750, 1k,
 * 1.25k line up with the precision the axis actually has.
 */
export function formatTick(v: number, step: number): string {
  const abs = Math.abs(v);
  const [div, suffix] = abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const decimals = Math.max(decimalsFor(step / div), decimalsFor(v / div));
  let s = (v / div).toFixed(Math.min(decimals, 6));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s + suffix;
}
