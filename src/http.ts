// The small HTTP endpoint every process serves: /metrics (Prometheus text), /healthz (alive), /readyz
// (ready to do its job). Nothing else is routed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

export interface OpsServerOptions {
  port: number;
  metrics: () => Promise<{ contentType: string; body: string }>;
  ready?: () => boolean;
  /** Extra fields for the /healthz JSON body (e.g. the ingest loop's last cycle). */
  status?: () => Record<string, unknown>;
  logger: Logger;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      opts.metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        },
        (err: Error) => {
          opts.logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end('metrics unavailable\n');
        },
      );
    } else if (path === '/healthz') {
      // Alive means the process serves; outages of its dependencies are reported here, not restarted.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', ...opts.status?.() }) + '\n');
    } else if (path === '/readyz') {
      const ok = opts.ready?.() ?? true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '0.0.0.0', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port }, 'serving /metrics, /healthz and /readyz');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
