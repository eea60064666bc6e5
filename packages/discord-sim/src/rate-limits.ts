// REST rate limits as Discord applies them (developers/topics/rate-limits.mdx): a bucket per route (method
// and path with ids as placeholders) and top-level resource (guild, channel, webhook), reported on every
// response in X-RateLimit-* headers; a global limit per bot of 50 requests per second that interaction
// endpoints are exempt from; and 429s with Retry-After, `retry_after`, `global` and X-RateLimit-Scope.
import { createHash } from 'node:crypto';
import type { RESTRateLimit } from 'discord-api-types/v10';
import { Window } from './limits.js';

/**
 * Discord does not publish per-route limits ("should not be hard coded"); these are the values its headers
 * have reported where known, and the documentation's example bucket (5 requests, resetting after 1 s)
 * for every other route.
 */
const ROUTE_LIMITS: Record<string, { limit: number; windowMs: number }> = {
  // x-ratelimit-limit: 2, x-ratelimit-reset-after: 5.000 (headers quoted in discordjs/discord.js#3891).
  'GET /gateway/bot': { limit: 2, windowMs: 5000 },
  // Message history: 5 per second per channel (the bucket is kept per channel, a top-level resource), the
  // documentation's example bucket, which is also what this route's headers have been reported to show.
  'GET /channels/{id}/messages': { limit: 5, windowMs: 1000 },
};
const DEFAULT_ROUTE_LIMIT = { limit: 5, windowMs: 1000 };
const SNOWFLAKE = /^\d{15,21}$/;

export interface RouteKey {
  /** "METHOD /path/{id}/..." */
  route: string;
  /** The top-level resource the bucket is kept per: a guild, channel or webhook (id and token), or ''. */
  resource: string;
  /** Interaction endpoints (callbacks, and webhooks with an interaction token) skip the global limit. */
  interaction: boolean;
}

/** The route a request belongs to; `parts` are the decoded path segments after /api/v10. */
export function routeKey(method: string, parts: readonly string[]): RouteKey {
  const [top, id, token] = parts;
  let resource = '';
  let template: string[];
  if (top === 'interactions') {
    template = [top, '{interaction_id}', '{interaction_token}', ...parts.slice(3)];
    resource = id ?? '';
  } else if (top === 'webhooks') {
    template = [
      top,
      '{webhook_id}',
      ...(token !== undefined ? ['{webhook_token}'] : []),
      ...parts.slice(3).map((p) => (SNOWFLAKE.test(p) ? '{id}' : p)),
    ];
    resource = `${id ?? ''}/${token ?? ''}`;
  } else {
    if ((top === 'guilds' || top === 'channels') && id !== undefined) resource = id;
    template = parts.map((p) => (SNOWFLAKE.test(p) ? '{id}' : p));
  }
  // Every webhook route with a token answers interactions when the webhook is an application's.
  const interaction = top === 'interactions' || (top === 'webhooks' && token !== undefined);
  return { route: `${method} /${template.join('/')}`, resource, interaction };
}

export interface Verdict {
  /** X-RateLimit-* headers for the response. */
  headers: Record<string, string>;
  /** Set when the request is refused: the 429's body (Retry-After is in the headers). */
  refusal?: RESTRateLimit;
}

export class RestRateLimiter {
  private readonly buckets = new Map<string, Window>();
  private readonly global = new Map<string, Window>();

  constructor(private readonly globalPerSecond: number) {}

  /** Counts a request by `caller` (its token, or '' without one) and says whether it may proceed. */
  check(caller: string, key: RouteKey, now = Date.now()): Verdict {
    if (!key.interaction) {
      let g = this.global.get(caller);
      if (!g) this.global.set(caller, (g = new Window(this.globalPerSecond, 1000)));
      if (!g.take(now)) {
        const after = Math.max(0.001, (g.resetsAt(now) - now) / 1000);
        return {
          headers: {
            'retry-after': String(Math.ceil(after)),
            'x-ratelimit-global': 'true',
            'x-ratelimit-scope': 'global',
          },
          refusal: { message: 'You are being rate limited.', retry_after: round(after), global: true, code: 0 },
        };
      }
    }
    const spec = ROUTE_LIMITS[key.route] ?? DEFAULT_ROUTE_LIMIT;
    const id = `${caller}|${key.route}|${key.resource}`;
    let w = this.buckets.get(id);
    if (!w) this.buckets.set(id, (w = new Window(spec.limit, spec.windowMs)));
    const allowed = w.take(now);
    const resetAt = w.resetsAt(now);
    const after = Math.max(0, (resetAt - now) / 1000);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(spec.limit),
      'x-ratelimit-remaining': String(w.remaining(now)),
      'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': after.toFixed(3),
      // "A unique string denoting the rate limit being encountered (non-inclusive of top-level resources)".
      'x-ratelimit-bucket': createHash('md5').update(key.route).digest('hex'),
    };
    if (allowed) return { headers };
    return {
      headers: { ...headers, 'retry-after': String(Math.ceil(after)), 'x-ratelimit-scope': 'user' },
      refusal: { message: 'You are being rate limited.', retry_after: round(after), global: false, code: 0 },
    };
  }
}

const round = (s: number) => Math.round(s * 1000) / 1000;
// `code` is optional in the documentation ("for some limits") and required by the spec (RatelimitedResponse):
// 0, the code Discord gives errors without a specific one.
