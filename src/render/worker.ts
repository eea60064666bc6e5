// Render worker thread: receives { id, spec }, replies { id, png } with the PNG's ArrayBuffer
// transferred (not copied), or { id, error } when the spec cannot be drawn. Posts { ready } once loaded
// so the pool can tell a worker that cannot start from one that crashed mid-render.
import { parentPort } from 'node:worker_threads';
import { renderChart } from './draw.js';
import { registerFonts } from './fonts.js';
import type { ChartSpec } from './spec.js';

export interface RenderRequest {
  id: number;
  spec: ChartSpec;
}

export type WorkerMessage =
  { ready: true } | { id: number; png: ArrayBuffer } | { id: number; error: { name: string; message: string } };

const port = parentPort;
if (!port) throw new Error('render worker must run in a worker thread');

registerFonts(); // fail at start (missing font package) rather than on every render

port.on('message', (req: RenderRequest) => {
  renderChart(req.spec).then(
    (png) => {
      // Transfer only a buffer that owns its whole ArrayBuffer; a view into a shared one is copied.
      const whole = png.byteOffset === 0 && png.byteLength === png.buffer.byteLength;
      const ab = (
        whole ? png.buffer : png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength)
      ) as ArrayBuffer;
      port.postMessage({ id: req.id, png: ab } satisfies WorkerMessage, [ab]);
    },
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ id: req.id, error: { name: e.name, message: e.message } } satisfies WorkerMessage);
    },
  );
});

port.postMessage({ ready: true } satisfies WorkerMessage);
