-- Member joins and leaves, one row per event, loaded by COPY from rotated Redis streams (ingest ledger
-- family 'member_events'). Append-only; invite stats (regular / left / fake) are derived on read, so the
-- definitions can change without rewriting history.
CREATE TABLE member_events (
  at                 timestamptz NOT NULL,
  guild_id           bigint      NOT NULL,
  user_id            bigint      NOT NULL,
  kind               text        NOT NULL CHECK (kind IN ('join', 'leave')),
  -- Joins only: who created the invite used (null for vanity, unknown, or an invite without inviter).
  inviter_id         bigint,
  invite_code        text,
  -- Joins: 'invite' | 'vanity' | 'unknown' (simultaneous joins, vanished invites, no Manage Server); leaves: null.
  attribution        text        CHECK (attribution IN ('invite', 'vanity', 'unknown')),
  -- From the user id's snowflake: account age at join is what "fake" (young account) is judged by.
  account_created_at timestamptz NOT NULL,
  bot                boolean     NOT NULL DEFAULT false,
  CHECK ((kind = 'join') = (attribution IS NOT NULL))
);

-- Growth series: per guild over a time range.
CREATE INDEX member_events_guild_at_idx ON member_events (guild_id, at);
-- Invite stats: a member's earlier joins (rejoin) and later leaves.
CREATE INDEX member_events_guild_user_idx ON member_events (guild_id, user_id, at);
