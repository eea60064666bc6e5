// Discord's limits, all on by default so that a bot that would be throttled, disconnected or refused by
// Discord is throttled, disconnected or refused here too. Each can be switched off (or, where a test needs
// it shorter, retimed) through SimulatorOptions.limits; a test that does so should say why.

export interface Limits {
  /**
   * REST rate limits (developers/topics/rate-limits.mdx): per-route buckets per top-level resource with
   * X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket on every response, the global limit of
   * `restGlobalPerSecond` requests per second per bot, and 429s with `retry_after` and X-RateLimit-Scope.
   */
  rest: boolean;
  /** Discord: 50. */
  restGlobalPerSecond: number;
  /** 120 gateway sends per connection per 60 s; one more closes the connection with 4008 (events/gateway.mdx, "Rate Limiting"). */
  gatewaySends: boolean;
  /** Gateway payloads a client sends may not exceed 4096 bytes: close 4002 (events/gateway.mdx, "Sending Events"). */
  gatewayPayloadSize: boolean;
  /**
   * One IDENTIFY per `identifyIntervalMs` per max_concurrency bucket (`shard_id % max_concurrency`); one
   * more gets INVALID_SESSION (op 9, d: false) (events/gateway.mdx, "Identifying" and "Rate Limiting").
   */
  identify: boolean;
  /** Discord: 5000. */
  identifyIntervalMs: number;
  /**
   * The daily session start limit (session_start_limit.total IDENTIFYs per 24 h). An IDENTIFY beyond it
   * terminates every session of the application and resets its token, as Discord documents
   * (events/gateway.mdx, "Identifying"): every socket closes with 4004 and the old token stops working.
   */
  sessionStart: boolean;
  /**
   * REQUEST_GUILD_MEMBERS (op 8) rules (events/gateway-events.mdx, "Request Guild Members"): one guild per
   * request, the whole member list only with GUILD_MEMBERS, presences only with GUILD_PRESENCES, at most 100
   * members for a query or user ids, and one whole-list request per guild per 30 s (RATE_LIMITED dispatch).
   */
  requestGuildMembers: boolean;
  /**
   * Channel renames (PATCH /channels/{id} with a name): `channelRenamesPerWindow` per channel per
   * `channelRenameWindowMs`, beyond the route's bucket (Discord: 2 per 10 minutes), answered with a 429.
   */
  channelRename: boolean;
  /** Discord: 2. */
  channelRenamesPerWindow: number;
  /** Discord: 600,000. */
  channelRenameWindowMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  rest: true,
  restGlobalPerSecond: 50,
  gatewaySends: true,
  gatewayPayloadSize: true,
  identify: true,
  identifyIntervalMs: 5000,
  sessionStart: true,
  requestGuildMembers: true,
  channelRename: true,
  channelRenamesPerWindow: 2,
  channelRenameWindowMs: 600_000,
};

export function resolveLimits(o: Partial<Limits> | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...o };
}

/**
 * A fixed window of `limit` uses. Unanchored, a window opens at its first use and refills `windowMs`
 * later (what Discord's REST buckets report: a limit, what remains, when it resets). Anchored, windows
 * tile from the anchor (a gateway connection's limit counts from the moment it opened).
 */
export class Window {
  private used = 0;
  private resetAt: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly anchor?: number,
  ) {
    this.resetAt = anchor === undefined ? 0 : anchor + windowMs;
  }

  /** Counts a use at `now`; false when the window is already full (the use is not counted). */
  take(now: number): boolean {
    this.roll(now);
    if (this.used >= this.limit) return false;
    if (this.used === 0 && this.anchor === undefined) this.resetAt = now + this.windowMs;
    this.used++;
    return true;
  }

  remaining(now: number): number {
    this.roll(now);
    return this.limit - this.used;
  }

  /** Epoch ms at which the current window ends (for an unanchored window without uses: `now`). */
  resetsAt(now: number): number {
    this.roll(now);
    return this.used === 0 && this.anchor === undefined ? now : this.resetAt;
  }

  private roll(now: number): void {
    if (now < this.resetAt) return;
    this.used = 0;
    if (this.anchor !== undefined)
      this.resetAt = this.anchor + (Math.floor((now - this.anchor) / this.windowMs) + 1) * this.windowMs;
  }
}
