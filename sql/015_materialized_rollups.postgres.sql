-- On plain PostgreSQL the rollups (*_15m, *_hourly, *_daily) become tables maintained by triggers on the
-- raw tables, replacing the views of 003-007 and 011 (same names, columns and types as TimescaleDB's
-- continuous aggregates, so src/stats reads the same names on both engines). A view re-aggregated every raw
-- minute of the range on each read: a busy server's 30 days are millions of rows. A table holds each
-- (bucket, dimensions) once. Beside them, guild-wide rollups (*_guild_15m, *_guild_hourly, *_guild_daily:
-- bucket, guild_id and the sums, no other dimension) answer whole-server series and heatmaps from one row
-- per bucket; 015_materialized_rollups.timescale.sql makes them continuous aggregates.
--
-- Exact, and exactly once with the raw rows (docs/architecture.md, invariant 1): a statement-level AFTER
-- trigger sees the rows a statement inserted (the ingest worker's COPY, through a transition table) and
-- adds their sums to the rollup rows in the same transaction, so the rollups commit or roll back with the
-- COPY and its ledger row. Raw tables stay append-only: the upserts hit the rollups, whose rows are a
-- statement's aggregate (a batch of thousands of minute rows touches a few hundred rollup rows). Deletes
-- (privacy) subtract and drop the rollup rows no raw row falls in any more, so the tables always equal the
-- views they replace: one row per (bucket, dimensions) with at least one raw row, sums as bigint. TRUNCATE
-- empties them. Ingest workers own disjoint partitions (guilds), so concurrent upserts rarely meet on a
-- row; ordering each upsert by key keeps them free of deadlocks when they do.
--
-- Intervals are fixed lengths ('24 hours', not '1 day'): timestamptz + '1 day' follows the session's zone.

CREATE FUNCTION rollup_grains() RETURNS TABLE (suffix text, cut text, width interval) LANGUAGE sql IMMUTABLE AS $$
  VALUES ('_15m',    $c$date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')$c$, INTERVAL '15 minutes'),
         ('_hourly', $c$date_trunc('hour', bucket, 'UTC')$c$, INTERVAL '1 hour'),
         ('_daily',  $c$date_trunc('day', bucket, 'UTC')$c$,  INTERVAL '24 hours')
$$;

-- Trigger arguments: the rollups' prefix ('messages' for messages_15m, ...), the raw table's dimensions
-- after guild_id, and its metrics, comma-separated. Transition tables: `added` (INSERT, UPDATE), `removed`
-- (DELETE, UPDATE). Names come from the trigger definitions below, never from data.
CREATE FUNCTION rollups_maintain() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  prefix  text := TG_ARGV[0];
  dims    text[] := string_to_array(TG_ARGV[1], ',');
  metrics text[] := string_to_array(TG_ARGV[2], ',');
  keys    text := array_to_string('{guild_id}' || dims, ', ');
  others  text := (SELECT coalesce(string_agg(format(' AND x.%I = r.%I', k, k), ''), '') FROM unnest(dims) k);
  sums    text := (SELECT string_agg(format('sum(%I)::bigint AS %I', m, m), ', ') FROM unnest(metrics) m);
  cols    text := array_to_string(metrics, ', ');
  g       record;
BEGIN
  FOR g IN SELECT * FROM rollup_grains() LOOP
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
      EXECUTE format('UPDATE %I AS r SET %s FROM (SELECT %s AS bucket, %s, %s FROM removed GROUP BY 1, %s) AS d WHERE r.bucket = d.bucket AND %s',
        prefix || g.suffix,
        (SELECT string_agg(format('%I = r.%I - d.%I', m, m, m), ', ') FROM unnest(metrics) m),
        g.cut, keys, sums, keys,
        (SELECT string_agg(format('r.%I = d.%I', k, k), ' AND ') FROM unnest('{guild_id}' || dims) k));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      EXECUTE format('INSERT INTO %I AS r (bucket, %s, %s) SELECT %s, %s, %s FROM added GROUP BY 1, %s ORDER BY 1, %s
                      ON CONFLICT (guild_id, bucket%s) DO UPDATE SET %s',
        prefix || g.suffix, keys, cols, g.cut, keys, sums, keys, keys,
        (SELECT coalesce(string_agg(', ' || quote_ident(d), ''), '') FROM unnest(dims) d),
        (SELECT string_agg(format('%I = r.%I + excluded.%I', m, m, m), ', ') FROM unnest(metrics) m));
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
      EXECUTE format('DELETE FROM %I AS r USING (SELECT DISTINCT %s AS bucket, %s FROM removed) AS d WHERE r.bucket = d.bucket AND %s
                      AND NOT EXISTS (SELECT 1 FROM %I AS x WHERE x.guild_id = r.guild_id AND x.bucket >= r.bucket AND x.bucket < r.bucket + %L::interval%s)',
        prefix || g.suffix, g.cut, keys,
        (SELECT string_agg(format('r.%I = d.%I', k, k), ' AND ') FROM unnest('{guild_id}' || dims) k),
        TG_TABLE_NAME, g.width, others);
    END IF;
  END LOOP;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION rollups_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  g record;
BEGIN
  FOR g IN SELECT * FROM rollup_grains() LOOP
    EXECUTE format('TRUNCATE %I', TG_ARGV[0] || g.suffix);
  END LOOP;
  RETURN NULL;
END
$fn$;

-- Replaces one family's three views with maintained tables and adds its guild-wide rollups, filled from
-- the raw rows under a lock that keeps writers out until the triggers exist (nothing inserted in between
-- is missed). The per-member rollups get an index by user: leaving a guild's few bots out of a whole-server
-- answer subtracts their rows (src/stats/scope.ts).
CREATE FUNCTION rollups_materialize(raw regclass, prefix text, dims text[], dim_types text[], metrics text[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  g record;
  metric_cols text := (SELECT string_agg(format('%I bigint NOT NULL', m), ', ') FROM unnest(metrics) m);
  metric_sums text := (SELECT string_agg(format('sum(%I)::bigint', m), ', ') FROM unnest(metrics) m);
  keys text := array_to_string('{guild_id}' || dims, ', ');
  args text := format('%L, %L, %L', prefix, array_to_string(dims, ','), array_to_string(metrics, ','));
  guild_args text := format('%L, %L, %L', prefix || '_guild', '', array_to_string(metrics, ','));
BEGIN
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', raw);
  FOR g IN SELECT * FROM rollup_grains() ORDER BY width DESC LOOP
    EXECUTE format('DROP VIEW %I', prefix || g.suffix);
    EXECUTE format('CREATE TABLE %I (bucket timestamptz NOT NULL, guild_id bigint NOT NULL, %s, %s, PRIMARY KEY (guild_id, bucket, %s))',
      prefix || g.suffix,
      (SELECT string_agg(format('%I %s NOT NULL', d, t), ', ') FROM unnest(dims, dim_types) AS x(d, t)),
      metric_cols, array_to_string(dims, ', '));
    EXECUTE format('CREATE INDEX %I ON %I (guild_id, user_id, bucket)', prefix || g.suffix || '_user_idx', prefix || g.suffix);
    EXECUTE format('INSERT INTO %I SELECT %s, %s, %s FROM %s GROUP BY 1, %s', prefix || g.suffix, g.cut, keys, metric_sums, raw, keys);
    EXECUTE format('CREATE TABLE %I (bucket timestamptz NOT NULL, guild_id bigint NOT NULL, %s, PRIMARY KEY (guild_id, bucket))', prefix || '_guild' || g.suffix, metric_cols);
    EXECUTE format('INSERT INTO %I SELECT %s, guild_id, %s FROM %s GROUP BY 1, guild_id', prefix || '_guild' || g.suffix, g.cut, metric_sums, raw);
  END LOOP;
  EXECUTE format('CREATE TRIGGER rollups_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollups_maintain(%s)', raw, args);
  EXECUTE format('CREATE TRIGGER rollups_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION rollups_maintain(%s)', raw, args);
  EXECUTE format('CREATE TRIGGER rollups_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollups_maintain(%s)', raw, args);
  EXECUTE format('CREATE TRIGGER rollups_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION rollups_truncate(%L)', raw, prefix);
  EXECUTE format('CREATE TRIGGER guild_rollups_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollups_maintain(%s)', raw, guild_args);
  EXECUTE format('CREATE TRIGGER guild_rollups_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION rollups_maintain(%s)', raw, guild_args);
  EXECUTE format('CREATE TRIGGER guild_rollups_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rollups_maintain(%s)', raw, guild_args);
  EXECUTE format('CREATE TRIGGER guild_rollups_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION rollups_truncate(%L)', raw, prefix || '_guild');
END
$fn$;

SELECT rollups_materialize('messages_raw', 'messages', '{channel_id,parent_id,user_id}', '{bigint,bigint,bigint}', '{messages,words,attachments}');
SELECT rollups_materialize('voice_raw', 'voice', '{channel_id,user_id}', '{bigint,bigint}', '{seconds,muted_seconds,deafened_seconds,streaming_seconds,video_seconds}');
SELECT rollups_materialize('emojis_raw', 'emojis', '{user_id,emoji,source}', '{bigint,text,text}', '{uses}');
SELECT rollups_materialize('app_commands_raw', 'app_commands', '{channel_id,user_id,application_id,command}', '{bigint,bigint,bigint,text}', '{uses}');
SELECT rollups_materialize('activities_raw', 'activities', '{user_id,activity}', '{bigint,text}', '{seconds}');
-- rollups_materialize stays: a family added later materializes its rollups with it (031_mentions).
