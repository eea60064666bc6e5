// Graceful shutdown shared by the processes: SIGTERM (or SIGINT) runs the process's stop sequence once,
// within a grace period (SHUTDOWN_GRACE_MS) after which the process force-exits; a second signal exits
// at once. Exit code 0 only when the stop sequence says nothing was lost.
import type { Logger } from './logger.js';
import { processErrors } from './metrics.js';

export interface ShutdownOptions {
  logger: Logger;
  graceMs: number;
  /** The stop sequence; resolves true when it finished cleanly. */
  stop: (signal: string) => Promise<boolean>;
  /** For tests; default process.exit. */
  exit?: (code: number) => void;
}

export interface Lifecycle {
  /** Whether a shutdown has begun (for /readyz). */
  stopping(): boolean;
  /**
   * Runs the stop sequence once (as SIGTERM does) and exits with `code`, or with 0/1 by the outcome when
   * `code` is undefined. A second call while stopping exits at once.
   */
  shutdown(reason: string, code?: number): void;
}

/** Installs the signal handlers (SIGTERM, SIGINT). */
export function handleShutdownSignals(opts: ShutdownOptions): Lifecycle {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const shutdown = (reason: string, code?: number) => {
    if (stopping) {
      opts.logger.warn({ reason }, 'second stop request: exiting now');
      exit(code ?? 1);
      return;
    }
    stopping = true;
    const started = Date.now();
    opts.logger.info({ reason, graceMs: opts.graceMs }, 'shutting down');
    const force = setTimeout(() => {
      opts.logger.error({ graceMs: opts.graceMs }, 'shutdown grace period over: exiting with work unfinished');
      exit(code ?? 1);
    }, opts.graceMs);
    opts.stop(reason).then(
      (clean) => {
        clearTimeout(force);
        opts.logger.info({ clean, ms: Date.now() - started }, 'stopped');
        exit(code ?? (clean ? 0 : 1));
      },
      (err: unknown) => {
        clearTimeout(force);
        opts.logger.error({ err }, 'unclean shutdown');
        exit(code ?? 1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return { stopping: () => stopping, shutdown };
}

/**
 * Process-level error policy, the same in every process:
 *  - an unhandled promise rejection is logged and counted, and the process goes on: a promise nobody
 *    awaited failed, which leaves no half-done synchronous state behind (Node's default would exit);
 *  - an uncaught exception may have left state half-updated: it is logged as fatal, then the process
 *    stops as on SIGTERM (writing what it holds, within the grace period) and exits 1.
 */
export function handleProcessErrors(logger: Logger, lifecycle: Lifecycle): void {
  process.on('unhandledRejection', (reason) => {
    processErrors.inc({ kind: 'unhandled_rejection' });
    logger.error({ err: reason }, 'unhandled promise rejection (logged; the process goes on)');
  });
  process.on('uncaughtException', (err, origin) => {
    processErrors.inc({ kind: 'uncaught_exception' });
    logger.fatal(
      { err, origin },
      'uncaught exception: state may be corrupt; flushing what this process holds, then exiting',
    );
    lifecycle.shutdown('uncaughtException', 1);
  });
}
