-- Hour and day rollups of app_commands_raw as views on plain PostgreSQL (see 003_messages_rollups.postgres.sql).
CREATE VIEW app_commands_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command;

CREATE VIEW app_commands_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command;
