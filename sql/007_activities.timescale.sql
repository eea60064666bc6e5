-- TimescaleDB storage for activities: the same hypertable, compression, retention and rollup settings as
-- messages (reasons in 001_messages.timescale.sql and 003_messages_rollups.timescale.sql); rollups keep
-- the names, columns and types of the views in 007_activities.postgres.sql.
SELECT create_hypertable('activities_raw', 'bucket', chunk_time_interval => INTERVAL '1 day', create_default_indexes => false);

ALTER TABLE activities_raw SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'guild_id',
  timescaledb.compress_orderby = 'bucket DESC'
);
SELECT add_compression_policy('activities_raw', compress_after => INTERVAL '2 days');
SELECT add_retention_policy('activities_raw', drop_after => INTERVAL '90 days');

CREATE MATERIALIZED VIEW activities_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket,
       guild_id, user_id, activity,
       sum(seconds)::bigint AS seconds
FROM activities_raw
GROUP BY 1, guild_id, user_id, activity
WITH NO DATA;

SELECT add_continuous_aggregate_policy('activities_hourly',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');

CREATE MATERIALIZED VIEW activities_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       guild_id, user_id, activity,
       sum(seconds)::bigint AS seconds
FROM activities_hourly
GROUP BY 1, guild_id, user_id, activity
WITH NO DATA;

SELECT add_continuous_aggregate_policy('activities_daily',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
