-- Emoji uses: emoji is a custom emoji's id or the unicode sequence itself; source is 'message' or
-- 'reaction'. Removing a reaction does not decrement history.
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); rollups as in 003.
CREATE TABLE emojis_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  emoji       text        NOT NULL,
  source      text        NOT NULL,
  uses        integer     NOT NULL
);

CREATE INDEX emojis_raw_guild_bucket_idx ON emojis_raw (guild_id, bucket);

CREATE VIEW emojis_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM emojis_raw
GROUP BY 1, guild_id, user_id, emoji, source;

CREATE VIEW emojis_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM emojis_raw
GROUP BY 1, guild_id, user_id, emoji, source;
