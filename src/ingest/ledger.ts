// The one place a batch becomes rows: ledger row and COPY in one transaction (invariant 1). A batch whose
// ledger row already exists was committed before (its UNLINK never happened): nothing is loaded again.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { withTransaction, type Pool } from '../db/pool.js';

export interface LedgerBatch {
  batchId: string;
  family: string;
  partition: number;
  /** Rows the chunks hold; when streamed (unknown up front), the COPY's own count is recorded. */
  rows?: number;
  /** `COPY table (columns) FROM STDIN` */
  copySql: string;
  /** COPY text-format chunks of the batch's rows; an async source is read while the COPY runs. */
  chunks: Iterable<string> | AsyncIterable<string>;
  /**
   * Statements that belong to the same load (e.g. bot authors), run in its transaction after the COPY, so
   * a streamed source can gather them as it goes.
   */
  also?: () => { text: string; values: unknown[] }[];
}

/**
 * 'loaded' when this call committed the batch, 'duplicate' when an earlier one had, 'empty' when a streamed
 * batch held no row after all (nothing committed, no ledger row: as if it had been seen empty up front).
 */
export async function loadWithLedger(pool: Pool, b: LedgerBatch): Promise<'loaded' | 'duplicate' | 'empty'> {
  return withTransaction(pool, async (client) => {
    const ledger = await client.query(
      'INSERT INTO ingest_ledger (batch_id, family, partition, rows) VALUES ($1, $2, $3, $4) ON CONFLICT (batch_id) DO NOTHING',
      [b.batchId, b.family, b.partition, b.rows ?? 0],
    );
    // Nothing was written: committing the empty transaction leaves the database as a rollback would.
    if (ledger.rowCount === 0) return 'duplicate';
    const copy = client.query(copyFrom(b.copySql));
    await pipeline(Readable.from(b.chunks), copy);
    for (const q of b.also?.() ?? []) await client.query(q.text, q.values);
    if (b.rows === undefined) {
      if (copy.rowCount === 0) {
        await client.query('DELETE FROM ingest_ledger WHERE batch_id = $1', [b.batchId]);
        return 'empty';
      }
      await client.query('UPDATE ingest_ledger SET rows = $2 WHERE batch_id = $1', [b.batchId, copy.rowCount]);
    }
    return 'loaded';
  });
}
