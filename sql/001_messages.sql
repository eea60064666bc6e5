-- Raw message counters: append-only per-minute deltas loaded by COPY from rotated Redis batches. The same
-- (bucket, guild, channel, user) may appear in several batches; readers sum. No primary key on purpose:
-- a unique constraint would turn the load into an upsert (~10x slower) and reject legitimate repeats.
CREATE TABLE messages_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  channel_id  bigint      NOT NULL,
  -- A thread's parent channel (0 outside threads): threads count for themselves and for their parent.
  parent_id   bigint      NOT NULL DEFAULT 0,
  user_id     bigint      NOT NULL,
  messages    integer     NOT NULL,
  words       integer     NOT NULL,
  attachments integer     NOT NULL
);

-- Every stats query is per guild over a time range.
CREATE INDEX messages_raw_guild_bucket_idx ON messages_raw (guild_id, bucket);
