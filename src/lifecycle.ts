// Graceful shutdown shared by the processes: SIGTERM (or SIGINT) runs the process's stop sequence once,
// within a grace period (SHUTDOWN_GRACE_MS) after which the process force-exits; a second signal exits
// at once. Exit code 0 only when the stop sequence says nothing was lost.
import type { ChildProcess } from 'node:child_process';
import { Events, type Client } from 'discord.js';
import type { ClusterManager } from 'discord-hybrid-sharding';
import { supervisorOf } from './cluster/supervisor.js';
import type { Logger } from './logger.js';
import { commandLatency, processErrors } from './metrics.js';

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
    logger.fatal({ err, origin }, 'uncaught exception: state may be corrupt; flushing what this process holds, then exiting');
    lifecycle.shutdown('uncaughtException', 1);
  });
}

/**
 * Slash commands this process has begun and not yet answered: chat-input commands in cached guilds (the
 * ones the router handles) minus the router's latency observations, one per finished command.
 */
export function trackCommands(client: Client): { inFlight(): Promise<number>; idle(timeoutMs: number): Promise<boolean> } {
  const finished = async () => (await commandLatency.get()).values.filter((v) => v.metricName === 'stats_command_duration_seconds_count').reduce((a, v) => a + v.value, 0);
  let started = 0;
  const baseline = finished();
  client.on(Events.InteractionCreate, (i) => {
    if (i.isChatInputCommand() && i.inCachedGuild()) started++;
  });
  const inFlight = async () => started - ((await finished()) - (await baseline));
  return {
    inFlight,
    async idle(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while ((await inFlight()) > 0) {
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    },
  };
}

/**
 * The manager's side: no respawns, SIGTERM to every cluster process, and wait for them to exit (each
 * has its own grace period); whatever is still alive after `graceMs` is killed. True when all exited 0.
 */
export async function stopClusterProcesses(manager: ClusterManager, graceMs: number, logger: Logger): Promise<boolean> {
  supervisorOf(manager)?.stop();
  const children = [...manager.clusters.values()].map((c) => ({ id: c.id, child: c.thread?.process as ChildProcess | undefined }));
  const codes = await Promise.all(
    children.map(({ id, child }) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? 0);
      return new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          logger.error({ cluster: id }, 'cluster process did not exit within the grace period: killing it');
          child.kill('SIGKILL');
        }, graceMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGTERM');
      });
    }),
  );
  return codes.every((c) => c === 0);
}
