-- Presence activity seconds (games, apps) per member; activity is the application id when Discord
-- gives one, else its name. Only recorded when the presence intent is granted.
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); rollups as in 003.
CREATE TABLE activities_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  activity    text        NOT NULL,
  seconds     integer     NOT NULL
);

CREATE INDEX activities_raw_guild_bucket_idx ON activities_raw (guild_id, bucket);

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
