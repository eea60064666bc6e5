// The process's one Prometheus registry and the metrics shared across the code; a part's own metrics are
// defined next to it on this registry (shard/invites/metrics.ts, web/metrics.ts, the session tracker and
// writer in shard/sessions). Names follow the Prometheus naming guide; labels never carry guild or user
// ids (those live in the database).
import client from 'prom-client';

export const registry = new client.Registry();

export function collectProcessMetrics(prefix = ''): void {
  client.collectDefaultMetrics({ register: registry, prefix });
}

export const gatewayEvents = new client.Counter({
  name: 'stats_gateway_events_total',
  help: 'Gateway dispatches handled by the collectors, by type and shard.',
  labelNames: ['type', 'shard'] as const,
  registers: [registry],
});

export const shardStatus = new client.Gauge({
  name: 'stats_shard_ready',
  help: '1 while a shard has a ready gateway session, 0 otherwise.',
  labelNames: ['shard'] as const,
  registers: [registry],
});

export const shardPing = new client.Gauge({
  name: 'stats_shard_heartbeat_latency_seconds',
  help: 'Last heartbeat round trip of a shard.',
  labelNames: ['shard'] as const,
  registers: [registry],
});

export const redisWriteErrors = new client.Counter({
  name: 'stats_redis_write_errors_total',
  help: 'Redis increments that failed and went to the retry buffer.',
  registers: [registry],
});

export const incrementsShed = new client.Counter({
  name: 'stats_increments_shed_total',
  help: 'Increments dropped because the retry buffer was full.',
  registers: [registry],
});

export const retryBufferSize = new client.Gauge({
  name: 'stats_retry_buffer_fields',
  help: 'Distinct counter fields waiting in the retry buffer.',
  registers: [registry],
});

export const ingestBatches = new client.Counter({
  name: 'stats_ingest_batches_total',
  help: 'Batches handled by the ingest worker, by family and outcome (loaded, duplicate, empty; failed: a load attempt failed for a reason of the batch; quarantined).',
  labelNames: ['family', 'outcome'] as const,
  registers: [registry],
});

export const ingestRows = new client.Counter({
  name: 'stats_ingest_rows_total',
  help: 'Rows loaded into raw tables by COPY.',
  labelNames: ['family'] as const,
  registers: [registry],
});

export const ingestErrors = new client.Counter({
  name: 'stats_ingest_errors_total',
  help: 'Ingest cycles that failed and will be retried.',
  registers: [registry],
});

export const ingestDuration = new client.Histogram({
  name: 'stats_ingest_batch_duration_seconds',
  help: 'Time to load one batch (read, COPY, commit, unlink).',
  labelNames: ['family'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const renderDuration = new client.Histogram({
  name: 'stats_render_duration_seconds',
  help: 'Chart render time, drawing and PNG encoding, by chart kind.',
  labelNames: ['kind'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const commandLatency = new client.Histogram({
  name: 'stats_command_duration_seconds',
  help: 'Slash command time from interaction to final reply, by command and outcome.',
  labelNames: ['command', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  registers: [registry],
});

export const commandDeadlineMisses = new client.Counter({
  name: 'stats_command_deadline_misses_total',
  // No labels: exported (as 0) from the start, so the alert and dashboards always have a series.
  help: "Slash commands whose first acknowledgement missed Discord's 3-second window (late, or refused as an unknown interaction).",
  registers: [registry],
});

export const gatewayDispatches = new client.Counter({
  name: 'stats_gateway_dispatches_total',
  help: 'Every gateway dispatch received (op 0), by event type and shard, whether or not a collector uses it.',
  labelNames: ['type', 'shard'] as const,
  registers: [registry],
});

export const gatewaySessions = new client.Counter({
  name: 'stats_gateway_sessions_total',
  help: 'Gateway sessions started (kind="identify") or resumed (kind="resume"), by shard.',
  labelNames: ['shard', 'kind'] as const,
  registers: [registry],
});

export const identifyWait = new client.Histogram({
  name: 'stats_identify_wait_seconds',
  help: 'Time a shard waited for the cross-process identify lock (max_concurrency bucket) and session budget.',
  buckets: [0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const sessionStartRemaining = new client.Gauge({
  name: 'stats_session_start_remaining',
  help: 'session_start_limit.remaining from GET /gateway/bot, as last seen before an identify.',
  registers: [registry],
});

export const ingestLag = new client.Gauge({
  name: 'stats_ingest_lag_seconds',
  help: 'Seconds since the ingest worker last finished a successful cycle: Redis data older than this (plus one cycle) is loaded.',
  registers: [registry],
});

export const ingestInterval = new client.Gauge({
  name: 'stats_ingest_interval_seconds',
  help: 'Configured gap between ingest cycles (INGEST_INTERVAL_MS): the unit of the ingest lag alert.',
  registers: [registry],
});

export const dispatchesRejected = new client.Counter({
  name: 'stats_gateway_dispatches_rejected_total',
  help: 'Gateway dispatches dropped before discord.js saw them because they failed validation, by event type.',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const collectorErrors = new client.Counter({
  name: 'stats_collector_errors_total',
  help: 'Gateway events whose handling threw (caught; the event was skipped there), by collector (or discord.js) and event.',
  labelNames: ['collector', 'type'] as const,
  registers: [registry],
});

export const processErrors = new client.Counter({
  name: 'stats_process_errors_total',
  help: 'Errors that reached the process level, by kind (unhandled_rejection, uncaught_exception).',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const clusterRestarts = new client.Counter({
  name: 'stats_cluster_restarts_total',
  help: 'Cluster processes the manager restarted after they died.',
  registers: [registry],
});

export const logLinesScrubbed = new client.Counter({
  name: 'stats_log_lines_scrubbed_total',
  help: 'Log lines in which something shaped like a token or a password had to be blanked out before writing (a code path logs a secret).',
  registers: [registry],
});

export const ingestQuarantined = new client.Gauge({
  name: 'stats_ingest_quarantined_batches',
  help: 'Batches the ingest worker moved to quarantine after repeated load failures and nobody has replayed or dropped yet (npm run quarantine).',
  registers: [registry],
});

export const redisResets = new client.Counter({
  name: 'stats_redis_resets_total',
  help: 'Times this process found Redis emptied (FLUSHALL, restart without persistence) and rebuilt what it keeps there.',
  registers: [registry],
});

export const memberNameRequests = new client.Counter({
  name: 'stats_member_name_requests_total',
  help: 'Gateway member requests for display names, by outcome (fetched, failed, over_budget: skipped, the answer said names were unavailable).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const interactionRequests = new client.Counter({
  name: 'stats_interaction_requests_total',
  help: 'Requests to the interactions service by outcome (pong, deferred, replied, bad_signature, stale, too_large, malformed, unknown_type, replayed, bot_absent, error).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const interactionAckLatency = new client.Histogram({
  name: 'stats_interaction_ack_seconds',
  help: "Time from an interaction request's arrival to the service's HTTP response (the acknowledgement Discord waits 3 s for).",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
  registers: [registry],
});

export const schedulerRuns = new client.Counter({
  name: 'stats_scheduler_runs_total',
  help: 'Scheduled job runs finished, by job and outcome (ok, error, aborted: lease lost or shutdown).',
  labelNames: ['job', 'outcome'] as const,
  registers: [registry],
});

export const schedulerRunDuration = new client.Histogram({
  name: 'stats_scheduler_run_duration_seconds',
  help: 'Duration of scheduled job runs, by job.',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
  registers: [registry],
});

export const schedulerDue = new client.Gauge({
  name: 'stats_scheduler_due_runs',
  help: 'Job runs due and not yet claimed (backlog), as last seen by this replica.',
  registers: [registry],
});

// Backfill of message history (src/shard/backfill): progress a dashboard can follow without guild ids.
export const backfillMessagesRead = new client.Counter({
  name: 'stats_backfill_messages_read_total',
  help: 'Messages read from channel history by backfills (every message of every page).',
  registers: [registry],
});

export const backfillMessagesLoaded = new client.Counter({
  name: 'stats_backfill_messages_loaded_total',
  help: 'Messages of backfilled pages within the depth and before the live cut, loaded through the counting functions.',
  registers: [registry],
});

export const backfillPages = new client.Counter({
  name: 'stats_backfill_pages_total',
  help: 'History pages committed (rows and cursor in one transaction).',
  registers: [registry],
});

export const backfillChannels = new client.Counter({
  name: 'stats_backfill_channels_total',
  help: 'Channels finished by backfills, by outcome (done, skipped).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const backfillJobs = new client.Counter({
  name: 'stats_backfill_jobs_total',
  help: 'Backfill jobs ended by this process, by outcome (done, failed, lost_lease).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const backfillRunning = new client.Gauge({
  name: 'stats_backfill_running',
  help: 'Backfill jobs this process is running now.',
  registers: [registry],
});
