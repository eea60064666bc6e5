// The HTTP side of the interactions service (Fastify): POST /interactions verifies Discord's signature on
// the raw body before anything else, answers PING with PONG, and hands every other interaction to the
// responder, whose first response is the HTTP reply. Every refusal is a clear status and one log line.
import Fastify, { type FastifyInstance } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { InteractionResponseType, InteractionType, type APIInteraction } from 'discord.js';
import type { Logger } from '../logger.js';
import { interactionAckLatency, interactionRequests } from '../metrics.js';
import type { Responder } from './responder.js';
import { checkSignature } from './verify.js';

export interface InteractionsServerOptions {
  publicKey: KeyObject;
  maxBodyBytes: number;
  maxAgeSec: number;
  responder: Pick<Responder, 'respond'>;
  /**
   * Records an interaction id; false when it was seen before (a replay within the timestamp window). Shared
   * by every replica (Redis), so the service itself stays stateless.
   */
  firstSeen: (interactionId: string) => Promise<boolean>;
  logger: Logger;
  ready?: () => boolean;
}

const HANDLED = new Set<number>([
  InteractionType.ApplicationCommand,
  InteractionType.MessageComponent,
  InteractionType.ApplicationCommandAutocomplete,
]);

export function buildInteractionsServer(o: InteractionsServerOptions): FastifyInstance {
  const app = Fastify({ bodyLimit: o.maxBodyBytes, logger: false, return503OnClosing: true });
  // The signature covers the exact bytes: keep the body raw, parse it only once it is verified.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const refuse = (outcome: string, status: number, message: string, extra: Record<string, unknown> = {}) => {
    interactionRequests.inc({ outcome });
    o.logger.warn({ outcome, status, ...extra }, `interaction request refused: ${message}`);
    return { status, body: { error: message } };
  };

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const r = refuse('too_large', 413, `body larger than ${o.maxBodyBytes} bytes`);
      return reply.code(r.status).send(r.body);
    }
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) o.logger.error({ err }, 'interaction request failed');
    interactionRequests.inc({ outcome: status >= 500 ? 'error' : 'malformed' });
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });

  app.post('/interactions', async (req, reply) => {
    const started = process.hrtime.bigint();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkSignature(
      o.publicKey,
      header(req.headers['x-signature-ed25519']),
      header(req.headers['x-signature-timestamp']),
      body,
      o.maxAgeSec,
    );
    if (check !== 'ok') {
      const r =
        check === 'stale'
          ? refuse('stale', 401, 'timestamp too far from now')
          : refuse(
              'bad_signature',
              401,
              check === 'missing' ? 'missing signature headers' : 'invalid request signature',
            );
      return reply.code(r.status).send(r.body);
    }
    let payload: APIInteraction;
    try {
      payload = JSON.parse(body.toString('utf8')) as APIInteraction;
      if (typeof payload !== 'object' || payload === null || typeof payload.type !== 'number')
        throw new Error('not an interaction object');
    } catch (err) {
      const r = refuse('malformed', 400, 'body is not an interaction (JSON object with a numeric type)', {
        err: (err as Error).message,
      });
      return reply.code(r.status).send(r.body);
    }
    if (payload.type === InteractionType.Ping) {
      interactionRequests.inc({ outcome: 'pong' });
      return reply.send({ type: InteractionResponseType.Pong });
    }
    if (!HANDLED.has(payload.type) || typeof payload.id !== 'string' || typeof payload.token !== 'string') {
      const r = refuse('unknown_type', 400, `interaction type ${String(payload.type)} is not handled`);
      return reply.code(r.status).send(r.body);
    }
    if (!(await o.firstSeen(payload.id))) {
      const r = refuse('replayed', 409, 'interaction already received', { interaction: payload.id });
      return reply.code(r.status).send(r.body);
    }
    // The command goes on once the acknowledgement has left (InlineResponses): its edits must not overtake it.
    const sent = new Promise<boolean>((resolve) => {
      reply.raw.once('finish', () => resolve(true));
      reply.raw.once('close', () => resolve(reply.raw.writableFinished));
    });
    const { body: response, outcome } = await o.responder.respond(payload, sent);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    interactionRequests.inc({ outcome });
    interactionAckLatency.observe(seconds);
    if (outcome === 'bot_absent' || outcome === 'unanswered')
      o.logger.warn(
        { outcome, interaction: payload.id, guild: payload.guild_id },
        'interaction answered by the service itself',
      );
    return reply.send(response);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ok = o.ready?.() ?? true;
    return reply
      .code(ok ? 200 : 503)
      .type('text/plain')
      .send(ok ? 'ready\n' : 'not ready\n');
  });
  return app;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
