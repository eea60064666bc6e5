-- Hour and day rollups of messages_raw as continuous aggregates: same names, columns and types as the
-- plain PostgreSQL views (003_messages_rollups.postgres.sql), so the same queries serve both engines.
-- time_bucket on timestamptz cuts at UTC, like date_trunc(..., 'UTC') in the views.
--
-- Real-time aggregation is on (materialized_only = false): a read combines the materialized buckets
-- with the raw rows above the watermark, so the current hour is always exact.
-- Refresh windows must reach further back than the maximum lateness (2 h, see 001_messages.timescale.sql):
--   hourly: start_offset 1 day (lateness + a day's buffer for a slow recovery), end_offset 1 hour (the
--           current hour is still being written and comes from real time), every 15 minutes;
--   daily:  built on the hourly aggregate (hierarchical); start_offset 3 days, end_offset 1 day (only
--           whole days whose hours are materialized), every hour.
-- Rows older than the refresh window (late beyond a day, or deleted for privacy) need
--   CALL refresh_continuous_aggregate('messages_hourly', <from>, <to>); then the same for messages_daily.
-- Sums are cast to bigint: sum(bigint) over the hourly aggregate would be numeric.
CREATE MATERIALIZED VIEW messages_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(messages)::bigint    AS messages,
       sum(words)::bigint       AS words,
       sum(attachments)::bigint AS attachments
FROM messages_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id
WITH NO DATA;

SELECT add_continuous_aggregate_policy('messages_hourly',
  start_offset => INTERVAL '1 day', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes');

CREATE MATERIALIZED VIEW messages_daily
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', bucket) AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(messages)::bigint    AS messages,
       sum(words)::bigint       AS words,
       sum(attachments)::bigint AS attachments
FROM messages_hourly
GROUP BY 1, guild_id, channel_id, parent_id, user_id
WITH NO DATA;

SELECT add_continuous_aggregate_policy('messages_daily',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
