-- Quarter-hour, hour and day rollups of message_details_raw on plain PostgreSQL: declared as views like those
-- of 003 and 011, then made tables kept by triggers, with guild-wide rollups, as 015 does for every family.
CREATE VIEW message_details_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(characters)::bigint AS characters,
       sum(replies)::bigint AS replies,
       sum(stickers)::bigint AS stickers,
       sum(embeds)::bigint AS embeds
FROM message_details_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id;

CREATE VIEW message_details_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(characters)::bigint AS characters,
       sum(replies)::bigint AS replies,
       sum(stickers)::bigint AS stickers,
       sum(embeds)::bigint AS embeds
FROM message_details_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id;

CREATE VIEW message_details_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(characters)::bigint AS characters,
       sum(replies)::bigint AS replies,
       sum(stickers)::bigint AS stickers,
       sum(embeds)::bigint AS embeds
FROM message_details_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id;

SELECT rollups_materialize('message_details_raw', 'message_details', '{channel_id,parent_id,user_id}', '{bigint,bigint,bigint}', '{characters,replies,stickers,embeds}');
