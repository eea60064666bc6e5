// Metrics of the member/invite path. Registered on the process registry of src/metrics.ts (kept in this
// folder so the shared metrics module needs no edit for them); same naming rules, no guild or user ids.
import client from 'prom-client';
import { registry } from '../../metrics.js';

export const memberEventWriteErrors = new client.Counter({
  name: 'stats_member_event_write_errors_total',
  help: 'Member event XADDs that failed and went to the retry buffer.',
  registers: [registry],
});

export const memberEventsShed = new client.Counter({
  name: 'stats_member_events_shed_total',
  help: 'Member events dropped because the retry buffer was full.',
  registers: [registry],
});

export const memberEventBufferSize = new client.Gauge({
  name: 'stats_member_event_retry_buffer',
  help: 'Member events waiting in the retry buffer.',
  registers: [registry],
});

export const inviteAttributions = new client.Counter({
  name: 'stats_invite_attributions_total',
  help: 'Joins attributed by invite-use diffing, by outcome (invite, vanity, unknown).',
  labelNames: ['attribution'] as const,
  registers: [registry],
});

export const inviteFetchErrors = new client.Counter({
  name: 'stats_invite_fetch_errors_total',
  help: 'Invite list fetches that failed, by reason (forbidden, error).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const inviteLateJoins = new client.Counter({
  name: 'stats_invite_late_joins_total',
  help: 'Member joins dispatched after the invite grace period of a snapshot that may hold their use (an earlier attribution may be wrong).',
  registers: [registry],
});
