-- Which authors of counted messages are bots, per guild (answers say what they include).
-- Bots' messages are counted only while a guild's settings include bots, but they stay in the tables
-- after the setting is switched off; `include_bots:false` must leave them out whatever the setting is now.
-- Whether an author is a bot is a fact about the account, so one row per guild and bot is enough and
-- serves every rollup and period alike (a filter on user_id), including rollups that predate it. The
-- ingest worker adds rows in the same transaction as the messages they come from (the `bot` mark of the
-- messages family, src/families.ts), so an answer never sees a bot's messages before knowing it is one.
-- Primary key order serves the per-guild anti-join every filtered answer does.
CREATE TABLE bot_authors (
  guild_id bigint NOT NULL,
  user_id  bigint NOT NULL,
  PRIMARY KEY (guild_id, user_id)
);

-- Messages counted before this table existed carry no mark. Bots that joined while the bot was there
-- are known from their join events; others stay unknown until they post again (README, operating notes).
INSERT INTO bot_authors (guild_id, user_id)
SELECT DISTINCT guild_id, user_id FROM member_events WHERE bot
ON CONFLICT DO NOTHING;
