-- Emoji uses per minute by channel: the emojis family (005) with the channel and its thread parent, for
-- leaderboards per channel and per category (/emojis channel:, category:). A family of its own beside
-- emojis_raw, written by the emoji collector with each use, rather than new columns on emojis_raw: a
-- TimescaleDB continuous aggregate cannot gain columns, and rebuilding the emojis aggregates would lose every
-- materialized bucket older than the 90-day raw retention (see 032 and 011). Per-channel answers therefore
-- start with this migration; whole-server and per-member ones keep reading emojis_raw's full history.
-- parent_id is the thread's parent channel (0 outside threads), as in messages_raw.
CREATE TABLE channel_emojis_raw (
  bucket     timestamptz NOT NULL,
  guild_id   bigint      NOT NULL,
  channel_id bigint      NOT NULL,
  parent_id  bigint      NOT NULL DEFAULT 0,
  user_id    bigint      NOT NULL,
  emoji      text        NOT NULL,
  source     text        NOT NULL,
  uses       integer     NOT NULL
);

CREATE INDEX channel_emojis_raw_guild_bucket_idx ON channel_emojis_raw (guild_id, bucket);
