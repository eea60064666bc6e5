-- Voice seconds per minute, credited from open sessions at least once a minute; the state columns
-- overlap `seconds` (a muted streamer counts in seconds, muted_seconds and streaming_seconds).
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); rollups as in 003.
CREATE TABLE voice_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  channel_id  bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  seconds     integer     NOT NULL,
  muted_seconds integer     NOT NULL,
  deafened_seconds integer     NOT NULL,
  streaming_seconds integer     NOT NULL,
  video_seconds integer     NOT NULL
);

CREATE INDEX voice_raw_guild_bucket_idx ON voice_raw (guild_id, bucket);

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
