// A logger made by src/logger.ts (same redaction, serialisers and scrubbing) whose lines a test can read.
import { createLogger, type Logger } from '../../src/logger.js';

export interface CapturedLogger {
  logger: Logger;
  /** Raw lines as written (after scrubbing), newest last. */
  lines: string[];
  /** Parsed lines whose msg matches. */
  find(msg: RegExp): Record<string, unknown>[];
}

export function capturedLogger(level = 'warn', bindings: Record<string, unknown> = {}): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger(level, bindings, { write: (s: string) => void lines.push(s) });
  return {
    logger,
    lines,
    find: (msg) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => msg.test(String(l.msg))),
  };
}
