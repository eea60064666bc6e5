// Names of custom emojis, as messages and reactions carry them, so answers can name an emoji that is not
// in the guild's emoji list (one from another server, used with Nitro, or one deleted since): table
// emoji_names (sql/014). Written off the gateway path: the collector only notes a name in memory; a timer
// upserts what is new in one statement every few seconds. Names are display data, not counts: when
// PostgreSQL is down, pending names wait (bounded, then dropped with a log line) and the next use of the
// emoji notes them again.
import type { Queryable } from '../db/pool.js';
import type { CustomEmoji } from '../emoji.js';
import type { Logger } from '../logger.js';
import { PendingRecorder } from './recorder.js';

const MAX_PENDING = 10_000;
/** Names already written by this process, so a popular emoji costs nothing after its first use. */
const MAX_WRITTEN = 50_000;

export class EmojiNameRecorder extends PendingRecorder {
  private readonly pending = new Map<string, CustomEmoji>();
  private readonly written = new Map<string, string>();

  constructor(
    private readonly db: Queryable,
    logger: Logger,
    intervalMs = 5_000,
  ) {
    super(
      logger,
      intervalMs,
      'emoji names dropped while the database was unavailable; they are noted again at their next use',
    );
  }

  /** Notes a name (synchronous, for the gateway path). */
  note(e: CustomEmoji): void {
    const seen = `${e.name}|${e.animated}`;
    if (this.written.get(e.id) === seen) return;
    if (this.pending.size >= MAX_PENDING && !this.pending.has(e.id)) {
      this.drop();
      return;
    }
    this.pending.set(e.id, e);
  }

  protected async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    try {
      await this.db.query(
        `INSERT INTO emoji_names (emoji_id, name, animated)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::boolean[])
         ON CONFLICT (emoji_id) DO UPDATE SET name = EXCLUDED.name, animated = EXCLUDED.animated, updated_at = now()
          WHERE (emoji_names.name, emoji_names.animated) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.animated)`,
        [batch.map((e) => e.id), batch.map((e) => e.name), batch.map((e) => e.animated)],
      );
      if (this.written.size + batch.length > MAX_WRITTEN) this.written.clear();
      for (const e of batch) this.written.set(e.id, `${e.name}|${e.animated}`);
      this.reportDropped();
    } catch (err) {
      for (const e of batch) if (!this.pending.has(e.id) && this.pending.size < MAX_PENDING) this.pending.set(e.id, e);
      this.logger.warn({ err, pending: this.pending.size }, 'could not write emoji names; retrying');
    }
  }

  /** Stops the timer after a last flush. */
  async close(): Promise<void> {
    this.stopTimer();
    await this.flush();
  }
}
