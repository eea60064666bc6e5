// The process-level error policy every process installs (src/lifecycle.ts handleProcessErrors): an
// unhandled rejection is logged and the process goes on; an uncaught exception is logged as fatal, the
// stop sequence runs (what the process holds is written), and the process exits 1.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { entryPoint } from '../src/entry.js';

const run = promisify(execFile);

describe('process error policy', () => {
  it('goes on after an unhandled rejection; flushes and exits 1 after an uncaught exception', async () => {
    const entry = entryPoint('./fixtures/process-errors.ts', import.meta.url);
    const result = await run(process.execPath, [...entry.execArgv, entry.file], {
      env: { ...process.env, LOG_PRETTY: '' },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(result.code).toBe(1);
    const msgs = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
    expect(msgs.map((m) => m.msg)).toEqual([
      'unhandled promise rejection (logged; the process goes on)',
      'still running after the unhandled rejection',
      'uncaught exception: state may be corrupt; flushing what this process holds, then exiting',
      'shutting down',
      'flushed what this process held',
      'stopped',
    ]);
    expect(msgs[0]!.err!.message).toBe('nobody awaited this');
    expect(msgs[2]).toMatchObject({ level: 60, err: { message: 'a bug in a timer' } });
  }, 30_000);
});
