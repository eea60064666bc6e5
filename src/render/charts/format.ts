// How values read on axes and labels: counts as 950 / 12.3k / 4.5M, durations (seconds) as 45s / 12m /
// 3h 12m / 2d 4h. Axis scales for durations step in whole clock units (15m, 1h, 6h...), not in 250 s.
import type { ValueFormat } from '../spec.js';
import { formatTick, niceScale, type LinearScale } from './scale.js';

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;

/** "3h 12m": the two largest units, dropping a zero second unit ("2h", not "2h 0m"). */
export function formatDuration(seconds: number): string {
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  let out: string;
  if (s < MIN) out = `${s}s`;
  else if (s < HOUR) out = `${Math.round(s / MIN)}m`;
  else if (s < 2 * DAY) {
    s = Math.round(s / MIN) * MIN;
    const h = Math.floor(s / HOUR);
    const m = Math.round((s - h * HOUR) / MIN);
    out = m ? `${h}h ${m}m` : `${h}h`;
  } else {
    s = Math.round(s / HOUR) * HOUR;
    const d = Math.floor(s / DAY);
    const h = Math.round((s - d * DAY) / HOUR);
    out = h ? `${d}d ${h}h` : `${d}d`;
  }
  return neg && out !== '0s' ? `-${out}` : out;
}

/** A count for a label: exact below 10 000 ("9,876"), else abbreviated to three significant digits. */
export function formatCount(v: number): string {
  const abs = Math.abs(v);
  if (abs < 10_000) {
    const rounded = Number.isInteger(v) ? v : Number(v.toFixed(abs < 10 ? 2 : 1));
    return rounded.toLocaleString('en-US');
  }
  const [div, suffix] = abs >= 1e9 ? [1e9, 'B'] : abs >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
  const x = v / div;
  const digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return `${Number(x.toFixed(digits))}${suffix}`;
}

export function formatValue(v: number, fmt: ValueFormat = 'number'): string {
  return fmt === 'duration' ? formatDuration(v) : formatCount(v);
}

const DURATION_STEPS = [1, 5, 10, 15, 30, MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

/** Like niceScale, but for durations the step is a clock unit; zero is always on the axis. */
export function valueScale(lo: number, hi: number, maxTicks: number, integers: boolean, fmt: ValueFormat = 'number'): LinearScale {
  if (fmt !== 'duration') return niceScale(lo, hi, maxTicks, integers);
  let min = Math.min(0, lo);
  let max = Math.max(0, hi);
  if (min === max) max = min + MIN;
  const rough = (max - min) / Math.max(1, maxTicks - 1);
  let step = DURATION_STEPS.find((s) => s >= rough);
  if (step === undefined) step = Math.ceil(rough / (7 * DAY)) * 7 * DAY;
  min = Math.floor(min / step + 1e-9) * step;
  max = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0, n = Math.round((max - min) / step); i <= n; i++) ticks.push(min + i * step);
  return { min, max, step, ticks };
}

/** An axis tick label in the chart's format. */
export function formatAxis(v: number, step: number, fmt: ValueFormat = 'number'): string {
  if (fmt === 'duration') return v === 0 ? '0' : formatDuration(v);
  return formatTick(v, step);
}
