-- Names of custom emojis as messages and reactions carry them (`<:name:id>`), so an answer can name an
-- emoji that is not (or no longer) in the guild's emoji list, e.g. one from another server that members
-- use with Nitro. Written by the shard processes in batches, off the gateway path; one row per emoji,
-- the last name seen. Not personal data: an emoji's name belongs to the server that made it.
CREATE TABLE emoji_names (
  emoji_id   bigint      PRIMARY KEY,
  name       text        NOT NULL,
  animated   boolean     NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
