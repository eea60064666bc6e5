-- Hour and day rollups of activities_raw as views on plain PostgreSQL (see 003_messages_rollups.postgres.sql).
CREATE VIEW activities_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, user_id, activity,
       sum(seconds)::bigint AS seconds
FROM activities_raw
GROUP BY 1, guild_id, user_id, activity;

CREATE VIEW activities_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, user_id, activity,
       sum(seconds)::bigint AS seconds
FROM activities_raw
GROUP BY 1, guild_id, user_id, activity;
