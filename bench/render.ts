// Chart rendering: a 1200x600 line chart (30 days hourly, 3 series) on the worker pool, against the
// same drawing with a synchronous PNG encode on the main thread. Printed, never asserted.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLogger } from '../src/logger.js';
import { drawChart } from '../src/render/draw.js';
import { RenderPool } from '../src/render/pool.js';
import type { LineChartSpec } from '../src/render/spec.js';

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

export async function benchRender(): Promise<void> {
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
