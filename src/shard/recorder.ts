// What the shard's PostgreSQL recorders (emoji-names.ts, structure.ts) share: the gateway path only notes
// rows in memory; a timer writes what is pending, one write at a time; rows past a recorder's pending bound
// are dropped and counted, and the count is said once in a log line when a write succeeds again.
import type { Logger } from '../logger.js';

export abstract class PendingRecorder {
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    protected readonly logger: Logger,
    intervalMs: number,
    /** Said with the count of dropped rows once writing works again. */
    private readonly droppedMessage: string,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Writes what is pending; a failed write keeps it for the next flush. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** One write of what is pending (flush never runs two at once); on failure it keeps the rows and logs. */
  protected abstract write(): Promise<void>;

  /** A row refused at the pending bound. */
  protected drop(): void {
    this.dropped++;
  }

  /** After a successful write: the rows dropped since the last report, in one log line. */
  protected reportDropped(): void {
    if (this.dropped === 0) return;
    this.logger.warn({ dropped: this.dropped }, this.droppedMessage);
    this.dropped = 0;
  }

  /** No more timed writes (close() then writes what is pending). */
  protected stopTimer(): void {
    clearInterval(this.timer);
  }
}
