-- Voice seconds per minute, credited from open sessions at least once a minute; the state columns
-- overlap `seconds` (a muted streamer counts in seconds, muted_seconds and streaming_seconds).
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); hypertable
-- and rollups per engine: 004_voice.postgres.sql (views), 004_voice.timescale.sql (continuous aggregates).
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
