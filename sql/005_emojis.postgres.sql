-- Hour and day rollups of emojis_raw as views on plain PostgreSQL (see 003_messages_rollups.postgres.sql).
CREATE VIEW emojis_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM emojis_raw
GROUP BY 1, guild_id, user_id, emoji, source;

CREATE VIEW emojis_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM emojis_raw
GROUP BY 1, guild_id, user_id, emoji, source;
