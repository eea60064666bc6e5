// Messages between the cluster manager (src/cluster) and its cluster processes (src/shard/main.ts) over the
// sharding IPC: a module of its own because both sides use it.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export const METRICS_REQUEST = 'stats:metrics';

export interface MetricsRequest {
  kind: typeof METRICS_REQUEST;
}

export interface MetricsReply {
  metrics: MetricObjectWithValues<MetricValue<string>>[];
}

export function isMetricsRequest(msg: unknown): msg is MetricsRequest {
  return typeof msg === 'object' && msg !== null && (msg as { kind?: unknown }).kind === METRICS_REQUEST;
}

/**
 * Exit code of a cluster process that must not simply be restarted: the configuration or Discord's answer
 * makes every restart fail the same way (sysexits EX_CONFIG). The manager gives up on it and exits with it.
 */
export const EXIT_UNRECOVERABLE = 78;

export const FATAL_REPORT = 'stats:fatal';

/** A cluster process tells the manager why it is about to exit with EXIT_UNRECOVERABLE. */
export interface FatalReport {
  kind: typeof FATAL_REPORT;
  reason: string;
}

/** The reason of a FatalReport, from the raw message or discord-hybrid-sharding's IPCMessage around it. */
export function fatalReasonOf(msg: unknown): string | undefined {
  const m = msg as { kind?: unknown; reason?: unknown; raw?: { kind?: unknown; reason?: unknown } } | null;
  const r = m?.raw?.kind === FATAL_REPORT ? m.raw : m;
  return r?.kind === FATAL_REPORT && typeof r.reason === 'string' ? r.reason.slice(0, 500) : undefined;
}
