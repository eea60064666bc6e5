// The shard's write path into Redis. add() returns at once: a gateway event never waits on Redis (invariant
// 4). Increments are summed in memory per row (minute, dims, marks) until the event loop's next turn; then
// each partition gets one script call that adds the rows' vectors to the fields of its row hashes
// (Keys.liveRows, one per family; the row layout of src/families.ts, encodeField). Under load that is one
// Redis command for many events instead of one HINCRBY per metric of every event, and each field is a
// whole row for the ingest worker. A failed call's rows go to the bounded retry buffer (write-buffer.ts),
// merged by row, so an outage costs memory per distinct row, not per event.
import { FAMILIES, encodeRowField, type FamilyName } from './families.js';
import { partitionOf } from './keys.js';
import { incrementsShed, redisWriteErrors, retryBufferSize } from './metrics.js';
import { UNPIPELINED_COMMANDS, type RedisClient } from './redis.js';
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

// KEYS: row hashes of one partition (one hash tag, so one slot of a Redis Cluster); ARGV, for each key in
// turn: its row count n, then n pairs field, 'v0,v1,...'. Adds each vector to its field's: one HMGET and one
// HSET per key, and every sum is computed before the first HSET, so a call that fails (a field that is not
// a row, Redis out of memory) has written nothing and its rows can be sent again without counting twice.
// Values stay integers (Lua numbers are doubles: exact far beyond what a raw row's int4 columns take).
const ADD_ROWS_LUA = `
local at = 1
local writes = {}
for k = 1, #KEYS do
  local n = tonumber(ARGV[at])
  local fields = {}
  for i = 1, n do fields[i] = ARGV[at + 2 * i - 1] end
  local cur = redis.call('HMGET', KEYS[k], unpack(fields))
  local out = {}
  for i = 1, n do
    local add = ARGV[at + 2 * i]
    out[2 * i - 1] = fields[i]
    if cur[i] then
      local a, s, j = {}, {}, 0
      for v in string.gmatch(add, '[^,]+') do a[#a + 1] = tonumber(v) end
      for v in string.gmatch(cur[i], '[^,]+') do
        local x = tonumber(v)
        if x == nil then return redis.error_reply('not a counter row: ' .. fields[i]) end
        j = j + 1
        s[j] = string.format('%d', x + (a[j] or 0))
      end
      for m = j + 1, #a do s[m] = string.format('%d', a[m]) end
      out[2 * i] = table.concat(s, ',')
    else
      out[2 * i] = add
    end
  end
  writes[k] = out
  at = at + 1 + 2 * n
end
for k = 1, #KEYS do redis.call('HSET', KEYS[k], unpack(writes[k])) end
return 0`;

// Rows per script call: a call runs alone in Redis, so a burst is cut into calls of a few milliseconds.
const ROWS_PER_CALL = 500;

/** The keys, then the ARGV described above. */
type AddRows = (...args: (string | number)[]) => Promise<unknown>;

/** The shard's counters: row increments into the live hashes, through a write buffer that merges them by row. */
export class CounterWriter extends WriteBuffer<RowIncrement> implements CounterSink {
  /** Partition -> row hash -> row field -> amounts, summed until the next flush. */
  private waiting = new Map<number, Map<string, Map<string, number[]>>>();
  private waitingRows = 0;
  private flushing: NodeJS.Immediate | undefined;
  /** The script per number of keys: ioredis (and its Cluster auto-pipelining, which routes a command by its
   *  first argument) must see the keys first, so each key count is a command of its own. */
  private readonly scripts: AddRows[] = [];
  /** Live hash names per family and partition, built once. */
  private readonly liveKeys = new Map<string, string[]>();

  constructor(private readonly opts: CounterWriterOptions) {
    super({
      send: (i) => this.addRows([i.key], [1, i.field, i.by.join(',')]),
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
    let partition = this.waiting.get(p);
    if (partition === undefined) this.waiting.set(p, (partition = new Map()));
    let rows = partition.get(key);
    if (rows === undefined) partition.set(key, (rows = new Map()));
    const sum = rows.get(field);
    if (sum === undefined) {
      const by = new Array<number>(metrics);
      for (let m = 0; m < metrics; m++) by[m] = values[m] ?? 0;
      rows.set(field, by);
      this.waitingRows++;
    } else for (let m = 0; m < metrics; m++) sum[m]! += values[m] ?? 0;
    this.flushing ??= setImmediate(() => this.flush());
  }

  private addRows(keys: string[], args: (string | number)[]): Promise<unknown> {
    let script = this.scripts[keys.length];
    if (script === undefined) {
      const name = `counterAddRows${keys.length}`;
      if (!UNPIPELINED_COMMANDS.includes(name)) throw new Error(`${keys.length} row hashes in one call`);
      const redis = this.opts.redis as RedisClient & Record<string, AddRows | undefined>;
      if (!redis[name]) redis.defineCommand(name, { numberOfKeys: keys.length, lua: ADD_ROWS_LUA });
      script = this.scripts[keys.length] = redis[name]!.bind(redis);
    }
    return script(...keys, ...args);
  }

  /** Sends what add() gathered: one script call per partition (and ROWS_PER_CALL rows). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const waiting = this.waiting;
    this.waiting = new Map();
    this.waitingRows = 0;
    for (const partition of waiting.values()) {
      let keys: string[] = [];
      let args: (string | number)[] = [];
      let items: RowIncrement[] = [];
      let countAt = -1;
      const send = (): void => {
        const [k, a, batch] = [keys, args, items];
        void this.writeAll(
          batch.length,
          () => this.addRows(k, a),
          () => batch,
        );
        keys = [];
        args = [];
        items = [];
      };
      for (const [key, rows] of partition) {
        for (const [field, by] of rows) {
          if (keys[keys.length - 1] !== key) {
            keys.push(key);
            countAt = args.push(0) - 1;
          }
          args.push(field, by.join(','));
          (args[countAt] as number)++;
          items.push({ key, field, by });
          if (items.length === ROWS_PER_CALL) send();
        }
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
