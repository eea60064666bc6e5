// The shard's write path for member join/leave events: XADD to the guild's partition stream, not awaited
// by the caller (invariant 4). Events cannot be merged like counter increments, so a failed XADD keeps the
// event itself, in order, in the bounded retry buffer (src/write-buffer.ts).
import { encodeMemberEvent, type MemberEvent } from '../../member-events.js';
import { partitionOf } from '../../keys.js';
import { WriteBuffer, type ShardWriterOptions } from '../../write-buffer.js';
import { memberEventBufferSize, memberEventsShed, memberEventWriteErrors } from './metrics.js';

/** maxBuffered counts events. */
export type MemberEventWriterOptions = ShardWriterOptions;

export class MemberEventWriter extends WriteBuffer<MemberEvent> {
  constructor(o: MemberEventWriterOptions) {
    super({
      send: (e) =>
        o.redis.xadd(o.keys.memberEvents(partitionOf(e.guildId, o.partitions)), '*', ...encodeMemberEvent(e)),
      maxBuffered: o.maxBuffered,
      retryIntervalMs: o.retryIntervalMs,
      logger: o.logger,
      onError: () => memberEventWriteErrors.inc(),
      onShed: () => memberEventsShed.inc(),
      onBuffered: (n) => memberEventBufferSize.set(n),
      messages: {
        buffering: 'member event write failed; buffering for retry',
        full: 'member event buffer full: shedding events while Redis is unavailable',
        flushed: 'member event buffer flushed to Redis',
      },
    });
  }

  add(e: MemberEvent): void {
    void this.write(e);
  }
}
