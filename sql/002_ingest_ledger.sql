-- One row per loaded Redis batch, written in the same transaction as the batch's COPY. A batch whose
-- ledger row exists was committed already: the ingest worker unlinks it instead of loading it again.
CREATE TABLE ingest_ledger (
  batch_id  text        PRIMARY KEY,
  family    text        NOT NULL,
  partition integer     NOT NULL,
  rows      integer     NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);
