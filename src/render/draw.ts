// Spec in, PNG out. Runs inside the render workers (and on the main thread in the benchmark baseline).
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { drawBarChart } from './charts/bar.js';
import { drawDonut } from './charts/donut.js';
import { drawHeatmap } from './charts/heatmap.js';
import { drawLineChart } from './charts/line.js';
import { registerFonts } from './fonts.js';
import { encodeIndexedPng } from './png.js';
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
 * Encodes a drawn chart: as an indexed PNG (png.ts) when its colours allow, which every chart kind
 * does; otherwise with Skia's lossless encoder, off the JS thread. Either way the output is a pure
 * function of the pixels: same spec, same bytes.
 */
export async function encodeChart(canvas: Canvas): Promise<Buffer> {
  return encodeIndexedPng(canvas.data(), canvas.width, canvas.height) ?? canvas.encode('png');
}

/** Renders a chart to PNG (runs in the render workers, see pool.ts). */
export async function renderChart(spec: ChartSpec): Promise<Buffer> {
  return encodeChart(drawChart(spec));
}
