// Snowflakes shaped like Discord's: (ms since the Discord epoch) << 22 | worker/process bits | increment.
// Realistic 17-19 digit ids matter because discord.js derives rate-limit buckets and shard routing from them.

export const DISCORD_EPOCH = 1420070400000n;

export class SnowflakeGenerator {
  // Never reset: the world mints ids for out-of-order past dates, and a per-millisecond reset could repeat one.
  private increment = 0n;

  constructor(
    private readonly workerId = 1n,
    private readonly processId = 0n,
  ) {}

  /** A snowflake for `atMs` (default now); passing past dates lets the world mint deterministic ids. */
  next(atMs: number = Date.now()): string {
    const ms = BigInt(Math.floor(atMs));
    const inc = this.increment++ & 0xfffn;
    const id =
      ((ms - DISCORD_EPOCH) << 22n) | ((this.workerId & 0x1fn) << 17n) | ((this.processId & 0x1fn) << 12n) | inc;
    return id.toString();
  }
}

/** Milliseconds timestamp encoded in a snowflake. */
export function snowflakeTimestamp(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** Discord's shard routing rule. */
export function shardForGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(Math.max(1, shardCount)));
}
