// Chart rendering, printed and never asserted:
// 1. a 1200x600 line chart (30 days hourly, 3 series) on the worker pool, against the same drawing with
//    a synchronous PNG encode on the main thread;
// 2. every chart kind drawn and encoded to PNG on the main thread, against Chart.js 4 drawing the same
//    data at the same size on the same @napi-rs/canvas, in the same run.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { createLogger } from '../src/logger.js';
import { WEEKDAYS } from '../src/render/charts/heatmap.js';
import { drawChart, renderChart } from '../src/render/draw.js';
import { FONT_STACK, registerFonts } from '../src/render/fonts.js';
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
  return { kind: 'line', title: 'Messages', subtitle: 'Last 30 days, hourly', timeZone: 'Europe/Berlin', bucketMs: HOUR, series };
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
    kind: 'bar', title: 'Top members', subtitle: 'Messages, last 30 days',
    rows: Array.from({ length: 10 }, (_, i) => ({ label: i % 3 === 0 ? `🎮 player ${i}` : i % 3 === 1 ? `日本語ユーザー${i}` : `member-${i}`, value: Math.round(50_000 / (i + 1)) })),
  };
  const heatmap: HeatmapSpec = {
    kind: 'heatmap', title: 'Activity by hour', subtitle: 'Messages',
    cells: Array.from({ length: 7 }, (_, d) => Array.from({ length: 24 }, (_, h) => Math.round(100 + 90 * Math.sin(((h - 6) / 24) * 2 * Math.PI) + d * 10))),
  };
  const donut: DonutSpec = {
    kind: 'donut', title: 'Messages by channel', subtitle: 'Last 7 days',
    slices: Array.from({ length: 12 }, (_, i) => ({ label: `channel-${i}`, value: Math.round(10_000 / (i + 1)) })),
  };
  return [line, { ...line, title: 'Messages (smooth)', smooth: true }, bar, heatmap, donut];
}

/** The same data as a Chart.js configuration (Chart.js has no heatmap: a scatter of square points stands in). */
function chartJsConfig(spec: ChartSpec): ChartConfiguration {
  const base = { animation: false as const, responsive: false, devicePixelRatio: 1, plugins: { title: { display: true, text: spec.title } } };
  switch (spec.kind) {
    case 'line':
      return {
        type: 'line',
        data: {
          labels: spec.series[0]?.points.map((p) => p.t) ?? [],
          datasets: spec.series.map((ser, i) => ({
            label: ser.name, data: ser.points.map((p) => p.v), borderColor: seriesColor(darkTheme, i), fill: i === 0, pointRadius: 0,
            cubicInterpolationMode: spec.smooth ? ('monotone' as const) : ('default' as const),
          })),
        },
        options: { ...base, scales: { x: { ticks: { maxTicksLimit: 12 } } } },
      };
    case 'bar':
      return {
        type: 'bar',
        data: { labels: spec.rows.map((r, i) => `#${i + 1} ${r.label}`), datasets: [{ label: 'value', data: spec.rows.map((r) => r.value), backgroundColor: darkTheme.palette[0] }] },
        options: { ...base, indexAxis: 'y' },
      };
    case 'heatmap': {
      const max = Math.max(...spec.cells.flat());
      const points = spec.cells.flatMap((row, d) => row.map((v, h) => ({ x: h, y: d, v })));
      return {
        type: 'scatter',
        data: {
          datasets: [{
            label: 'activity', data: points, pointStyle: 'rect', pointRadius: 20,
            backgroundColor: points.map((p) => `rgba(88, 101, 242, ${(0.1 + (0.9 * p.v) / max).toFixed(3)})`),
          }],
        },
        options: { ...base, scales: { y: { reverse: true, ticks: { callback: (v) => WEEKDAYS[Number(v)] ?? '' } } } },
      };
    }
    case 'donut':
      return {
        type: 'doughnut',
        data: { labels: spec.slices.map((s) => s.label), datasets: [{ data: spec.slices.map((s) => s.value), backgroundColor: spec.slices.map((_, i) => seriesColor(darkTheme, i)) }] },
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

async function timeIt(rounds: number, f: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 3; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return summary(ms);
}

async function benchAgainstChartJs(): Promise<void> {
  registerFonts();
  Chart.register(...registerables);
  Chart.defaults.font.family = FONT_STACK;
  Chart.defaults.color = darkTheme.mutedText;
  console.log(`render vs Chart.js ${Chart.version}: ${W}x${H} to PNG (async encode) on the main thread, ${KIND_ROUNDS} rounds each`);
  console.log('  kind              ours p50 / p99 ms     Chart.js p50 / p99 ms   ratio ours/Chart.js p50, p99');
  for (const spec of kindSpecs()) {
    const config = chartJsConfig(spec);
    const ours = await timeIt(KIND_ROUNDS, () => renderChart(spec));
    const theirs = await timeIt(KIND_ROUNDS, () => chartJsPng(config));
    const name = spec.kind === 'line' ? (spec.smooth ? 'line (smooth)' : 'line (3x720 pts)') : spec.kind;
    console.log(
      `  ${name.padEnd(17)} ${f(ours.p50).padStart(7)} / ${f(ours.p99).padEnd(10)} ${f(theirs.p50).padStart(7)} / ${f(theirs.p99).padEnd(14)} ${(ours.p50 / theirs.p50).toFixed(2)}x, ${(ours.p99 / theirs.p99).toFixed(2)}x`,
    );
  }
}

export async function benchRender(): Promise<void> {
  await benchPool();
  await benchAgainstChartJs();
}

async function benchPool(): Promise<void> {
  const spec = benchSpec();
  const pool = new RenderPool({ logger: createLogger('warn') });
  const lag = monitorEventLoopDelay({ resolution: 1 });
  try {
    // Warm up: worker start, font registration, JIT.
    await Promise.all(Array.from({ length: pool.threads * 2 }, () => pool.render(spec)));
    for (let i = 0; i < 3; i++) drawChart(spec).toBuffer('image/png');

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
    let drawOnly = 0;
    lag.enable();
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const canvas = drawChart(spec);
      drawOnly += performance.now() - t0;
      canvas.toBuffer('image/png');
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
    console.log(`render: 1200x600 line chart, 3 series x 720 points, ${ROUNDS} rounds, pool of ${pool.threads} threads`);
    console.log(`  pool (async encode, one at a time)  p50 ${f(p.p50)} ms  p99 ${f(p.p99)} ms  max event-loop lag ${f(poolLagMax)} ms`);
    console.log(`  main thread (sync toBuffer)        p50 ${f(m.p50)} ms  p99 ${f(m.p99)} ms  max event-loop lag ${f(syncLagMax)} ms`);
    console.log(`  of which drawing (no encode)       mean ${f(drawOnly / ROUNDS)} ms`);
    console.log(`  latency ratio pool/main p50 ${(p.p50 / m.p50).toFixed(2)}x, p99 ${(p.p99 / m.p99).toFixed(2)}x`);
    console.log(
      `  throughput pool ${f(poolThroughput)}/s (${ROUNDS} concurrent) vs main thread ${f(syncThroughput)}/s: ${(poolThroughput / syncThroughput).toFixed(2)}x`,
    );
  } finally {
    await pool.close();
  }
}
