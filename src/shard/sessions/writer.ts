// The one write path of timed sessions into Redis. Every change of a session (open, credit, state change,
// close) is one Lua script over the partition's session hash and live counter hash (same `{p<N>}` tag):
// it compares the stored session with the value the change was computed from, then applies the HINCRBYs
// and the new session value together. A credit therefore lands exactly once: a retried or replayed change
// finds the session already advanced and does nothing.
//
// Callers never wait: apply() sends at once (auto-pipelined) and returns. Changes of one session are kept
// in order by allowing one in flight per session; later ones merge into a pending change (first expected
// value, last new value, increments summed). A failed change is resent as it was (it may have applied
// before the connection broke: then the resend finds its new value and does nothing), then the pending one.
// Past `maxBuffered` sessions waiting for retry, increments are shed (metric, log) and the session value is
// written unconditionally, so the session stays consistent while time is lost instead of memory.
import client from 'prom-client';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import { incrementsShed, redisWriteErrors, registry } from '../../metrics.js';

const APPLY_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local exp = ARGV[2]
local nxt = ARGV[3]
if exp ~= '*' then
  local matches = (exp == '' and cur == false) or (cur == exp)
  if not matches then
    if (nxt == '' and cur == false) or cur == nxt then return 2 end
    return 0
  end
end
for i = 4, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
if nxt == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], nxt)
end
return 1
`;

/** Expected value meaning "whatever is stored" (after shedding, or when reconciliation takes over). */
export const ANY = '*';

export const sessionConflicts = new client.Counter({
  name: 'stats_session_conflicts_total',
  help: 'Session changes refused because Redis held another value than the one they were computed from',
  registers: [registry],
});

interface Change {
  /** Stored value the change was computed from: '' absent, ANY unconditional. */
  expected: string;
  /** New value, '' to delete. */
  next: string;
  /** Counter field → increment. */
  incs: Map<string, number>;
}

interface Chain {
  sessionKey: string;
  liveKey: string;
  field: string;
  sending: boolean;
  /** A change whose outcome is unknown (error): resent unchanged, so if it did apply the resend is a no-op. */
  failed?: Change;
  /** Changes not sent yet, merged. */
  pending?: Change;
}

type ApplyCommand = (sessionKey: string, liveKey: string, ...args: (string | number)[]) => Promise<number>;

export interface SessionWriterOptions {
  redis: Redis;
  logger: Logger;
  /** Most sessions kept waiting for retry while Redis is unavailable. */
  maxBuffered: number;
  retryIntervalMs?: number;
}

function merge(a: Change, b: Change): Change {
  const incs = new Map(a.incs);
  for (const [f, by] of b.incs) incs.set(f, (incs.get(f) ?? 0) + by);
  return { expected: a.expected, next: b.next, incs };
}

export class SessionWriter {
  private readonly chains = new Map<string, Chain>();
  private failedCount = 0;
  private readonly command: ApplyCommand;
  private readonly timer: NodeJS.Timeout;
  private lastShedLog = 0;

  constructor(private readonly opts: SessionWriterOptions) {
    const redis = opts.redis as Redis & { sessionApply?: ApplyCommand };
    if (!redis.sessionApply) redis.defineCommand('sessionApply', { numberOfKeys: 2, lua: APPLY_SCRIPT });
    this.command = (redis as Redis & { sessionApply: ApplyCommand }).sessionApply.bind(redis);
    this.timer = setInterval(() => this.retry(), opts.retryIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Queues one change of `field` in `sessionKey` with its increments of `liveKey`; never waits. */
  apply(sessionKey: string, liveKey: string, field: string, expected: string, next: string, incs: Map<string, number>): void {
    const id = `${sessionKey}\u0000${field}`;
    let chain = this.chains.get(id);
    if (!chain) this.chains.set(id, (chain = { sessionKey, liveKey, field, sending: false }));
    const change: Change = { expected, next, incs };
    chain.pending = chain.pending ? merge(chain.pending, change) : change;
    if (!chain.sending && !chain.failed) this.send(id, chain);
  }

  private send(id: string, chain: Chain): void {
    const retrying = chain.failed !== undefined;
    const change = chain.failed ?? chain.pending;
    if (!change) {
      this.chains.delete(id);
      return;
    }
    if (!retrying) chain.pending = undefined;
    chain.sending = true;
    const args: (string | number)[] = [chain.field, change.expected, change.next];
    for (const [f, by] of change.incs) if (by !== 0) args.push(f, by);
    this.command(chain.sessionKey, chain.liveKey, ...args).then(
      (result) => {
        chain.sending = false;
        if (retrying) {
          chain.failed = undefined;
          this.failedCount--;
        }
        if (result === 0) {
          sessionConflicts.inc();
          this.opts.logger.warn({ key: chain.sessionKey, field: chain.field }, 'session changed under us; change dropped');
        }
        this.send(id, chain);
      },
      (err: Error) => {
        chain.sending = false;
        redisWriteErrors.inc();
        if (retrying) return; // stays failed; the timer resends it
        if (this.failedCount >= this.opts.maxBuffered) {
          // Shed the time, keep the session: later changes will be computed from this value.
          this.shed(change, err);
          chain.failed = { expected: ANY, next: change.next, incs: new Map() };
        } else {
          chain.failed = change;
        }
        this.failedCount++;
        if (this.failedCount === 1) this.opts.logger.warn({ err: err.message }, 'Redis session write failed; retrying');
      },
    );
  }

  private shed(change: Change, err: Error): void {
    let seconds = 0;
    for (const by of change.incs.values()) seconds += by;
    incrementsShed.inc(seconds);
    const now = Date.now();
    if (now - this.lastShedLog > 10_000) {
      this.lastShedLog = now;
      this.opts.logger.error({ buffered: this.failedCount, err: err.message }, 'session retry buffer full: shedding session time while Redis is unavailable');
    }
  }

  private retry(): void {
    for (const [id, chain] of this.chains) if (chain.failed !== undefined && !chain.sending) this.send(id, chain);
  }

  /** Resolves once nothing is in flight or pending (or after timeoutMs); true when everything was written. */
  async settled(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.chains.size > 0 && Date.now() < end) {
      if (this.failedCount > 0) this.retry();
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.chains.size === 0;
  }

  /** True while a change of a field starting with `fieldPrefix` in `sessionKey` is in flight or waiting. */
  busy(sessionKey: string, fieldPrefix: string): boolean {
    const id = `${sessionKey}\u0000${fieldPrefix}`;
    for (const key of this.chains.keys()) if (key.startsWith(id)) return true;
    return false;
  }

  get pending(): number {
    return this.chains.size;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
