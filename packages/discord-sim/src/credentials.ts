// The bot's token and the session start budget, shared by the gateway and REST. Discord resets the token of
// an application that goes past its daily session start limit (events/gateway.mdx, "Identifying"): the old
// token stops working on both, and the owner learns the new one (here: Simulator.token).
import { randomBytes } from 'node:crypto';

/** A token shaped like Discord's: base64(user id).timestamp.hmac. */
export function realisticToken(userId: string): string {
  return `${Buffer.from(userId).toString('base64url')}.${randomBytes(5).toString('base64url')}.${randomBytes(28).toString('base64url')}`;
}

const DAY_MS = 86_400_000;

export class Credentials {
  /** Times the token was reset (session start limit exceeded). */
  resets = 0;
  private current: string;

  constructor(
    private readonly userId: string,
    token: string | undefined,
  ) {
    this.current = token ?? realisticToken(userId);
  }

  get token(): string {
    return this.current;
  }

  /** Whether `token` (with or without the "Bot " prefix of an Authorization header) is the current one. */
  valid(token: string | undefined): boolean {
    return token !== undefined && token.replace(/^Bot\s+/i, '') === this.current;
  }

  reset(): void {
    this.current = realisticToken(this.userId);
    this.resets++;
  }
}

/** session_start_limit of GET /gateway/bot: IDENTIFYs allowed per 24 h, and identify concurrency. */
export class SessionStartBudget {
  remaining: number;
  private resetAt: number;

  constructor(
    readonly total: number,
    readonly maxConcurrency: number,
    now = Date.now(),
  ) {
    this.remaining = total;
    this.resetAt = now + DAY_MS;
  }

  /** Counts an IDENTIFY; false when none is left. */
  take(now = Date.now()): boolean {
    this.roll(now);
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }

  /** As GET /gateway/bot reports it. */
  view(now = Date.now()): { total: number; remaining: number; reset_after: number; max_concurrency: number } {
    this.roll(now);
    return {
      total: this.total,
      remaining: this.remaining,
      reset_after: this.resetAt - now,
      max_concurrency: this.maxConcurrency,
    };
  }

  private roll(now: number): void {
    if (now < this.resetAt) return;
    this.remaining = this.total;
    this.resetAt = now + DAY_MS;
  }
}
