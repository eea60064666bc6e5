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
