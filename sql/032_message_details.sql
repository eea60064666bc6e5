-- Message details per minute: characters (Unicode code points of the content), replies (messages of
-- Discord's reply type), stickers and embeds, with the dimensions of messages_raw (001). A companion table of
-- the messages family rather than new columns on messages_raw: on TimescaleDB a continuous aggregate cannot
-- gain columns, and rebuilding messages_15m/_hourly/_daily (and their guild-wide aggregates) from the raw
-- table would lose every materialized bucket older than the 90-day raw retention (the same reason 011 adds
-- quarter-hours beside the hourly aggregate). The shard writes both from the same MESSAGE_CREATE, so for
-- every message counted since this migration the two tables agree; averages (characters per message) are
-- taken over the same filter on both. Append-only deltas loaded by COPY like messages_raw; hypertable and
-- rollups per engine: 032_message_details.postgres.sql, 032_message_details.timescale.sql.
CREATE TABLE message_details_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  channel_id  bigint      NOT NULL,
  parent_id   bigint      NOT NULL DEFAULT 0,
  user_id     bigint      NOT NULL,
  characters  integer     NOT NULL,
  replies     integer     NOT NULL,
  stickers    integer     NOT NULL,
  embeds      integer     NOT NULL
);

CREATE INDEX message_details_raw_guild_bucket_idx ON message_details_raw (guild_id, bucket);
