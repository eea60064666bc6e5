// How values read on axes and labels (src/format.ts): counts as 950 / 12.3k / 4.5M, durations (seconds)
// in their two largest units, 45s / 12m / 3h 12m / 2d 4h. Axis scales for durations step in whole clock
// units (15m, 1h, 6h...), not in 250 s.
import { formatCount, formatDuration } from '../../format.js';
import type { ValueFormat } from '../spec.js';
import { formatTick, niceScale, type LinearScale } from './scale.js';

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Units of a duration a chart label shows: "3h 12m", not "3h 12m 5s". */
const CHART_UNITS = 2;

/** A value label in the chart's format. */
export function formatValue(v: number, fmt: ValueFormat = 'number'): string {
  return fmt === 'duration' ? formatDuration(v, CHART_UNITS) : formatCount(v);
}

const DURATION_STEPS = [
  1,
  5,
  10,
  15,
  30,
  MIN,
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
];

/** Like niceScale, but for durations the step is a clock unit; zero is always on the axis. */
export function valueScale(
  lo: number,
  hi: number,
  maxTicks: number,
  integers: boolean,
  fmt: ValueFormat = 'number',
): LinearScale {
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
  if (fmt === 'duration') return v === 0 ? '0' : formatDuration(v, CHART_UNITS);
  return formatTick(v, step);
}
