// A fixed pool of render worker threads. Drawing and PNG encoding cost tens of milliseconds of CPU per
// chart; on the shard's event loop that would stall the gateway, so charts render here instead.
// Tasks wait in one FIFO queue and go to whichever worker is idle. A worker that dies (native crash,
// OOM, hang past the timeout) is replaced, and only the task it held fails.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createLogger, type Logger } from '../logger.js';
import { renderDuration } from '../metrics.js';
import { ChartSpecError, kindLabel, type ChartSpec } from './spec.js';
import type { RenderRequest, WorkerMessage } from './worker.js';

export interface RenderPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  logger?: Logger;
  /** A render running longer than this is abandoned and its worker replaced; default 30 s. */
  taskTimeoutMs?: number;
  /** Worker entry; default ./worker.ts (under tsx/vitest) or ./worker.js (compiled). */
  workerUrl?: URL;
}

/** A render failed for a reason other than the spec: worker crash, timeout, pool closed. */
export class RenderError extends Error {
  override name = 'RenderError';
}

interface Task {
  id: number;
  spec: ChartSpec;
  kind: string;
  resolve: (png: Buffer) => void;
  reject: (err: Error) => void;
  started: number;
}

interface Slot {
  n: number;
  worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  task: Task | null;
  timer: NodeJS.Timeout | null;
  lastError: Error | null;
}

const MAX_RESTART_DELAY_MS = 5_000;

export class RenderPool {
  readonly threads: number;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly workerUrl: URL;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** Consecutive workers that died before becoming ready: drives the restart backoff. */
  private startFailures = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(opts: RenderPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
    this.log = (opts.logger ?? createLogger()).child({ component: 'render-pool' });
    this.timeoutMs = opts.taskTimeoutMs ?? 30_000;
    // From source (vitest, tsx) this file is pool.ts and the worker is TypeScript; from the build both
    // are plain JS side by side.
    const fromSource = import.meta.url.endsWith('.ts');
    this.workerUrl = opts.workerUrl ?? new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
    for (let n = 0; n < this.threads; n++) this.slots.push(this.spawn(n));
  }

  /** Renders a chart to PNG on a worker. Rejects with ChartSpecError for a bad spec, RenderError otherwise. */
  render(spec: ChartSpec): Promise<Buffer> {
    if (this.closed) return Promise.reject(new RenderError('render pool is closed'));
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, spec, kind: kindLabel(spec), resolve, reject, started: 0 });
      this.pump();
    });
  }

  /** Tasks waiting for a worker (not counting those being drawn). */
  get queued(): number {
    return this.queue.length;
  }

  /** Rejects queued and running renders and terminates every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    const err = new RenderError('render pool closed');
    for (const task of this.queue.splice(0)) task.reject(err);
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        slot.task?.reject(err);
        slot.task = null;
        slot.state = 'dead';
        await slot.worker.terminate();
      }),
    );
  }

  private spawn(n: number): Slot {
    const worker = this.startWorker();
    const slot: Slot = { n, worker, state: 'starting', task: null, timer: null, lastError: null };
    worker.on('message', (msg: WorkerMessage) => this.onMessage(slot, msg));
    worker.on('error', (err) => {
      slot.lastError = err;
      this.log.error({ err, worker: n }, 'render worker error');
    });
    worker.on('messageerror', (err) => {
      slot.lastError = err;
      this.log.error({ err, worker: n }, 'render worker sent a message that could not be deserialised');
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private startWorker(): Worker {
    if (!this.workerUrl.pathname.endsWith('.ts')) return new Worker(this.workerUrl);
    // `new Worker(url, { execArgv: ['--import', 'tsx'] })` fails on Node 20 with "Unknown file extension
    // .ts": the entry module is loaded before the worker's loader hooks are active (privatenumber/tsx#354).
    // So the worker starts as a one-line script that registers tsx's ESM hooks, then imports the entry.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(this.workerUrl.href)}); });`;
    return new Worker(boot, { eval: true });
  }

  private onMessage(slot: Slot, msg: WorkerMessage): void {
    if ('ready' in msg) {
      slot.state = 'idle';
      this.startFailures = 0;
      this.pump();
      return;
    }
    const task = slot.task;
    if (!task || task.id !== msg.id) return; // a late reply for a task that already timed out
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.task = null;
    slot.state = 'idle';
    if ('png' in msg) {
      renderDuration.observe({ kind: task.kind }, (performance.now() - task.started) / 1000);
      task.resolve(Buffer.from(msg.png));
    } else {
      const err =
        msg.error.name === 'ChartSpecError'
          ? new ChartSpecError(msg.error.message)
          : new RenderError(msg.error.message);
      task.reject(err);
    }
    this.pump();
  }

  private onExit(slot: Slot, code: number): void {
    if (this.closed || slot.state === 'dead') {
      // Terminated on purpose (close or timeout); a timeout already scheduled nothing, so replace here.
      if (!this.closed && this.slots[slot.n] === slot) this.replace(slot, 0);
      return;
    }
    const wasStarting = slot.state === 'starting';
    slot.state = 'dead';
    if (slot.timer) clearTimeout(slot.timer);
    const reason = slot.lastError ? slot.lastError.message : `exit code ${code}`;
    const task = slot.task;
    slot.task = null;
    if (task) {
      task.reject(
        new RenderError(
          `render worker crashed while drawing a ${task.kind} chart (${reason}); the worker was replaced`,
        ),
      );
    }
    if (wasStarting) {
      // Every worker runs the same code: if one cannot start, none can. Fail the waiting renders instead
      // of holding them forever, and retry the start with backoff.
      this.startFailures++;
      const err = new RenderError(`render worker failed to start (${reason})`);
      for (const t of this.queue.splice(0)) t.reject(err);
      this.log.error({ worker: slot.n, reason, attempts: this.startFailures }, 'render worker failed to start');
      this.replace(slot, Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (this.startFailures - 1)));
    } else {
      this.log.error({ worker: slot.n, reason, kind: task?.kind }, 'render worker crashed; replacing it');
      this.replace(slot, 0);
    }
  }

  private replace(old: Slot, delayMs: number): void {
    const start = (): void => {
      if (this.closed) return;
      this.slots[old.n] = this.spawn(old.n);
    };
    if (delayMs === 0) return start();
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      start();
    }, delayMs);
    this.restartTimers.add(timer);
  }

  private pump(): void {
    let slot: Slot | undefined;
    while (this.queue.length > 0 && (slot = this.slots.find((s) => s.state === 'idle'))) {
      const task = this.queue.shift() as Task;
      slot.state = 'busy';
      slot.task = task;
      task.started = performance.now();
      const busy = slot;
      slot.timer = setTimeout(() => this.onTimeout(busy, task), this.timeoutMs);
      try {
        slot.worker.postMessage({ id: task.id, spec: task.spec } satisfies RenderRequest);
      } catch (err) {
        // The spec could not be cloned (a function, a symbol...): that is the caller's spec at fault.
        clearTimeout(slot.timer);
        slot.timer = null;
        slot.task = null;
        slot.state = 'idle';
        task.reject(new ChartSpecError(`chart spec is not serialisable: ${(err as Error).message}`));
      }
    }
    // Idle workers must not keep a finished process alive; busy ones (or pending work) must.
    const pending = this.queue.length > 0;
    for (const slot of this.slots) {
      if (pending || slot.task) slot.worker.ref();
      else slot.worker.unref();
    }
  }

  private onTimeout(slot: Slot, task: Task): void {
    if (slot.task !== task) return;
    slot.timer = null;
    slot.task = null;
    slot.state = 'dead';
    task.reject(
      new RenderError(`render of a ${task.kind} chart timed out after ${this.timeoutMs} ms; the worker was replaced`),
    );
    this.log.error(
      { worker: slot.n, kind: task.kind, timeoutMs: this.timeoutMs },
      'render timed out; replacing worker',
    );
    void slot.worker.terminate();
  }
}
