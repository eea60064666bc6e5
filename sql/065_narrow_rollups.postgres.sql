-- Narrow daily rollups beside the per-member ones (src/families.ts, narrowRollupsOf): per channel per day
-- (messages_by_channel_daily: channel_id, parent_id; voice_by_channel_daily: channel_id) and per member per
-- day (*_by_member_daily: user_id), with the sums and `cells`, the number of per-member daily rows each
-- row sums (a channel's members that day, a member's channels). A busy guild's 90 days are ~4 million
-- per-member daily message rows (members post in many channels a day), ~4,000 per-channel rows and
-- ~200,000 per-member rows: whole-range answers that need one of the two dimensions (a channel or member
-- leaderboard, distinct active members or channels) read these. Same names, columns and types as the
-- continuous aggregates of 065_narrow_rollups.timescale.sql.
--
-- Kept from the per-member daily table, in the same transaction, by statement-level triggers on it: the
-- raw tables' triggers (sql/015) upsert and delete its rows, and these add the rows' sums (inserted rows
-- +1 cell, deleted rows -1 cell, updated rows new minus old) to the narrow rows and drop the ones whose
-- cells reach 0. So a narrow table always equals its per-member daily table grouped by its dimensions,
-- exactly as the raw tables' COPY, privacy deletion or TRUNCATE leave it; upserts in key order, as in 015.

CREATE FUNCTION narrow_rollups_maintain() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  target  text := TG_ARGV[0];
  dims    text[] := string_to_array(TG_ARGV[1], ',');
  metrics text[] := string_to_array(TG_ARGV[2], ',');
  keys    text := array_to_string('{guild_id,bucket}' || dims, ', ');
  cols    text := array_to_string(metrics || '{cells}'::text[], ', ');
  deltas  text;
BEGIN
  -- Each changed per-member row as a signed delta of its key: +sums +1 cell when added, - when removed.
  deltas := concat_ws(' UNION ALL ',
    CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN format('SELECT %s, %s, 1 AS cells FROM added', keys, array_to_string(metrics, ', ')) END,
    CASE WHEN TG_OP IN ('DELETE', 'UPDATE') THEN format('SELECT %s, %s, -1 AS cells FROM removed', keys,
      (SELECT string_agg(format('-%I AS %I', m, m), ', ') FROM unnest(metrics) m)) END);
  EXECUTE format('INSERT INTO %I AS r (%s, %s) SELECT %s, %s FROM (%s) AS d GROUP BY %s ORDER BY %s
                  ON CONFLICT (%s) DO UPDATE SET %s',
    target, keys, cols, keys,
    (SELECT string_agg(format('sum(%I)::bigint', m), ', ') FROM unnest(metrics || '{cells}'::text[]) m),
    deltas, keys, keys, keys,
    (SELECT string_agg(format('%I = r.%I + excluded.%I', m, m, m), ', ') FROM unnest(metrics || '{cells}'::text[]) m));
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    EXECUTE format('DELETE FROM %I AS r USING (SELECT DISTINCT %s FROM removed) AS d WHERE %s AND r.cells = 0',
      target, keys,
      (SELECT string_agg(format('r.%I = d.%I', k, k), ' AND ') FROM unnest('{guild_id,bucket}' || dims) k));
  END IF;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION narrow_rollups_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format('TRUNCATE %I', TG_ARGV[0]);
  RETURN NULL;
END
$fn$;

-- One narrow rollup of a family: the table, filled from the per-member daily table under a lock that keeps
-- the raw table's writers (whose triggers write the daily table) out until the triggers exist.
CREATE FUNCTION narrow_rollup_create(raw regclass, daily text, target text, dims text[], dim_types text[], metrics text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  keys text := array_to_string('{guild_id,bucket}' || dims, ', ');
  args text := format('%L, %L, %L', target, array_to_string(dims, ','), array_to_string(metrics, ','));
BEGIN
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', raw);
  EXECUTE format('CREATE TABLE %I (bucket timestamptz NOT NULL, guild_id bigint NOT NULL, %s, %s, cells bigint NOT NULL, PRIMARY KEY (%s))',
    target,
    (SELECT string_agg(format('%I %s NOT NULL', d, t), ', ') FROM unnest(dims, dim_types) AS x(d, t)),
    (SELECT string_agg(format('%I bigint NOT NULL', m), ', ') FROM unnest(metrics) m),
    keys);
  -- In key order: a range of days is then a range of pages (days kept later are written day by day).
  EXECUTE format('INSERT INTO %I (%s, %s, cells) SELECT %s, %s, count(*) FROM %I GROUP BY %s ORDER BY %s',
    target, keys, array_to_string(metrics, ', '), keys,
    (SELECT string_agg(format('sum(%I)::bigint', m), ', ') FROM unnest(metrics) m), daily, keys, keys);
  EXECUTE format('ANALYZE %I', target);
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION narrow_rollups_maintain(%s)', target || '_insert', daily, args);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION narrow_rollups_maintain(%s)', target || '_delete', daily, args);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION narrow_rollups_maintain(%s)', target || '_update', daily, args);
  EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION narrow_rollups_truncate(%L)', target || '_truncate', daily, target);
END
$fn$;

SELECT narrow_rollup_create('messages_raw', 'messages_daily', 'messages_by_channel_daily', '{channel_id,parent_id}', '{bigint,bigint}', '{messages,words,attachments}');
SELECT narrow_rollup_create('messages_raw', 'messages_daily', 'messages_by_member_daily', '{user_id}', '{bigint}', '{messages,words,attachments}');
SELECT narrow_rollup_create('voice_raw', 'voice_daily', 'voice_by_channel_daily', '{channel_id}', '{bigint}', '{seconds,muted_seconds,deafened_seconds,streaming_seconds,video_seconds}');
SELECT narrow_rollup_create('voice_raw', 'voice_daily', 'voice_by_member_daily', '{user_id}', '{bigint}', '{seconds,muted_seconds,deafened_seconds,streaming_seconds,video_seconds}');
