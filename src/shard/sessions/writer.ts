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
//
// A change refused because Redis holds something else is resolved, never just dropped: when the session
// is gone from Redis (FLUSHALL, a restart without persistence), the change is written afresh with the
// time it credits, so open sessions keep crediting and the loss is what Redis itself lost; when Redis
// holds another value (another process's, or an older one a restart restored), that value wins and the
// caller's onConflict adopts it (SessionTracker), so later changes apply again.
import client from 'prom-client';
import type { RedisClient } from '../../redis.js';
import { InFlight } from '../../in-flight.js';
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
  help: 'Session changes refused because Redis held another value than the one they were computed from, by resolution (rewritten: the session was gone from Redis; adopted: Redis held another state)',
  labelNames: ['resolution'] as const,
  registers: [registry],
});

interface Change {
  /** Stored value the change was computed from: '' absent, ANY unconditional. */
  expected: string;
  /** New value, '' to delete. */
  next: string;
  /** Counter field → increment. */
  incs: Map<string, number>;
  /** Called with what Redis holds when the change was refused because Redis held another session state. */
  onConflict?: (stored: string) => void;
}

interface Chain {
  sessionKey: string;
  liveKey: string;
  field: string;
  sending: boolean;
  /** A change whose outcome is unknown (error): resent unchanged, so if it did apply the resend is a no-op. */
  failed?: Change;
  /** A refused change to write again from scratch (its session was gone from Redis): sent before `pending`. */
  redo?: Change;
  /** Changes not sent yet, merged. */
  pending?: Change;
}

type ApplyCommand = (sessionKey: string, liveKey: string, ...args: (string | number)[]) => Promise<number>;

export interface SessionWriterOptions {
  redis: RedisClient;
  logger: Logger;
  /** Most sessions kept waiting for retry while Redis is unavailable. */
  maxBuffered: number;
  retryIntervalMs?: number;
}

function merge(a: Change, b: Change): Change {
  const incs = new Map(a.incs);
  for (const [f, by] of b.incs) incs.set(f, (incs.get(f) ?? 0) + by);
  return { expected: a.expected, next: b.next, incs, onConflict: b.onConflict ?? a.onConflict };
}

export class SessionWriter {
  private readonly chains = new Map<string, Chain>();
  /** The Redis calls in flight, so that settled() awaits them. */
  private readonly inflight = new InFlight();
  private failedCount = 0;
  private readonly command: ApplyCommand;
  private readonly timer: NodeJS.Timeout;
  private lastShedLog = 0;
  private lastConflictLog = 0;
  private conflictsSinceLog = 0;

  constructor(private readonly opts: SessionWriterOptions) {
    const redis = opts.redis as RedisClient & { sessionApply?: ApplyCommand };
    if (!redis.sessionApply) redis.defineCommand('sessionApply', { numberOfKeys: 2, lua: APPLY_SCRIPT });
    this.command = (redis as RedisClient & { sessionApply: ApplyCommand }).sessionApply.bind(redis);
    this.timer = setInterval(() => this.retry(), opts.retryIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Queues one change of `field` in `sessionKey` with its increments of `liveKey`; never waits. `onConflict`
   * hears what Redis holds when that is another session state than `expected` (see the header).
   */
  apply(
    sessionKey: string,
    liveKey: string,
    field: string,
    expected: string,
    next: string,
    incs: Map<string, number>,
    onConflict?: (stored: string) => void,
  ): void {
    const id = `${sessionKey}\u0000${field}`;
    let chain = this.chains.get(id);
    if (!chain) this.chains.set(id, (chain = { sessionKey, liveKey, field, sending: false }));
    const change: Change = { expected, next, incs, onConflict };
    chain.pending = chain.pending ? merge(chain.pending, change) : change;
    if (!chain.sending && !chain.failed) this.send(id, chain);
  }

  private send(id: string, chain: Chain): void {
    const retrying = chain.failed !== undefined;
    const redo = !retrying && chain.redo !== undefined;
    const change = chain.failed ?? chain.redo ?? chain.pending;
    if (!change) {
      this.chains.delete(id);
      return;
    }
    if (redo) chain.redo = undefined;
    else if (!retrying) chain.pending = undefined;
    chain.sending = true;
    const args: (string | number)[] = [chain.field, change.expected, change.next];
    for (const [f, by] of change.incs) if (by !== 0) args.push(f, by);
    void this.inflight.track(
      this.command(chain.sessionKey, chain.liveKey, ...args).then(
        (result) => {
          chain.sending = false;
          if (retrying) {
            chain.failed = undefined;
            this.failedCount--;
          }
          if (result === 0) {
            chain.sending = true;
            void this.inflight.track(this.resolve(id, chain, change));
            return;
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
          if (this.failedCount === 1)
            this.opts.logger.warn({ err: err.message }, 'Redis session write failed; retrying');
        },
      ),
    );
  }

  /** A refused change: write it afresh if Redis lost the session, else let the caller adopt what Redis holds. */
  private async resolve(id: string, chain: Chain, change: Change): Promise<void> {
    let stored: string | null;
    try {
      stored = await this.opts.redis.hget(chain.sessionKey, chain.field);
    } catch (err) {
      // Unknown again: retry the change as it was (it will be refused and resolved again).
      chain.sending = false;
      chain.failed = change;
      this.failedCount++;
      redisWriteErrors.inc();
      if (this.failedCount === 1)
        this.opts.logger.warn({ err: (err as Error).message }, 'Redis session write failed; retrying');
      return;
    }
    chain.sending = false;
    if (stored === null) {
      sessionConflicts.inc({ resolution: 'rewritten' });
      chain.redo = { ...change, expected: '' };
    } else {
      sessionConflicts.inc({ resolution: 'adopted' });
      try {
        change.onConflict?.(stored);
      } catch (err) {
        this.opts.logger.warn({ err }, 'adopting a stored session failed');
      }
    }
    this.conflictsSinceLog++;
    const now = Date.now();
    if (now - this.lastConflictLog > 10_000) {
      this.opts.logger.warn(
        {
          conflicts: this.conflictsSinceLog,
          example: { key: chain.sessionKey, field: chain.field, stored: stored === null ? 'absent' : 'other state' },
        },
        stored === null
          ? 'open sessions were gone from Redis (flushed or restarted): written again with their time'
          : 'Redis held other session states: adopted them',
      );
      this.lastConflictLog = now;
      this.conflictsSinceLog = 0;
    }
    this.send(id, chain);
  }

  private shed(change: Change, err: Error): void {
    let seconds = 0;
    for (const by of change.incs.values()) seconds += by;
    incrementsShed.inc(seconds);
    const now = Date.now();
    if (now - this.lastShedLog > 10_000) {
      this.lastShedLog = now;
      this.opts.logger.error(
        { buffered: this.failedCount, err: err.message },
        'session retry buffer full: shedding session time while Redis is unavailable',
      );
    }
  }

  private retry(): void {
    for (const [id, chain] of this.chains) if (chain.failed !== undefined && !chain.sending) this.send(id, chain);
  }

  /**
   * Resolves once nothing is in flight or pending (or after timeoutMs); true when everything was written.
   * Awaits the Redis calls in flight; failed changes are resent at most every 10 ms meanwhile.
   */
  async settled(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.chains.size > 0 && Date.now() < end) {
      if (this.failedCount > 0) this.retry();
      if (this.inflight.size > 0) await this.inflight.settled(Math.max(0, end - Date.now()));
      if (this.chains.size > 0 && (this.failedCount > 0 || this.inflight.size === 0))
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
