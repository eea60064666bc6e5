-- Emoji uses: emoji is a custom emoji's id or the unicode sequence itself; source is 'message' or
-- 'reaction'. Removing a reaction does not decrement history.
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); hypertable
-- and rollups per engine: 005_emojis.postgres.sql (views), 005_emojis.timescale.sql (continuous aggregates).
CREATE TABLE emojis_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  emoji       text        NOT NULL,
  source      text        NOT NULL,
  uses        integer     NOT NULL
);

CREATE INDEX emojis_raw_guild_bucket_idx ON emojis_raw (guild_id, bucket);
