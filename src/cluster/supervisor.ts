// Respawning of cluster processes, instead of discord-hybrid-sharding's (immediate respawns, then after a
// fixed count silence: the manager stayed up and "healthy" with its shards offline for good). A cluster
// process that dies is restarted after an exponential backoff (reset once it is ready again), as long as
// its restart budget lasts: a token bucket of CLUSTER_RESTART_BUDGET restarts, one coming back every
// CLUSTER_RESTART_RECOVERY_MS. A cluster that exits with EXIT_UNRECOVERABLE (Discord rejected the token,
// or the intents or shard layout: restarting cannot help), or that has spent its budget, makes the
// supervisor give up: the manager then reports not ready and exits non-zero with the reason, so the
// process supervisor (Kubernetes) sees a crash loop instead of a pod idling without its shards.
import type { ChildProcess } from 'node:child_process';
import type { Cluster, ClusterManager } from 'discord-hybrid-sharding';
import type { Logger } from '../logger.js';
import { clusterRestarts } from '../metrics.js';
import { EXIT_UNRECOVERABLE, fatalReasonOf } from '../cluster-ipc.js';

export interface SupervisorOptions {
  logger: Logger;
  /** Restarts a cluster may use in a burst. */
  budget: number;
  /** Time for one used restart to come back. */
  recoveryMs: number;
  /** First restart delay; doubles per death without a ready in between, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs?: number;
  /** Called once when a cluster cannot be kept alive; `code` is the exit code the manager should use. */
  onGiveUp: (reason: string, code: number) => void;
}

interface ClusterState {
  tokens: number;
  refilledAt: number;
  deathsSinceReady: number;
  fatalReason?: string;
  timer?: NodeJS.Timeout;
}

const supervisors = new WeakMap<ClusterManager, ClusterSupervisor>();

/** The supervisor createManager attached to `manager`, if any. */
export function supervisorOf(manager: ClusterManager): ClusterSupervisor | undefined {
  return supervisors.get(manager);
}

export class ClusterSupervisor {
  private readonly states = new Map<number, ClusterState>();
  private stopped = false;
  private gaveUp: string | undefined;

  constructor(
    manager: ClusterManager,
    private readonly o: SupervisorOptions,
  ) {
    supervisors.set(manager, this);
    manager.on('clusterCreate', (cluster) => this.attach(cluster));
  }

  /** Why the supervisor gave up, once it has. */
  get failure(): string | undefined {
    return this.gaveUp;
  }

  /** No more respawns (shutdown). */
  stop(): void {
    this.stopped = true;
    for (const s of this.states.values()) clearTimeout(s.timer);
  }

  private state(id: number): ClusterState {
    let s = this.states.get(id);
    if (!s) this.states.set(id, (s = { tokens: this.o.budget, refilledAt: Date.now(), deathsSinceReady: 0 }));
    return s;
  }

  private attach(cluster: Cluster): void {
    this.state(cluster.id);
    cluster.on('ready', () => {
      this.state(cluster.id).deathsSinceReady = 0;
    });
    cluster.on('message', (msg: unknown) => {
      const reason = fatalReasonOf(msg);
      if (reason !== undefined) this.state(cluster.id).fatalReason = reason;
    });
    cluster.on('death', (_c, thread) => this.onDeath(cluster, thread as ChildProcess | null | undefined));
  }

  private take(s: ClusterState): boolean {
    const now = Date.now();
    const back = Math.floor((now - s.refilledAt) / this.o.recoveryMs);
    if (back > 0) {
      s.tokens = Math.min(this.o.budget, s.tokens + back);
      s.refilledAt = s.tokens === this.o.budget ? now : s.refilledAt + back * this.o.recoveryMs;
    }
    if (s.tokens <= 0) return false;
    s.tokens--;
    return true;
  }

  private giveUp(reason: string, code: number): void {
    if (this.gaveUp !== undefined) return;
    this.gaveUp = reason;
    this.stop();
    this.o.onGiveUp(reason, code);
  }

  private onDeath(cluster: Cluster, child: ChildProcess | null | undefined): void {
    if (this.stopped) return;
    const s = this.state(cluster.id);
    const code = child?.exitCode ?? null;
    const signal = child?.signalCode ?? null;
    const log = this.o.logger.child({ cluster: cluster.id });
    if (code === EXIT_UNRECOVERABLE) {
      return this.giveUp(
        `cluster ${cluster.id} cannot run: ${s.fatalReason ?? 'it reported an unrecoverable error (see its log)'}`,
        EXIT_UNRECOVERABLE,
      );
    }
    if (!this.take(s)) {
      return this.giveUp(
        `cluster ${cluster.id} keeps dying (last exit: ${signal ?? `code ${code}`}): its restart budget of ${this.o.budget} (one back every ${Math.round(this.o.recoveryMs / 1000)} s) is spent`,
        1,
      );
    }
    s.deathsSinceReady++;
    const delay = Math.min(this.o.backoffMs * 2 ** (s.deathsSinceReady - 1), this.o.maxBackoffMs ?? 60_000);
    clusterRestarts.inc();
    log.warn({ code, signal, restartInMs: delay, restartsLeft: s.tokens }, 'cluster process died; restarting it');
    s.timer = setTimeout(() => {
      if (this.stopped || cluster.thread) return;
      cluster.spawn().catch((err: unknown) => log.error({ err }, 'cluster respawn failed'));
    }, delay);
  }
}
/**
 * The manager's side: no respawns, SIGTERM to every cluster process, and wait for them to exit (each
 * has its own grace period); whatever is still alive after `graceMs` is killed. True when all exited 0.
 */
export async function stopClusterProcesses(manager: ClusterManager, graceMs: number, logger: Logger): Promise<boolean> {
  supervisorOf(manager)?.stop();
  const children = [...manager.clusters.values()].map((c) => ({
    id: c.id,
    child: c.thread?.process as ChildProcess | undefined,
  }));
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
