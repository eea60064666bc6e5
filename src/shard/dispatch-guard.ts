// One bad dispatch must never take a cluster process down. Three layers:
//   1. every dispatch is checked against its schema (dispatch-schemas.ts) before discord.js sees it, at the
//      one place all of them pass: the sharding strategy's hand-over from @discordjs/ws to discord.js
//      (ws.buildStrategy). A dispatch that fails is dropped, counted and logged (once per event type, with
//      a sample); discord.js, its caches and the collectors never see it;
//   2. whatever still throws while discord.js handles a dispatch (its handlers call our listeners
//      synchronously) is caught there too, and in discord.js's replay of dispatches queued before ready;
//   3. every collector listener is wrapped (guarded()), so one collector's bug skips only its own work for
//      that event: the other collectors still count it.
import { SimpleShardingStrategy, type Client, type ClientOptions } from 'discord.js';
import type { Logger } from '../logger.js';
import { collectorErrors, dispatchesRejected, gatewayDispatches } from '../metrics.js';
import { dispatchLabel, dispatchProblem } from './dispatch-schemas.js';

type WsManager = Parameters<NonNullable<NonNullable<ClientOptions['ws']>['buildStrategy']>>[0];

/** Logs the first occurrence of each kind with a sample, and a count of the rest every 10 minutes. */
export class OncePerKind {
  private readonly seen = new Map<string, { since: number; suppressed: number }>();
  constructor(
    private readonly logger: Logger,
    private readonly everyMs = 10 * 60_000,
  ) {}

  report(kind: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const s = this.seen.get(kind);
    if (s && now - s.since < this.everyMs) {
      s.suppressed++;
      return;
    }
    this.seen.set(kind, { since: now, suppressed: 0 });
    this.logger.warn({ ...fields, ...(s ? { sinceLastLog: s.suppressed } : {}) }, msg);
  }
}

/**
 * A short JSON excerpt of a payload for the log. Interaction tokens are left out, and message content is
 * replaced by its length: content is read for counting only, never kept (docs/architecture.md, invariant 5).
 */
export function sampleOf(d: unknown, max = 300): string {
  let json: string;
  try {
    json =
      JSON.stringify(d, (k, v: unknown) =>
        k === 'token' ? '[redacted]' : k === 'content' && typeof v === 'string' ? `[${v.length} characters]` : v,
      ) ?? String(d);
  } catch {
    json = String(d);
  }
  return json.length > max ? `${json.slice(0, max)}…` : json;
}

/** Error fields for a log line without the error's own enumerable payload (requests, bodies). */
function errorSummary(err: unknown): { type: string; message: string; stack?: string } {
  if (err instanceof Error)
    return { type: err.name, message: err.message.slice(0, 500), stack: err.stack?.split('\n').slice(0, 6).join('\n') };
  return { type: typeof err, message: String(err).slice(0, 500) };
}

export interface DispatchGuard {
  /** For ClientOptions.ws.buildStrategy. */
  buildStrategy(manager: WsManager): SimpleShardingStrategy;
  /** Wraps discord.js's packet handling of `client` (also used for dispatches it queued before ready). */
  protect(client: Client): void;
  /** Wraps a collector's listener: a throw is counted and logged, and only this listener skips the event. */
  guarded<A extends unknown[]>(collector: string, type: string, fn: (...args: A) => unknown): (...args: A) => void;
  /** The client as a collector sees it: every listener it adds with on()/once() is guarded(). */
  forCollector(client: Client, collector: string): Client;
}

export function createDispatchGuard(logger: Logger): DispatchGuard {
  const log = logger.child({ component: 'dispatch-guard' });
  const once = new OncePerKind(log);

  /** `type`: a dispatch name or discord.js event name (both bounded sets). */
  const handlerFailed = (stage: string, type: string, d: unknown, err: unknown) => {
    collectorErrors.inc({ collector: stage, type });
    once.report(
      `${stage}:${type}`,
      { collector: stage, type, err: errorSummary(err), sample: sampleOf(d) },
      'handling a gateway event failed; event skipped there, counting goes on',
    );
  };

  const guarded =
    <A extends unknown[]>(collector: string, type: string, fn: (...args: A) => unknown) =>
    (...args: A): void => {
      try {
        const r = fn(...args);
        if (r instanceof Promise) r.catch((err: unknown) => handlerFailed(collector, type, args[0], err));
      } catch (err) {
        handlerFailed(collector, type, args[0], err);
      }
    };

  return {
    guarded,
    buildStrategy(manager) {
      // The strategy forwards every shard event through manager.emit: that is where dispatches are checked.
      const forward = (event: string, payload: unknown): boolean =>
        (manager.emit as (e: string, p: unknown) => boolean)(event, payload);
      const emit = (event: string, payload: { data?: { t?: unknown; d?: unknown }; shardId: number }): boolean => {
        if (event !== 'dispatch') {
          try {
            return forward(event, payload);
          } catch (err) {
            handlerFailed('discord.js', event, undefined, err);
            return true;
          }
        }
        const t = payload.data?.t;
        const d = payload.data?.d;
        const type = dispatchLabel(t);
        gatewayDispatches.inc({ type, shard: payload.shardId });
        const problem = dispatchProblem(t, d);
        if (problem !== undefined) {
          dispatchesRejected.inc({ type });
          once.report(
            `invalid:${type}`,
            { type, event: typeof t === 'string' ? t.slice(0, 64) : typeof t, problem, sample: sampleOf(d) },
            'malformed gateway dispatch dropped',
          );
          return true;
        }
        try {
          return forward(event, payload);
        } catch (err) {
          handlerFailed('discord.js', type, d, err);
          return true;
        }
      };
      const proxy = new Proxy(manager, {
        get(target, prop) {
          if (prop === 'emit') return emit;
          const v: unknown = Reflect.get(target, prop, target);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      return new SimpleShardingStrategy(proxy);
    },

    protect(client) {
      // discord.js replays dispatches queued before ready from setImmediate, outside the strategy's emit.
      const ws = client.ws as unknown as {
        handlePacket(packet?: { t?: unknown; d?: unknown }, shard?: unknown): boolean;
      };
      const handle = ws.handlePacket.bind(ws);
      ws.handlePacket = (packet, shard) => {
        try {
          return handle(packet, shard);
        } catch (err) {
          handlerFailed('discord.js', dispatchLabel(packet?.t), packet?.d, err);
          return true;
        }
      };
    },

    forCollector(client, collector) {
      return new Proxy(client, {
        get(target, prop) {
          if (prop === 'on' || prop === 'once') {
            return (event: string, fn: (...args: unknown[]) => unknown) => {
              target[prop](event as never, guarded(collector, event, fn) as never);
              return target;
            };
          }
          const v: unknown = Reflect.get(target, prop, target);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}
