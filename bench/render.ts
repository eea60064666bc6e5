// Chart rendering, printed and never asserted:
// 1. a 1200x600 line chart (30 days hourly, 3 series) on the worker pool, against the same render done
//    synchronously on the main thread;
// 2. every chart kind drawn and encoded to PNG on the main thread, against Chart.js 4 drawing the same
//    data at the same size on the same @napi-rs/canvas (encoded by Skia), in the same run: time and
//    bytes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { createLogger } from '../src/logger.js';
import { WEEKDAYS } from '../src/render/charts/heatmap.js';
import { drawChart, renderChart } from '../src/render/draw.js';
import { FONT_STACK, registerFonts } from '../src/render/fonts.js';
import { encodeIndexedPng } from '../src/render/png.js';
import { RenderPool } from '../src/render/pool.js';
import type { BarChartSpec, ChartSpec, DonutSpec, HeatmapSpec, LineChartSpec } from '../src/render/spec.js';
import { darkTheme, seriesColor } from '../src/render/theme.js';

const HOUR = 3_600_000;
const ROUNDS = 60;

function benchSpec(): LineChartSpec {
  // A fixed LCG rather than Math.random, so every run draws the same chart.
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const start = Date.UTC(2025, 0, 1);
  const series = ['Messages', 'Words', 'Attachments'].map((name, k) => ({
    name,
    points: Array.from({ length: 30 * 24 }, (_, i) => ({
      t: start + i * HOUR,
      v: Math.round((k + 1) * 400 * (1.2 + Math.sin((i / 24) * 2 * Math.PI)) + 300 * rnd()),
    })),
  }));
  return {
    kind: 'line',
    title: 'Messages',
    subtitle: 'Last 30 days, hourly',
    timeZone: 'Europe/Berlin',
    bucketMs: HOUR,
    series,
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function summary(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99) };
}

const f = (n: number): string => n.toFixed(1);

const KIND_ROUNDS = 30;
const W = 1200;
const H = 600;

function kindSpecs(): ChartSpec[] {
  const line = benchSpec();
  const bar: BarChartSpec = {
    kind: 'bar',
    title: 'Top members',
    subtitle: 'Messages, last 30 days',
    rows: Array.from({ length: 10 }, (_, i) => ({
      label: i % 3 === 0 ? `🎮 player ${i}` : i % 3 === 1 ? `日本語ユーザー${i}` : `member-${i}`,
      value: Math.round(50_000 / (i + 1)),
    })),
  };
  const heatmap: HeatmapSpec = {
    kind: 'heatmap',
    title: 'Activity by hour',
    subtitle: 'Messages',
    cells: Array.from({ length: 7 }, (_, d) =>
      Array.from({ length: 24 }, (_, h) => Math.round(100 + 90 * Math.sin(((h - 6) / 24) * 2 * Math.PI) + d * 10)),
    ),
  };
  const donut: DonutSpec = {
    kind: 'donut',
    title: 'Messages by channel',
    subtitle: 'Last 7 days',
    slices: Array.from({ length: 12 }, (_, i) => ({ label: `channel-${i}`, value: Math.round(10_000 / (i + 1)) })),
  };
  return [line, { ...line, title: 'Messages (smooth)', smooth: true }, bar, heatmap, donut];
}

/** The same data as a Chart.js configuration (Chart.js has no heatmap: a scatter of square points stands in). */
function chartJsConfig(spec: ChartSpec): ChartConfiguration {
  const base = {
    animation: false as const,
    responsive: false,
    devicePixelRatio: 1,
    plugins: { title: { display: true, text: spec.title } },
  };
  switch (spec.kind) {
    case 'line':
      return {
        type: 'line',
        data: {
          labels: spec.series[0]?.points.map((p) => p.t) ?? [],
          datasets: spec.series.map((ser, i) => ({
            label: ser.name,
            data: ser.points.map((p) => p.v),
            borderColor: seriesColor(darkTheme, i),
            fill: i === 0,
            pointRadius: 0,
            cubicInterpolationMode: spec.smooth ? ('monotone' as const) : ('default' as const),
          })),
        },
        options: { ...base, scales: { x: { ticks: { maxTicksLimit: 12 } } } },
      };
    case 'bar':
      return {
        type: 'bar',
        data: {
          labels: spec.rows.map((r, i) => `#${i + 1} ${r.label}`),
          datasets: [{ label: 'value', data: spec.rows.map((r) => r.value), backgroundColor: darkTheme.palette[0] }],
        },
        options: { ...base, indexAxis: 'y' },
      };
    case 'heatmap': {
      const max = Math.max(...spec.cells.flat());
      const points = spec.cells.flatMap((row, d) => row.map((v, h) => ({ x: h, y: d, v })));
      return {
        type: 'scatter',
        data: {
          datasets: [
            {
              label: 'activity',
              data: points,
              pointStyle: 'rect',
              pointRadius: 20,
              backgroundColor: points.map((p) => `rgba(88, 101, 242, ${(0.1 + (0.9 * p.v) / max).toFixed(3)})`),
            },
          ],
        },
        options: { ...base, scales: { y: { reverse: true, ticks: { callback: (v) => WEEKDAYS[Number(v)] ?? '' } } } },
      };
    }
    case 'donut':
      return {
        type: 'doughnut',
        data: {
          labels: spec.slices.map((s) => s.label),
          datasets: [
            {
              data: spec.slices.map((s) => s.value),
              backgroundColor: spec.slices.map((_, i) => seriesColor(darkTheme, i)),
            },
          ],
        },
        options: { ...base, plugins: { ...base.plugins, legend: { position: 'right' } } },
      };
  }
}

async function chartJsPng(config: ChartConfiguration): Promise<Buffer> {
  const canvas = createCanvas(W, H);
  // Chart.js accepts a context whose .canvas is the canvas; outside a browser it picks its BasicPlatform.
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], config);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}

interface Measured {
  p50: number;
  p99: number;
  bytes: number;
}

/**
 * Times `ours` and `theirs` in alternating rounds, so that both see the same load on a shared machine,
 * and checks that each is deterministic (every round the same bytes).
 */
async function timePair(
  rounds: number,
  ours: () => Promise<Buffer>,
  theirs: () => Promise<Buffer>,
): Promise<[Measured, Measured]> {
  const fns = [ours, theirs];
  const ms: number[][] = [[], []];
  const first: (Buffer | null)[] = [null, null];
  for (let i = -3; i < rounds; i++) {
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      const png = await (fns[k] as () => Promise<Buffer>)();
      const dt = performance.now() - t0;
      if (i >= 0) (ms[k] as number[]).push(dt);
      const f = first[k];
      if (!f) first[k] = png;
      else if (!f.equals(png)) throw new Error(`${k === 0 ? 'our' : 'the Chart.js'} render is not deterministic`);
    }
  }
  return [0, 1].map((k) => ({ ...summary(ms[k] as number[]), bytes: (first[k] as Buffer).length })) as [
    Measured,
    Measured,
  ];
}

/** Median ms of our three stages: drawing (recorded by Skia), rasterising (canvas.data()), encoding. */
function stages(spec: ChartSpec, rounds: number): { draw: number; raster: number; encode: number } {
  const ms: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const canvas = drawChart(spec);
    const t1 = performance.now();
    const rgba = canvas.data();
    const t2 = performance.now();
    encodeIndexedPng(rgba, canvas.width, canvas.height);
    const t3 = performance.now();
    ms[0].push(t1 - t0);
    ms[1].push(t2 - t1);
    ms[2].push(t3 - t2);
  }
  const [draw, raster, encode] = ms.map((m) => summary(m).p50) as [number, number, number];
  return { draw, raster, encode };
}

async function benchAgainstChartJs(): Promise<void> {
  registerFonts();
  Chart.register(...registerables);
  Chart.defaults.font.family = FONT_STACK;
  Chart.defaults.color = darkTheme.mutedText;
  console.log(
    `render vs Chart.js ${Chart.version}: ${W}x${H} to PNG on the main thread, ${KIND_ROUNDS} alternating rounds each`,
  );
  console.log(
    '  kind               ours p50 / p99 ms  bytes    Chart.js p50 / p99 ms  bytes    ours/Chart.js: p50   p99    bytes',
  );
  const notes: string[] = [];
  let worstTime = 0;
  let worstBytes = 0;
  for (const spec of kindSpecs()) {
    const config = chartJsConfig(spec);
    const [ours, theirs] = await timePair(
      KIND_ROUNDS,
      () => renderChart(spec),
      () => chartJsPng(config),
    );
    const name = spec.kind === 'line' ? (spec.smooth ? 'line (smooth)' : 'line (3x720 pts)') : spec.kind;
    console.log(
      `  ${name.padEnd(17)} ${f(ours.p50).padStart(6)} / ${f(ours.p99).padEnd(7)} ${String(ours.bytes).padStart(7)}  ${f(theirs.p50).padStart(9)} / ${f(theirs.p99).padEnd(7)} ${String(theirs.bytes).padStart(7)}  ${(ours.p50 / theirs.p50).toFixed(2).padStart(19)}  ${(ours.p99 / theirs.p99).toFixed(2).padStart(5)}  ${(ours.bytes / theirs.bytes).toFixed(2).padStart(6)}`,
    );
    worstTime = Math.max(worstTime, ours.p50 / theirs.p50);
    worstBytes = Math.max(worstBytes, ours.bytes / theirs.bytes);
    const st = stages(spec, 15);
    notes.push(`${name} ${f(st.draw)} + ${f(st.raster)} + ${f(st.encode)}`);
  }
  console.log(`  worst ratio ours/Chart.js: time p50 ${worstTime.toFixed(2)}, bytes ${worstBytes.toFixed(2)}`);
  console.log(`  ours, median ms of drawing + rasterising (canvas.data()) + encoding: ${notes.join('; ')}`);
}

export async function benchRender(): Promise<void> {
  await benchPool();
  await benchAgainstChartJs();
}

/** What a render worker does, synchronously (the line chart always indexes, so no Skia fallback). */
function renderSync(spec: ChartSpec): Buffer | null {
  const canvas = drawChart(spec);
  return encodeIndexedPng(canvas.data(), canvas.width, canvas.height);
}

async function benchPool(): Promise<void> {
  const spec = benchSpec();
  const pool = new RenderPool({ logger: createLogger('warn') });
  const lag = monitorEventLoopDelay({ resolution: 1 });
  try {
    // Warm up: worker start, font registration, JIT.
    await Promise.all(Array.from({ length: pool.threads * 2 }, () => pool.render(spec)));
    for (let i = 0; i < 3; i++) renderSync(spec);

    const poolMs: number[] = [];
    lag.enable();
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      await pool.render(spec);
      poolMs.push(performance.now() - t0);
    }
    lag.disable();
    const poolLagMax = lag.max / 1e6;
    lag.reset();

    const syncMs: number[] = [];
    lag.enable();
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      renderSync(spec);
      syncMs.push(performance.now() - t0);
      await new Promise((r) => setImmediate(r)); // let the lag monitor observe each block
    }
    lag.disable();
    const syncLagMax = lag.max / 1e6;

    const t0 = performance.now();
    await Promise.all(Array.from({ length: ROUNDS }, () => pool.render(spec)));
    const poolThroughput = ROUNDS / ((performance.now() - t0) / 1000);
    const syncThroughput = ROUNDS / (syncMs.reduce((a, b) => a + b, 0) / 1000);

    const p = summary(poolMs);
    const m = summary(syncMs);
    console.log(
      `render: 1200x600 line chart, 3 series x 720 points, ${ROUNDS} rounds, pool of ${pool.threads} threads`,
    );
    console.log(
      `  pool (one at a time)               p50 ${f(p.p50)} ms  p99 ${f(p.p99)} ms  max event-loop lag ${f(poolLagMax)} ms`,
    );
    console.log(
      `  main thread (same render, sync)    p50 ${f(m.p50)} ms  p99 ${f(m.p99)} ms  max event-loop lag ${f(syncLagMax)} ms`,
    );
    console.log(`  latency ratio pool/main p50 ${(p.p50 / m.p50).toFixed(2)}x, p99 ${(p.p99 / m.p99).toFixed(2)}x`);
    console.log(
      `  throughput pool ${f(poolThroughput)}/s (${ROUNDS} concurrent) vs main thread ${f(syncThroughput)}/s: ${(poolThroughput / syncThroughput).toFixed(2)}x`,
    );
  } finally {
    await pool.close();
  }
}
