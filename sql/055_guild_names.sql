-- Each guild's name, kept current by the shard processes from GUILD_CREATE and GUILD_UPDATE
-- (src/shard/structure.ts), so Grafana's server picker and other views name servers without a gateway
-- cache. Display data only, like the other structure tables of sql/030; not personal data.
CREATE TABLE guild_names (
  guild_id   bigint      PRIMARY KEY,
  name       text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
