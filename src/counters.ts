// The shard's write path into Redis. add() returns at once: a gateway event never waits on Redis (invariant
// 4). Increments are summed in memory per row (minute, dims, marks) until the event loop's next turn, then
// each partition's row hash (Keys.liveRows) gets one script call that adds the rows' vectors to their fields (the row layout of
// src/families.ts, encodeField): one Redis command per hash and turn instead of one HINCRBY per metric of
// every event, and a field the ingest worker reads as a whole row. A failed call's rows go to the bounded
// retry buffer (write-buffer.ts), merged by field, so an outage costs memory per distinct row, not per event.
import { FAMILIES, encodeRowField, type FamilyName } from './families.js';
import { partitionOf } from './keys.js';
import { incrementsShed, redisWriteErrors, retryBufferSize } from './metrics.js';
import type { RedisClient } from './redis.js';
import { WriteBuffer, type ShardWriterOptions } from './write-buffer.js';

/** maxBuffered counts distinct (key, row) pairs. */
export type CounterWriterOptions = ShardWriterOptions;

interface RowIncrement {
  key: string;
  field: string;
  /** One amount per metric of the family. */
  by: number[];
}

/** Where counting functions put increments: the shard's CounterWriter live, a page's rows in a backfill. */
export interface CounterSink {
  add(
    family: FamilyName,
    guildId: string,
    minute: number,
    dims: readonly string[],
    values: readonly number[],
    marks?: readonly string[],
  ): void;
}

// KEYS[1] a live hash; ARGV field, 'v0,v1,...', field, ...: adds each vector to its field's. One HMGET and
// one HSET per call, and every sum is computed before the HSET: a call that fails (a field that is not a
// row, Redis out of memory) has written nothing, so its rows can be sent again without counting twice.
// Values stay integers (Lua numbers are doubles: exact far beyond what a raw row's int4 columns take).
const ADD_ROWS_LUA = `
local key = KEYS[1]
local n = #ARGV / 2
local fields = {}
for i = 1, n do fields[i] = ARGV[2 * i - 1] end
local cur = redis.call('HMGET', key, unpack(fields))
local out = {}
for i = 1, n do
  local add = ARGV[2 * i]
  out[2 * i - 1] = fields[i]
  if cur[i] then
    local a, s, k = {}, {}, 0
    for v in string.gmatch(add, '[^,]+') do a[#a + 1] = tonumber(v) end
    for v in string.gmatch(cur[i], '[^,]+') do
      local x = tonumber(v)
      if x == nil then return redis.error_reply('not a counter row: ' .. fields[i]) end
      k = k + 1
      s[k] = string.format('%d', x + (a[k] or 0))
    end
    for j = k + 1, #a do s[j] = string.format('%d', a[j]) end
    out[2 * i] = table.concat(s, ',')
  else
    out[2 * i] = add
  end
end
redis.call('HSET', key, unpack(out))
return n`;

// Rows per script call: a call runs alone in Redis, so a burst is cut into calls of a few milliseconds.
const ROWS_PER_CALL = 500;

type AddRows = (key: string, ...args: string[]) => Promise<unknown>;

/** The shard's counters: row increments into the live hashes, through a write buffer that merges them by row. */
export class CounterWriter extends WriteBuffer<RowIncrement> implements CounterSink {
  /** Live hash -> row field -> amounts, summed until the next flush. */
  private waiting = new Map<string, Map<string, number[]>>();
  private waitingRows = 0;
  private flushing: NodeJS.Immediate | undefined;
  private readonly addRows: AddRows;
  /** Live hash names per family and partition, built once. */
  private readonly liveKeys = new Map<string, string[]>();

  constructor(private readonly opts: CounterWriterOptions) {
    super({
      send: (i) => this.addRows(i.key, i.field, i.by.join(',')),
      mergeKey: (i) => `${i.key}\u0000${i.field}`,
      merge: (w, i) => ({ ...w, by: w.by.map((v, m) => v + (i.by[m] ?? 0)) }),
      maxBuffered: opts.maxBuffered,
      retryIntervalMs: opts.retryIntervalMs,
      logger: opts.logger,
      onError: () => redisWriteErrors.inc(),
      onShed: (i) => incrementsShed.inc(i.by.reduce((a, b) => a + b, 0)),
      onBuffered: (n) => retryBufferSize.set(n),
      weight: (i) => i.by.reduce((a, b) => a + b, 0),
      messages: {
        buffering: 'Redis increment failed; buffering for retry',
        full: 'retry buffer full: shedding counter increments while Redis is unavailable',
        flushed: 'retry buffer flushed to Redis',
      },
    });
    const redis = opts.redis as RedisClient & { counterAddRows?: AddRows };
    if (!redis.counterAddRows) redis.defineCommand('counterAddRows', { numberOfKeys: 1, lua: ADD_ROWS_LUA });
    this.addRows = (redis as RedisClient & { counterAddRows: AddRows }).counterAddRows.bind(redis);
  }

  /**
   * Adds `values` (one per metric of the family) to the minute bucket of `dims`; `marks` are the family's
   * row marks (FamilySpec.marks), '0' each when omitted. Sent on the event loop's next turn.
   */
  add(
    family: FamilyName,
    guildId: string,
    minute: number,
    dims: readonly string[],
    values: readonly number[],
    marks?: readonly string[],
  ): void {
    const spec = FAMILIES[family];
    const metrics = spec.metrics.length;
    let any = false;
    for (let m = 0; m < metrics; m++) if ((values[m] ?? 0) !== 0) any = true;
    if (!any) return;
    const p = partitionOf(guildId, this.opts.partitions);
    let keys = this.liveKeys.get(family);
    if (keys === undefined) this.liveKeys.set(family, (keys = []));
    const key = (keys[p] ??= this.opts.keys.liveRows(family, p));
    const field = encodeRowField(spec, minute, dims, marks);
    let rows = this.waiting.get(key);
    if (rows === undefined) this.waiting.set(key, (rows = new Map()));
    const sum = rows.get(field);
    if (sum === undefined) {
      const by = new Array<number>(metrics);
      for (let m = 0; m < metrics; m++) by[m] = values[m] ?? 0;
      rows.set(field, by);
      this.waitingRows++;
    } else for (let m = 0; m < metrics; m++) sum[m]! += values[m] ?? 0;
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Sends what add() gathered: one script call per live hash (and ROWS_PER_CALL rows). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const waiting = this.waiting;
    this.waiting = new Map();
    this.waitingRows = 0;
    for (const [key, rows] of waiting) {
      let args: string[] = [];
      let items: [string, number[]][] = [];
      const send = (): void => {
        const batch = items;
        const a = args;
        void this.writeAll(
          batch.length,
          () => this.addRows(key, ...a),
          () => batch.map(([field, by]) => ({ key, field, by })),
        );
        args = [];
        items = [];
      };
      for (const [field, by] of rows) {
        args.push(field, by.join(','));
        items.push([field, by]);
        if (items.length === ROWS_PER_CALL) send();
      }
      if (items.length > 0) send();
    }
  }

  override settled(timeoutMs?: number): Promise<void> {
    this.flush();
    return super.settled(timeoutMs);
  }

  override drain(timeoutMs?: number): Promise<boolean> {
    this.flush();
    return super.drain(timeoutMs);
  }

  /** Rows gathered but not sent yet count as in flight. */
  override get pending(): { inflight: number; buffered: number } {
    const p = super.pending;
    return { inflight: p.inflight + this.waitingRows, buffered: p.buffered };
  }
}
