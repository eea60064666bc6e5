-- Hour and day rollups of messages_raw. On plain PostgreSQL they are ordinary views, so commands and
-- dashboards read the same names on both engines; 003_messages_rollups.timescale.sql makes them
-- continuous aggregates with the same columns and types. Buckets are truncated in UTC explicitly:
-- date_trunc on a timestamptz would otherwise follow the session's TimeZone and give different days to
-- different clients (time_bucket on TimescaleDB cuts at UTC too). Per-guild time zones are applied by
-- queries on the hourly rollup.
CREATE VIEW messages_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(messages)::bigint    AS messages,
       sum(words)::bigint       AS words,
       sum(attachments)::bigint AS attachments
FROM messages_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id;

CREATE VIEW messages_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(messages)::bigint    AS messages,
       sum(words)::bigint       AS words,
       sum(attachments)::bigint AS attachments
FROM messages_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id;
