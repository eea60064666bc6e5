-- Hour and day rollups of voice_raw as views on plain PostgreSQL (see 003_messages_rollups.postgres.sql).
CREATE VIEW voice_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, channel_id, user_id,
       sum(seconds)::bigint AS seconds,
       sum(muted_seconds)::bigint AS muted_seconds,
       sum(deafened_seconds)::bigint AS deafened_seconds,
       sum(streaming_seconds)::bigint AS streaming_seconds,
       sum(video_seconds)::bigint AS video_seconds
FROM voice_raw
GROUP BY 1, guild_id, channel_id, user_id;

CREATE VIEW voice_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, channel_id, user_id,
       sum(seconds)::bigint AS seconds,
       sum(muted_seconds)::bigint AS muted_seconds,
       sum(deafened_seconds)::bigint AS deafened_seconds,
       sum(streaming_seconds)::bigint AS streaming_seconds,
       sum(video_seconds)::bigint AS video_seconds
FROM voice_raw
GROUP BY 1, guild_id, channel_id, user_id;
