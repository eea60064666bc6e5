-- TimescaleDB storage for the raw minute tables. Every *_raw table gets the same treatment as this one
-- (see 004-007); the numbers are chosen here, once:
--
-- Chunk interval 1 day. A day of minute rows for thousands of guilds is tens of millions of narrow rows,
--   so the chunks being written (today, and yesterday for late rows) and their indexes stay in memory,
--   and compression and retention work on whole chunks: retention drops a day at a time, never deletes.
-- Maximum lateness 2 hours: rows are normally seconds late (rotation + COPY); a leftover batch finished
--   after an ingest worker or Postgres outage is older, and we plan for outages of up to 2 hours. The
--   rollup refresh windows (003) reach back a day, so even a day-long outage heals on its own; rows later
--   than that are loaded but reach the materialized rollups only after a manual refresh.
-- Compression after 2 days: past the lateness window and the hourly rollup's refresh window (1 day),
--   so compressed chunks are cold. Segment by guild_id because every query filters on one guild;
--   order by bucket because every query is a time range.
-- Retention 90 days on raw rows only: the rollups are kept (their refresh windows never reach back
--   that far, so dropping raw chunks does not delete materialized hours or days). Minute charts and
--   exact per-channel reconciliation therefore cover the last 90 days on TimescaleDB.
CREATE EXTENSION IF NOT EXISTS timescaledb;

-- No default index on bucket: every reader filters on guild_id and (guild_id, bucket) serves them; whole
-- time ranges are served by chunk exclusion. One index fewer on the COPY path.
SELECT create_hypertable('messages_raw', 'bucket', chunk_time_interval => INTERVAL '1 day', create_default_indexes => false);

ALTER TABLE messages_raw SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'guild_id',
  timescaledb.compress_orderby = 'bucket DESC'
);
SELECT add_compression_policy('messages_raw', compress_after => INTERVAL '2 days');
SELECT add_retention_policy('messages_raw', drop_after => INTERVAL '90 days');
