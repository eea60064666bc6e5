-- Presence activity seconds (games, apps) per member; activity is the application id when Discord
-- gives one, else its name. Only recorded when the presence intent is granted.
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); hypertable
-- and rollups per engine: 007_activities.postgres.sql (views), 007_activities.timescale.sql (continuous aggregates).
CREATE TABLE activities_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  activity    text        NOT NULL,
  seconds     integer     NOT NULL
);

CREATE INDEX activities_raw_guild_bucket_idx ON activities_raw (guild_id, bucket);
