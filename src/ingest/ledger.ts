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
  rows: number;
  /** `COPY table (columns) FROM STDIN` */
  copySql: string;
  /** COPY text-format chunks of the batch's rows. */
  chunks: Iterable<string>;
  /** Statements that belong to the same load (e.g. bot authors), run in its transaction before the COPY. */
  also?: { text: string; values: unknown[] }[];
}

/** 'loaded' when this call committed the batch, 'duplicate' when an earlier one had. */
export async function loadWithLedger(pool: Pool, b: LedgerBatch): Promise<'loaded' | 'duplicate'> {
  return withTransaction(pool, async (client) => {
    const ledger = await client.query(
      'INSERT INTO ingest_ledger (batch_id, family, partition, rows) VALUES ($1, $2, $3, $4) ON CONFLICT (batch_id) DO NOTHING',
      [b.batchId, b.family, b.partition, b.rows],
    );
    // Nothing was written: committing the empty transaction leaves the database as a rollback would.
    if (ledger.rowCount === 0) return 'duplicate';
    for (const q of b.also ?? []) await client.query(q.text, q.values);
    await pipeline(Readable.from(b.chunks), client.query(copyFrom(b.copySql)));
    return 'loaded';
  });
}
