-- TimescaleDB storage for emoji uses by channel: the hypertable, compression, retention and rollups of the
-- other families (reasons in 001, 003 and 011); rollups keep the names, columns and types of the views in
-- 033_channel_emojis.postgres.sql. A fresh table has nothing to backfill, so the quarter-hour aggregate gets its
-- policies at once.
SELECT create_hypertable('channel_emojis_raw', 'bucket', chunk_time_interval => INTERVAL '1 day', create_default_indexes => false);

ALTER TABLE channel_emojis_raw SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'guild_id',
  timescaledb.compress_orderby = 'bucket DESC'
);
SELECT add_compression_policy('channel_emojis_raw', compress_after => INTERVAL '2 days');
SELECT add_retention_policy('channel_emojis_raw', drop_after => INTERVAL '90 days');

CREATE MATERIALIZED VIEW channel_emojis_15m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket,
       guild_id, channel_id, parent_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM channel_emojis_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id, emoji, source
WITH NO DATA;

SELECT add_continuous_aggregate_policy('channel_emojis_15m',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '15 minutes', schedule_interval => INTERVAL '15 minutes');
ALTER MATERIALIZED VIEW channel_emojis_15m SET (timescaledb.compress = true, timescaledb.compress_segmentby = 'guild_id', timescaledb.compress_orderby = 'bucket DESC');
SELECT add_compression_policy('channel_emojis_15m', compress_after => INTERVAL '2 days');

CREATE MATERIALIZED VIEW channel_emojis_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket,
       guild_id, channel_id, parent_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM channel_emojis_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id, emoji, source
WITH NO DATA;

SELECT add_continuous_aggregate_policy('channel_emojis_hourly',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');

CREATE MATERIALIZED VIEW channel_emojis_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       guild_id, channel_id, parent_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM channel_emojis_hourly
GROUP BY 1, guild_id, channel_id, parent_id, user_id, emoji, source
WITH NO DATA;

SELECT add_continuous_aggregate_policy('channel_emojis_daily',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');

-- Guild-wide aggregates and the per-member index by user, as 015/016 give every family; a fresh table needs
-- no backfill, so they get their policies at once.
CREATE MATERIALIZED VIEW channel_emojis_guild_15m WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket, guild_id, sum(uses)::bigint AS uses
FROM channel_emojis_15m GROUP BY 1, guild_id WITH NO DATA;
CREATE MATERIALIZED VIEW channel_emojis_guild_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket, guild_id, sum(uses)::bigint AS uses
FROM channel_emojis_hourly GROUP BY 1, guild_id WITH NO DATA;
CREATE MATERIALIZED VIEW channel_emojis_guild_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket, guild_id, sum(uses)::bigint AS uses
FROM channel_emojis_daily GROUP BY 1, guild_id WITH NO DATA;
CREATE INDEX channel_emojis_15m_user_idx ON channel_emojis_15m (guild_id, user_id, bucket);
CREATE INDEX channel_emojis_hourly_user_idx ON channel_emojis_hourly (guild_id, user_id, bucket);
CREATE INDEX channel_emojis_daily_user_idx ON channel_emojis_daily (guild_id, user_id, bucket);
SELECT add_continuous_aggregate_policy('channel_emojis_guild_15m',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '15 minutes', schedule_interval => INTERVAL '15 minutes');
SELECT add_continuous_aggregate_policy('channel_emojis_guild_hourly',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');
SELECT add_continuous_aggregate_policy('channel_emojis_guild_daily',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
