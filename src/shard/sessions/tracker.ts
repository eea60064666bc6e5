// Open timed sessions of the guilds this process holds (voice channel time, presence activity time),
// mirrored in memory and persisted in Redis (one hash per partition and family). The in-memory copy is
// what changes are computed from; every change goes through SessionWriter, which applies it to Redis
// atomically with its counter increments. Nothing here waits on Redis except reconciliation's one read.
//
// Lifecycle of a session (key `guild|user` for voice, `guild|user|activity` for activities):
//   - a state change (move, mute, stream...) credits up to the event and starts a new segment;
//   - a timer credits every open session at least every `intervalMs`, cut at minute boundaries;
//   - after GUILD_CREATE the guild's stored sessions are reconciled with what the payload says is true now:
//     gone or moved → closed at their last credit (time since is unknown, never guessed); still there →
//     continued from now (the gap is dropped); new → opened now. Events for the guild that arrive while its
//     sessions are being read are queued and applied afterwards, in order, with their own receipt times.
import type { RedisClient } from '../../redis.js';
import client from 'prom-client';
import { FAMILIES, encodeField, type FamilyName } from '../../families.js';
import { Keys, partitionOf } from '../../keys.js';
import type { Logger } from '../../logger.js';
import { registry } from '../../metrics.js';
import {
  accrue,
  decodeState,
  encodeState,
  flushRemainders,
  openState,
  type MinuteCredit,
  type SessionState,
} from './segment.js';
import { ANY, type SessionWriter } from './writer.js';

/** What a session is now: its attrs (voice channel, '' for activities) and active-metric flags. */
export interface Presence {
  attrs: string;
  flags: number;
}

export interface SessionTrackerOptions {
  family: Extract<FamilyName, 'voice' | 'activities'>;
  /** Counter dimensions of a session, from its field and attrs, in the family's order. */
  dims(field: string, attrs: string): string[];
  redis: RedisClient;
  writer: SessionWriter;
  keys: Keys;
  partitions: number;
  logger: Logger;
  intervalMs: number;
  /**
   * The clock every session instant comes from (events, credits, adoptions); default Date.now. The crediting
   * timer still fires every `intervalMs` of real time and credits up to this clock's now, so a test that
   * moves it forward sees the time credited at the next tick without waiting for it.
   */
  now?: () => number;
  /** False while the guild's shard is not connected: crediting waits (the reconnect decides what is known). */
  isLive?: (guildId: string) => boolean;
}

interface Reconcile {
  at: number;
  present: Map<string, Presence>;
  queued: (() => void)[];
}

const trackers = new Set<SessionTracker>();

new client.Gauge({
  name: 'stats_open_sessions',
  help: 'Open timed sessions (voice, activities) held by this process',
  labelNames: ['family'],
  registers: [registry],
  collect() {
    this.reset();
    for (const t of trackers) this.inc({ family: t.family }, t.openCount);
  },
});

const RELOAD_DELAY_MS = 1_000;
const IDLE_WAIT_MS = 5_000;

export class SessionTracker {
  private readonly open = new Map<string, Map<string, SessionState>>();
  private readonly reconciling = new Map<string, Reconcile>();
  private readonly toLoad = new Set<string>();
  private loadScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly metrics: number;
  readonly now: () => number;

  constructor(private readonly o: SessionTrackerOptions) {
    this.metrics = FAMILIES[o.family].metrics.length;
    this.now = o.now ?? Date.now;
  }

  get family(): string {
    return this.o.family;
  }

  get openCount(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.size;
    return n;
  }

  /** Starts the crediting timer. */
  start(): void {
    trackers.add(this);
    this.timer ??= setInterval(() => this.creditAll(this.now()), this.o.intervalMs);
    this.timer.unref();
  }

  /** Session `field` of `guildId` is `p` from `at` on (undefined: it ended). Never waits. */
  set(guildId: string, field: string, p: Presence | undefined, at: number): void {
    const r = this.reconciling.get(guildId);
    if (r) r.queued.push(() => this.change(guildId, field, p, at));
    else this.change(guildId, field, p, at);
  }

  /** Every session of `guildId` whose field starts with `prefix` becomes exactly `present` (one user's activities). */
  setGroup(guildId: string, prefix: string, present: Map<string, Presence>, at: number): void {
    const apply = () => {
      const sessions = this.open.get(guildId);
      if (sessions)
        for (const field of [...sessions.keys()])
          if (field.startsWith(prefix) && !present.has(field)) this.change(guildId, field, undefined, at);
      for (const [field, p] of present) this.change(guildId, field, p, at);
    };
    const r = this.reconciling.get(guildId);
    if (r) r.queued.push(apply);
    else apply();
  }

  /** After GUILD_CREATE: `present` is every session the payload shows open at `at`. */
  reconcile(guildId: string, present: Map<string, Presence>, at: number): void {
    // What this process believed is superseded: the stored sessions are read back and judged instead.
    this.open.delete(guildId);
    this.reconciling.set(guildId, { at, present, queued: [] });
    this.toLoad.add(guildId);
    if (!this.loadScheduled) {
      this.loadScheduled = true;
      // GUILD_CREATEs come in bursts at identify: one pass over each partition's hash serves them all.
      setTimeout(() => void this.loadPending(), 20);
    }
  }

  /** GUILD_DELETE (left, or unavailable): sessions close at their last credit. */
  forget(guildId: string): void {
    this.reconciling.delete(guildId);
    this.toLoad.delete(guildId);
    const sessions = this.open.get(guildId);
    if (!sessions) return;
    this.open.delete(guildId);
    for (const [field, s] of sessions)
      this.write(guildId, field, encodeState(s), undefined, s.attrs, [flushRemainders(s)]);
  }

  /** Credits every open session (of guilds not being reconciled, on connected shards unless `all`) up to `now`. */
  creditAll(now: number, all = false): void {
    for (const [guildId, sessions] of this.open) {
      if (!all && this.o.isLive && !this.o.isLive(guildId)) continue;
      for (const [field, s] of sessions) {
        if (now <= s.last) continue;
        const { credits, next } = accrue(s, now);
        sessions.set(field, next);
        this.write(guildId, field, encodeState(s), next, s.attrs, credits);
      }
    }
  }

  /** Open sessions in memory, for tests and metrics. */
  sessions(guildId: string): ReadonlyMap<string, SessionState> {
    return this.open.get(guildId) ?? new Map();
  }

  get reconcilingGuilds(): number {
    return this.reconciling.size;
  }

  /** Credits everything up to now and stops the timer; the sessions stay open in Redis for the next process. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    trackers.delete(this);
    this.creditAll(this.now(), true);
  }

  private change(guildId: string, field: string, p: Presence | undefined, at: number): void {
    let sessions = this.open.get(guildId);
    const cur = sessions?.get(field);
    if (!cur && !p) return;
    const flags = p ? p.flags | 1 : 0;
    if (cur && p && cur.attrs === p.attrs && cur.flags === flags) return;
    let next: SessionState | undefined;
    const credits: (MinuteCredit | undefined)[] = [];
    if (cur) {
      const done = accrue(cur, at);
      credits.push(...done.credits);
      if (p && p.attrs === cur.attrs) {
        // Same place, new state: a new segment that keeps the carried milliseconds.
        next = { ...done.next, flags, start: Math.max(at, done.next.start) };
      } else {
        credits.push(flushRemainders(done.next));
        if (p) next = openState(p.attrs, flags, at, this.zeros());
      }
    } else if (p) {
      next = openState(p.attrs, flags, at, this.zeros());
    }
    if (next) {
      if (!sessions) this.open.set(guildId, (sessions = new Map()));
      sessions.set(field, next);
    } else {
      sessions?.delete(field);
      if (sessions?.size === 0) this.open.delete(guildId);
    }
    // A closed session's time belongs to the dims it had; the new segment's write carries the new value.
    this.write(guildId, field, cur ? encodeState(cur) : '', next, cur?.attrs ?? '', credits);
  }

  private zeros(): number[] {
    return new Array<number>(this.metrics).fill(0);
  }

  private write(
    guildId: string,
    field: string,
    expected: string,
    next: SessionState | undefined,
    attrs: string,
    credits: (MinuteCredit | undefined)[],
  ): void {
    const partition = partitionOf(guildId, this.o.partitions);
    const spec = FAMILIES[this.o.family];
    const incs = new Map<string, number>();
    const dims = this.o.dims(field, attrs);
    for (const c of credits) {
      if (!c) continue;
      for (let m = 0; m < c.values.length; m++) {
        const v = c.values[m]!;
        if (v === 0) continue;
        const f = encodeField(spec, c.minute, dims, m);
        incs.set(f, (incs.get(f) ?? 0) + v);
      }
    }
    this.o.writer.apply(
      this.o.keys.sessions(this.o.family, partition),
      this.o.keys.live(this.o.family, partition),
      field,
      expected,
      next ? encodeState(next) : '',
      incs,
      (stored) => this.adopt(guildId, field, stored),
    );
  }

  /**
   * Redis refused a change because it holds `stored` for the session (another process's state, or an older
   * one a Redis restart restored): that state is the base from now on, so later changes apply again. The
   * same place: continue from its last credit (whatever it has not credited is credited next). Another
   * place: it closes at its last credit and ours opens now, as a reconciliation would.
   */
  private adopt(guildId: string, field: string, stored: string): void {
    if (this.reconciling.has(guildId)) return; // the reconciliation's read decides
    const sessions = this.open.get(guildId);
    const cur = sessions?.get(field);
    if (!sessions || !cur) return; // we closed it: whoever holds it now owns it
    const s = decodeState(stored, this.metrics);
    if (s && s.attrs === cur.attrs) {
      sessions.set(field, { ...s, flags: cur.flags });
      return;
    }
    const now = this.now();
    const next = openState(cur.attrs, cur.flags, now, this.zeros());
    sessions.set(field, next);
    this.write(guildId, field, s ? stored : ANY, next, s?.attrs ?? '', s ? [flushRemainders(s)] : []);
  }

  private async loadPending(): Promise<void> {
    this.loadScheduled = false;
    const guilds = [...this.toLoad];
    this.toLoad.clear();
    const byPartition = new Map<number, Set<string>>();
    for (const g of guilds) {
      const p = partitionOf(g, this.o.partitions);
      let set = byPartition.get(p);
      if (!set) byPartition.set(p, (set = new Set()));
      set.add(g);
    }
    await Promise.all(
      [...byPartition].map(async ([partition, set]) => {
        try {
          // Changes this process made before the guild's (re)connect must land first: the read is the truth.
          const key = this.o.keys.sessions(this.o.family, partition);
          const until = Date.now() + IDLE_WAIT_MS;
          while ([...set].some((g) => this.o.writer.busy(key, `${g}|`)) && Date.now() < until)
            await new Promise((r) => setTimeout(r, 10));
          const stored = await this.scan(partition, set);
          for (const g of set) this.finishReconcile(g, stored.get(g) ?? new Map());
        } catch (err) {
          this.o.logger.warn(
            { err: (err as Error).message, guilds: set.size },
            'reading stored sessions failed; retrying',
          );
          setTimeout(() => {
            for (const g of set) if (this.reconciling.has(g)) this.toLoad.add(g);
            if (!this.loadScheduled && this.toLoad.size > 0) {
              this.loadScheduled = true;
              void this.loadPending();
            }
          }, RELOAD_DELAY_MS).unref();
        }
      }),
    );
  }

  /** Stored sessions of `guilds` in one partition: guild → field → raw value. */
  private async scan(partition: number, guilds: Set<string>): Promise<Map<string, Map<string, string>>> {
    const key = this.o.keys.sessions(this.o.family, partition);
    const out = new Map<string, Map<string, string>>();
    const only = guilds.size === 1 ? [...guilds][0]! : undefined;
    let cursor = '0';
    do {
      const args: (string | number)[] = only ? ['MATCH', `${only}|*`, 'COUNT', 1000] : ['COUNT', 1000];
      const [nextCursor, flat] = (await this.o.redis.hscan(key, cursor, ...(args as ['COUNT', number]))) as [
        string,
        string[],
      ];
      cursor = nextCursor;
      for (let i = 0; i < flat.length; i += 2) {
        const field = flat[i]!;
        const guildId = field.slice(0, field.indexOf('|'));
        if (!guilds.has(guildId)) continue;
        let m = out.get(guildId);
        if (!m) out.set(guildId, (m = new Map()));
        m.set(field, flat[i + 1]!);
      }
    } while (cursor !== '0');
    return out;
  }

  private finishReconcile(guildId: string, stored: Map<string, string>): void {
    const r = this.reconciling.get(guildId);
    if (!r) return;
    this.reconciling.delete(guildId);
    const sessions = new Map<string, SessionState>();
    for (const [field, raw] of stored) {
      const s = decodeState(raw, this.metrics);
      const p = r.present.get(field);
      if (!s) {
        this.o.logger.warn({ field }, 'unreadable stored session replaced');
        const next = p ? openState(p.attrs, p.flags, r.at, this.zeros()) : undefined;
        if (next) sessions.set(field, next);
        this.write(guildId, field, ANY, next, '', []);
        continue;
      }
      let next: SessionState | undefined;
      const credits: (MinuteCredit | undefined)[] = [];
      if (p && p.attrs === s.attrs) {
        // Still there: continue from now; what happened since the last credit is unknown and dropped.
        const at = Math.max(r.at, s.last);
        next = { ...s, flags: p.flags | 1, start: at, last: at };
      } else {
        credits.push(flushRemainders(s));
        if (p) next = openState(p.attrs, p.flags, r.at, this.zeros());
      }
      if (next) sessions.set(field, next);
      this.write(guildId, field, raw, next, s.attrs, credits);
    }
    for (const [field, p] of r.present) {
      if (stored.has(field)) continue;
      const next = openState(p.attrs, p.flags, r.at, this.zeros());
      sessions.set(field, next);
      this.write(guildId, field, '', next, p.attrs, []);
    }
    if (sessions.size > 0) this.open.set(guildId, sessions);
    for (const apply of r.queued) apply();
  }
}
