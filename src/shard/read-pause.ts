// Pausing the reads of one shard's gateway socket: TCP flow control then holds what Discord sends next at
// its end, and nothing already received is lost (src/shard/structure.ts uses it while a big member list is
// written). discord.js exposes no such control, so this reaches the shard's `ws` WebSocket through the
// sharding strategy our dispatch guard builds; if that shape changes in an upgrade, pausing does nothing
// (the member list's pending bound applies as before) and test/structure.test.ts says so.
import type { ShardReads } from './structure.js';

interface Socket {
  pause?: () => void;
  resume?: () => void;
}
interface StrategyShape {
  shards?: Map<number, { connection?: Socket | null }>;
}

/** `strategy()`: the client's sharding strategy once built (undefined before login). */
export function shardReads(strategy: () => unknown): ShardReads & { reachable(shardId: number): boolean } {
  const socket = (shardId: number): Socket | undefined =>
    (strategy() as StrategyShape | undefined)?.shards?.get(shardId)?.connection ?? undefined;
  return {
    pause: (shardId) => socket(shardId)?.pause?.(),
    resume: (shardId) => socket(shardId)?.resume?.(),
    reachable: (shardId) => typeof socket(shardId)?.pause === 'function',
  };
}
