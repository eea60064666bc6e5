// How numbers and durations read, in embeds and on charts alike: one unit ladder (d, h, m, s) and one
// number style. Embeds show every unit; charts, where space is short, the two largest (rounded).

const UNITS = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const;

/**
 * Seconds as "1d 1h 1m 1s" (90,061 s), dropping zero units ("2h", "45s", "0s"). With `units`, only that
 * many units from the largest non-zero one, the last one rounded: 11,520 s with 2 units is "3h 12m".
 */
export function formatDuration(seconds: number, units: number = UNITS.length): string {
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const first = UNITS.findIndex(([, size]) => s >= size);
  if (first === -1) return '0s';
  const step = UNITS[Math.min(UNITS.length - 1, first + Math.max(1, units) - 1)]![1];
  s = Math.round(s / step) * step;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (size < step) break;
    const n = Math.floor(s / size);
    s -= n * size;
    if (n) parts.push(`${n}${unit}`);
  }
  return `${neg ? '-' : ''}${parts.join(' ')}`;
}

/** An exact count with thousands separators: "1,204". */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** A count for a chart label: exact below 10 000 ("9,876"), else abbreviated to three significant digits. */
export function formatCount(v: number): string {
  const abs = Math.abs(v);
  if (abs < 10_000) return formatNumber(Number.isInteger(v) ? v : Number(v.toFixed(abs < 10 ? 2 : 1)));
  const [div, suffix] = abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
  const x = v / div;
  const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return `${Number(x.toFixed(digits))}${suffix}`;
}
