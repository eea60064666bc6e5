// Spec in, PNG out. Runs inside the render workers (and on the main thread in the benchmark baseline).
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { drawBarChart } from './charts/bar.js';
import { drawDonut } from './charts/donut.js';
import { drawHeatmap } from './charts/heatmap.js';
import { drawLineChart } from './charts/line.js';
import { registerFonts } from './fonts.js';
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, validateSpec, type ChartSpec } from './spec.js';

/** Validates the spec and draws it on a fresh canvas (no encoding). */
export function drawChart(spec: ChartSpec): Canvas {
  validateSpec(spec);
  registerFonts();
  const canvas = createCanvas(spec.width ?? DEFAULT_WIDTH, spec.height ?? DEFAULT_HEIGHT);
  const ctx = canvas.getContext('2d');
  switch (spec.kind) {
    case 'line':
      drawLineChart(ctx, spec);
      break;
    case 'bar':
      drawBarChart(ctx, spec);
      break;
    case 'heatmap':
      drawHeatmap(ctx, spec);
      break;
    case 'donut':
      drawDonut(ctx, spec);
      break;
    default: {
      // validateSpec already rejects unknown kinds; this keeps the switch exhaustive as the union grows.
      const never: never = spec;
      throw new Error(`no renderer for chart kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
  return canvas;
}

/**
 * Renders a chart to PNG. Encoding runs off the JS thread (`encode` is async in @napi-rs/canvas), and
 * the output is a pure function of the spec: same spec, same bytes.
 */
export async function renderChart(spec: ChartSpec): Promise<Buffer> {
  return drawChart(spec).encode('png');
}
