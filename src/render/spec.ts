// What a chart looks like, as plain JSON-safe data: specs cross a worker-thread boundary by structured
// clone, so they hold no functions, class instances or Dates (timestamps are epoch milliseconds).

export interface TimePoint {
  /** Bucket start, epoch milliseconds. */
  t: number;
  /** null marks a gap: the line breaks there instead of dropping to zero. */
  v: number | null;
}

export interface LineSeries {
  name: string;
  points: TimePoint[];
  /** `#rrggbb`; defaults to the theme palette by position. */
  color?: string;
}

export interface LineChartSpec {
  kind: 'line';
  title: string;
  subtitle?: string;
  /** Pixels; default 1200. */
  width?: number;
  /** Pixels; default 600. */
  height?: number;
  /** IANA zone the x labels are written in (the guild's zone); default UTC. */
  timeZone?: string;
  /** BCP 47 locale for dates; default en-US. */
  locale?: string;
  /** Bucket size of the points in ms: x ticks are never finer than one bucket. */
  bucketMs: number;
  /** Drawn in order; the first one gets the area fill. */
  series: LineSeries[];
  /** How values are written on the axis; default 'number'. */
  valueFormat?: ValueFormat;
  /** Monotone cubic curve through the points instead of straight segments (never overshoots). */
  smooth?: boolean;
}

/** 'duration': values are seconds, drawn as "3h 12m". */
export type ValueFormat = 'number' | 'duration';

/** Horizontal leaderboard: rank, name, value, bar. */
export interface BarChartSpec {
  kind: 'bar';
  title: string;
  subtitle?: string;
  width?: number;
  height?: number;
  /** Drawn in the given order, ranked 1..n. */
  rows: { label: string; value: number; detail?: string }[];
  valueFormat?: ValueFormat;
}

/** Hour-of-day × weekday. */
export interface HeatmapSpec {
  kind: 'heatmap';
  title: string;
  subtitle?: string;
  width?: number;
  height?: number;
  /** [weekday 0 = Monday .. 6][hour 0..23], already in the guild's time zone. */
  cells: number[][];
  valueFormat?: ValueFormat;
}

/** Share of a whole. */
export interface DonutSpec {
  kind: 'donut';
  title: string;
  subtitle?: string;
  width?: number;
  height?: number;
  slices: { label: string; value: number }[];
  valueFormat?: ValueFormat;
}

export type ChartSpec = LineChartSpec | BarChartSpec | HeatmapSpec | DonutSpec;

export const CHART_KINDS = ['line', 'bar', 'heatmap', 'donut'] as const satisfies readonly ChartSpec['kind'][];
export type ChartKind = (typeof CHART_KINDS)[number];

export const DEFAULT_WIDTH = 1200;
export const DEFAULT_HEIGHT = 600;
/** Large enough for any Discord embed, small enough that a bad spec cannot exhaust a worker's memory. */
export const MAX_DIMENSION = 4096;
const MAX_POINTS = 200_000;

/** A spec that cannot be drawn. The message names the offending field. */
export class ChartSpecError extends Error {
  override name = 'ChartSpecError';
}

function fail(message: string): never {
  throw new ChartSpecError(message);
}

function checkDimension(name: string, v: unknown): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
    fail(`${name} must be an integer from 1 to ${MAX_DIMENSION}, got ${String(v)}`);
  }
}

/** The kind as a metric label: bounded to known kinds so a bad spec cannot create label values. */
export function kindLabel(spec: unknown): ChartKind | 'invalid' {
  const kind = (spec as { kind?: unknown } | null)?.kind;
  return (CHART_KINDS as readonly unknown[]).includes(kind) ? (kind as ChartKind) : 'invalid';
}

/**
 * Checks a spec that arrived as untyped data (a worker message) and throws ChartSpecError on the first
 * problem, so callers get "series[1].points[3].v must be a finite number or null" rather than a blank
 * or half-drawn image.
 */
export function validateSpec(spec: unknown): asserts spec is ChartSpec {
  if (typeof spec !== 'object' || spec === null) fail('chart spec must be an object');
  const s = spec as Record<string, unknown>;
  if (kindLabel(s) === 'invalid')
    fail(`unknown chart kind ${JSON.stringify(s.kind)} (known: ${CHART_KINDS.join(', ')})`);
  if (typeof s.title !== 'string') fail('title must be a string');
  if (s.subtitle !== undefined && typeof s.subtitle !== 'string') fail('subtitle must be a string');
  checkDimension('width', s.width);
  checkDimension('height', s.height);
  if (s.valueFormat !== undefined && s.valueFormat !== 'number' && s.valueFormat !== 'duration') {
    fail(`valueFormat must be 'number' or 'duration', got ${JSON.stringify(s.valueFormat)}`);
  }
  switch (s.kind as ChartKind) {
    case 'line':
      return validateLine(s);
    case 'bar':
      return validateBar(s);
    case 'heatmap':
      return validateHeatmap(s);
    case 'donut':
      return validateDonut(s);
  }
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const MAX_ROWS = 1000;

function validateLine(s: Record<string, unknown>): void {
  if (s.smooth !== undefined && typeof s.smooth !== 'boolean') fail('smooth must be a boolean');
  if (s.timeZone !== undefined) {
    if (typeof s.timeZone !== 'string') fail('timeZone must be a string');
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: s.timeZone });
    } catch {
      fail(`unknown time zone ${JSON.stringify(s.timeZone)}`);
    }
  }
  if (s.locale !== undefined) {
    if (typeof s.locale !== 'string') fail('locale must be a string');
    try {
      new Intl.DateTimeFormat(s.locale);
    } catch {
      fail(`invalid locale ${JSON.stringify(s.locale)}`);
    }
  }
  if (typeof s.bucketMs !== 'number' || !Number.isFinite(s.bucketMs) || s.bucketMs <= 0) {
    fail(`bucketMs must be a positive number, got ${String(s.bucketMs)}`);
  }
  if (!Array.isArray(s.series)) fail('series must be an array');
  let total = 0;
  s.series.forEach((series: unknown, i: number) => {
    const ser = series as Record<string, unknown> | null;
    if (typeof ser !== 'object' || ser === null) fail(`series[${i}] must be an object`);
    if (typeof ser.name !== 'string') fail(`series[${i}].name must be a string`);
    if (ser.color !== undefined && (typeof ser.color !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(ser.color))) {
      fail(`series[${i}].color must be #rrggbb`);
    }
    if (!Array.isArray(ser.points)) fail(`series[${i}].points must be an array`);
    total += ser.points.length;
    if (total > MAX_POINTS) fail(`too many points (more than ${MAX_POINTS})`);
    ser.points.forEach((p: unknown, j: number) => {
      const pt = p as Record<string, unknown> | null;
      if (typeof pt !== 'object' || pt === null) fail(`series[${i}].points[${j}] must be an object`);
      if (typeof pt.t !== 'number' || !Number.isFinite(pt.t))
        fail(`series[${i}].points[${j}].t must be a finite number`);
      if (pt.v !== null && (typeof pt.v !== 'number' || !Number.isFinite(pt.v))) {
        fail(`series[${i}].points[${j}].v must be a finite number or null`);
      }
    });
  });
}

function validateBar(s: Record<string, unknown>): void {
  if (!Array.isArray(s.rows)) fail('rows must be an array');
  if (s.rows.length > MAX_ROWS) fail(`too many rows (more than ${MAX_ROWS})`);
  s.rows.forEach((row: unknown, i: number) => {
    const r = row as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null) fail(`rows[${i}] must be an object`);
    if (typeof r.label !== 'string') fail(`rows[${i}].label must be a string`);
    if (!isFiniteNumber(r.value) || r.value < 0)
      fail(`rows[${i}].value must be a finite number >= 0, got ${String(r.value)}`);
    if (r.detail !== undefined && typeof r.detail !== 'string') fail(`rows[${i}].detail must be a string`);
  });
}

function validateHeatmap(s: Record<string, unknown>): void {
  const cells = s.cells;
  if (!Array.isArray(cells) || cells.length !== 7) {
    fail(
      `cells must be 7 weekday rows (Monday first) of 24 hours, got ${Array.isArray(cells) ? `${cells.length} rows` : typeof cells}`,
    );
  }
  cells.forEach((row: unknown, d: number) => {
    if (!Array.isArray(row) || row.length !== 24) {
      fail(`cells[${d}] must have 24 hours, got ${Array.isArray(row) ? row.length : typeof row}`);
    }
    row.forEach((v: unknown, h: number) => {
      if (!isFiniteNumber(v) || v < 0) fail(`cells[${d}][${h}] must be a finite number >= 0, got ${String(v)}`);
    });
  });
}

function validateDonut(s: Record<string, unknown>): void {
  if (!Array.isArray(s.slices)) fail('slices must be an array');
  if (s.slices.length > MAX_ROWS) fail(`too many slices (more than ${MAX_ROWS})`);
  s.slices.forEach((slice: unknown, i: number) => {
    const r = slice as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null) fail(`slices[${i}] must be an object`);
    if (typeof r.label !== 'string') fail(`slices[${i}].label must be a string`);
    if (!isFiniteNumber(r.value) || r.value < 0)
      fail(`slices[${i}].value must be a finite number >= 0, got ${String(r.value)}`);
  });
}
