-- TimescaleDB storage for app_commands: the same hypertable, compression, retention and rollup settings as
-- messages (reasons in 001_messages.timescale.sql and 003_messages_rollups.timescale.sql); rollups keep
-- the names, columns and types of the views in 006_app_commands.postgres.sql.
SELECT create_hypertable('app_commands_raw', 'bucket', chunk_time_interval => INTERVAL '1 day', create_default_indexes => false);

ALTER TABLE app_commands_raw SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'guild_id',
  timescaledb.compress_orderby = 'bucket DESC'
);
SELECT add_compression_policy('app_commands_raw', compress_after => INTERVAL '2 days');
SELECT add_retention_policy('app_commands_raw', drop_after => INTERVAL '90 days');

CREATE MATERIALIZED VIEW app_commands_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command
WITH NO DATA;

SELECT add_continuous_aggregate_policy('app_commands_hourly',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');

CREATE MATERIALIZED VIEW app_commands_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_hourly
GROUP BY 1, guild_id, channel_id, user_id, application_id, command
WITH NO DATA;

SELECT add_continuous_aggregate_policy('app_commands_daily',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
