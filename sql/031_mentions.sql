-- Mentions per minute: who (user_id) mentioned whom (target_id) in a guild, by kind: 'member' (a user,
-- including a reply Discord marks as a mention), 'role' (target_id the role) or 'everyone' (@everyone or
-- @here, target_id 0). Counted from the ids Discord lists in the message (mentions, mention_roles,
-- mention_everyone), never from the text. Append-only deltas loaded by COPY like messages_raw (001);
-- hypertable and rollups per engine: 031_mentions.postgres.sql (views), 031_mentions.timescale.sql.
CREATE TABLE mentions_raw (
  bucket    timestamptz NOT NULL,
  guild_id  bigint      NOT NULL,
  user_id   bigint      NOT NULL,
  target_id bigint      NOT NULL,
  kind      text        NOT NULL,
  mentions  integer     NOT NULL
);

CREATE INDEX mentions_raw_guild_bucket_idx ON mentions_raw (guild_id, bucket);
