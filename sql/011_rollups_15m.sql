-- Where a rollup's history starts, for rollups added to databases that already had data (see
-- 012_rollups_15m_backfill.timescale.sql). On TimescaleDB a new continuous aggregate can only be built from
-- the raw rows still retained (90 days); anything older is only in the hourly and daily aggregates. A row
-- here says from which hour on `rollup` holds everything; the stats queries read the hourly rollup before
-- that (src/stats/zoned.ts). No row: the rollup holds the whole history (fresh databases, plain PostgreSQL).
CREATE TABLE rollup_coverage (
  rollup text        PRIMARY KEY,
  since  timestamptz NOT NULL
);
