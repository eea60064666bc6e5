// Vitest globalSetup of every project of the bot (the unit project has only this one): each process of
// the run (workers and the processes they spawn inherit LOG_CAPTURE_DIR) captures its log lines, and at
// the end no line may hold a token (test/helpers/log-scan.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanLogs } from './helpers/log-scan.js';

/**
 * Starts capturing; the returned function scans what was captured and fails the run on a leak. The first
 * project's setup of a run creates the folder and scans it; the other projects' setups join it (their
 * teardown does nothing), so one scan covers every process of the run.
 */
export function captureLogs(): () => void {
  if (process.env.LOG_CAPTURE_DIR && process.env.LOG_CAPTURE_RUN === String(process.pid)) return () => {};
  process.env.LOG_CAPTURE_RUN = String(process.pid);
  const captureDir = mkdtempSync(path.join(os.tmpdir(), 'stats-test-logs-'));
  process.env.LOG_CAPTURE_DIR = captureDir;
  return () => {
    const { files, lines, leaks } = scanLogs(captureDir);
    if (leaks.length === 0) {
      rmSync(captureDir, { recursive: true, force: true });
      console.log(`log redaction: ${lines} log lines from ${files} processes, no token in any`);
      return;
    }
    const report = leaks
      .slice(0, 20)
      .map((l) => `  ${l.file}:${l.line} ${l.secret}: ${l.excerpt}`)
      .join('\n');
    // An error thrown from a global teardown is only printed by vitest: fail the run's exit code explicitly.
    console.error(
      `log redaction FAILED: ${leaks.length} log lines hold a secret (captures kept in ${captureDir}):\n${report}`,
    );
    process.exitCode = 1;
  };
}

export default function setup(): () => void {
  return captureLogs();
}
