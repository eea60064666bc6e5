// The dashboard's request metrics, on the process registry (src/metrics.ts). Routes are Fastify's route
// patterns (/api/guilds/:guildId/overview), never concrete ids.
import client from 'prom-client';
import { registry } from '../metrics.js';

export const webRequestDuration = new client.Histogram({
  name: 'stats_web_request_duration_seconds',
  help: 'Dashboard HTTP requests by method, route pattern and status, and how long they took.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
