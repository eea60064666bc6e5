// The Grafana files are checked offline, the way Grafana would use them:
// - every dashboard type-checks as @grafana/schema's `Dashboard` (a virtual `const d: Dashboard = <json>`
//   per dashboard compiled with the TypeScript compiler API: excess properties, wrong types and missing
//   required fields are errors, as in Grafana's own TypeScript; string enums accept their values);
// - every datasource reference resolves to a provisioned uid of the same type;
// - every SQL query, with the macros expanded as Grafana's PostgreSQL datasource does (timescaledb: false),
//   runs against the migrated schema with rows in it and returns the expected columns;
// - every Prometheus expression names only metrics our processes register.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectProcessMetrics, registry } from '../src/metrics.js';
import '../src/shard/invites/metrics.js';
import '../src/shard/sessions/tracker.js';
import '../src/shard/sessions/writer.js';
import '../src/web/metrics.js';
import { retention, RETENTION_MEASURES } from '../src/stats/retention.js';
import { testDatabase } from './helpers/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DASH_DIR = path.join(ROOT, 'grafana/dashboards');

interface Ref {
  type?: string;
  uid?: string;
}
interface Target {
  refId: string;
  datasource?: Ref;
  rawSql?: string;
  format?: string;
  expr?: string;
}
interface PanelJson {
  id: number;
  title: string;
  type: string;
  datasource?: Ref;
  targets?: Target[];
  panels?: PanelJson[];
}
interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: { name: string; datasource?: Ref; query?: string }[] };
}

const dashboards = new Map<string, DashboardJson>(
  fs
    .readdirSync(DASH_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(DASH_DIR, f), 'utf8')) as DashboardJson]),
);
const datasources = (
  parse(fs.readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/stats.yaml'), 'utf8')) as {
    datasources: { uid: string; type: string; url: string; jsonData?: Record<string, unknown> }[];
  }
).datasources;

function allPanels(d: DashboardJson): PanelJson[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}
function allTargets(d: DashboardJson): { panel: PanelJson; target: Target }[] {
  return allPanels(d).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}

/** Diagnostics per virtual file of `const dashboard: Dashboard = <json>` (module resolution from the repository). */
function typeCheckAsDashboard(sources: Map<string, unknown>): Map<string, string[]> {
  const files = new Map<string, string>();
  for (const [name, json] of sources) {
    const file = path.join(ROOT, 'grafana', '.typecheck', `${name.replace(/\.json$/, '')}.ts`);
    // JSON cannot name a TypeScript string enum (ThresholdsMode.Absolute): Json<T> turns every string enum
    // into the union of its values and leaves everything else (required fields, excess properties) as is.
    files.set(
      file,
      `import type { Dashboard } from '@grafana/schema';
type Json<T> = T extends string ? \`\${T}\` : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
export const dashboard: Json<Dashboard> = ${JSON.stringify(json, null, 2)};\n`,
    );
  }
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = files.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile.call(host, f, lang, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const out = new Map<string, string[]>();
  for (const [name] of sources) {
    const sf = program.getSourceFile(path.join(ROOT, 'grafana', '.typecheck', `${name.replace(/\.json$/, '')}.ts`))!;
    out.set(
      name,
      ts.getPreEmitDiagnostics(program, sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    );
  }
  return out;
}

// Grafana's PostgreSQL macro engine (pkg/tsdb/grafana-postgresql-datasource/macros.go) with timescaledb off;
// dashboard variables and $__interval are interpolated first, as Grafana does.
function expandSql(
  sql: string,
  v: {
    from: Date;
    to: Date;
    interval: string;
    intervalSeconds: number;
    guild: string;
    channel?: string;
    category?: string;
    role?: string;
  },
): string {
  // The channel, category and role variables' "All" value is 0 (allValue), as Grafana substitutes it.
  const withVars = sql
    .replaceAll('$__interval', v.interval)
    .replaceAll('$guild', v.guild)
    .replaceAll('$channel', v.channel ?? '0')
    .replaceAll('$category', v.category ?? '0')
    .replaceAll('$role', v.role ?? '0');
  return withVars.replace(/\$(__[A-Za-z0-9_]+)\(([^)]*)\)/g, (_m, macro: string, rawArgs: string) => {
    const args = rawArgs.split(',').map((a) => a.trim());
    const col = args[0]!;
    const group = (): string => {
      expect(args[1]?.replace(/'/g, ''), `interval of ${macro}`).toBe(v.interval);
      return `floor(extract(epoch from ${col})/${v.intervalSeconds})*${v.intervalSeconds}`;
    };
    switch (macro) {
      case '__time':
        return `${col} AS "time"`;
      case '__timeFilter':
        return `${col} BETWEEN '${v.from.toISOString()}' AND '${v.to.toISOString()}'`;
      case '__timeFrom':
        return `'${v.from.toISOString()}'`;
      case '__timeTo':
        return `'${v.to.toISOString()}'`;
      case '__timeGroup':
        return group();
      case '__timeGroupAlias':
        return `${group()} AS "time"`;
      default:
        throw new Error(`macro ${macro} is not expanded by this test`);
    }
  });
}

describe('provisioning', () => {
  it('provisions the Postgres and Prometheus datasources by uid, credentials from the environment only', () => {
    const byUid = new Map(datasources.map((d) => [d.uid, d]));
    expect(byUid.get('stats-db')?.type).toBe('grafana-postgresql-datasource');
    expect(byUid.get('prometheus')?.type).toBe('prometheus');
    const text = fs.readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/stats.yaml'), 'utf8');
    expect(text).toMatch(/password: \$\{STATS_DB_PASSWORD\}/);
    // timescaledb: false keeps $__timeGroup engine-neutral (see the file); this test expands it that way.
    expect(byUid.get('stats-db')?.jsonData?.timescaledb).toBe(false);
  });

  it('provisions every dashboard file from one folder', () => {
    const prov = parse(fs.readFileSync(path.join(ROOT, 'grafana/provisioning/dashboards/stats.yaml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(prov.providers).toHaveLength(1);
    expect(prov.providers[0]!.type).toBe('file');
    expect(prov.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
    expect([...dashboards.keys()].sort()).toEqual([
      'apps.json',
      'emojis.json',
      'health.json',
      'invites.json',
      'server.json',
    ]);
    const uids = [...dashboards.values()].map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });
});

describe('dashboards', () => {
  it('type-check against @grafana/schema Dashboard (and the check does catch broken ones)', () => {
    const ok = {
      title: 'ok',
      schemaVersion: 39,
      panels: [{ type: 'timeseries', gridPos: { x: 0, y: 0, w: 12, h: 8 } }],
    };
    const broken: Record<string, unknown> = {
      'wrong-type.json': { ...ok, schemaVersion: '39' },
      'unknown-field.json': { ...ok, bogus: true },
      'incomplete-gridpos.json': { ...ok, panels: [{ type: 'timeseries', gridPos: { x: 0 } }] },
      'bad-enum.json': {
        ...ok,
        panels: [
          {
            ...ok.panels[0],
            fieldConfig: { defaults: { thresholds: { mode: 'relative-ish', steps: [] } }, overrides: [] },
          },
        ],
      },
    };
    const results = typeCheckAsDashboard(
      new Map<string, unknown>([...dashboards, ['ok.json', ok], ...Object.entries(broken)]),
    );
    for (const name of [...dashboards.keys(), 'ok.json']) expect(results.get(name), name).toEqual([]);
    for (const name of Object.keys(broken)) expect(results.get(name)!.length, name).toBeGreaterThan(0);
  }, 120_000);

  it('reference only provisioned datasources, with matching types; panel ids unique', () => {
    const byUid = new Map(datasources.map((d) => [d.uid, d.type]));
    for (const [name, d] of dashboards) {
      const refs: Ref[] = [
        ...allPanels(d).flatMap((p) => (p.datasource ? [p.datasource] : [])),
        ...allTargets(d).map(({ target }) => target.datasource ?? {}),
        ...d.templating.list.flatMap((v) => (v.datasource ? [v.datasource] : [])),
      ];
      expect(refs.length, name).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(byUid.has(ref.uid ?? ''), `${name}: ${JSON.stringify(ref)}`).toBe(true);
        expect(ref.type, `${name}: ${ref.uid}`).toBe(byUid.get(ref.uid!));
      }
      const ids = allPanels(d).map((p) => p.id);
      expect(new Set(ids).size, name).toBe(ids.length);
    }
  });

  it('name only metrics that our processes register', async () => {
    collectProcessMetrics();
    const known = new Set<string>();
    for (const m of await registry.getMetricsAsJSON()) {
      known.add(m.name);
      // prom-client types say MetricType (a numeric enum); the JSON carries the string, e.g. 'histogram'.
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) known.add(m.name + s);
    }
    const exprs = [...dashboards.values()].flatMap((d) =>
      allTargets(d).flatMap(({ target }) => (target.expr ? [target.expr] : [])),
    );
    expect(exprs.length).toBeGreaterThan(15);
    const used = new Set<string>();
    for (const expr of exprs) {
      const names = expr.match(/\b(?:stats|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const n of names) {
        expect(known.has(n), `${n} in ${expr}`).toBe(true);
        used.add(n.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    // The health dashboard covers the brief: shards, events, ingest, render, commands, Redis writes.
    for (const n of [
      'stats_shard_ready',
      'stats_gateway_events_total',
      'stats_ingest_batches_total',
      'stats_ingest_rows_total',
      'stats_ingest_batch_duration_seconds',
      'stats_render_duration_seconds',
      'stats_command_duration_seconds',
      'stats_redis_write_errors_total',
      'stats_increments_shed_total',
    ]) {
      expect(used.has(n), n).toBe(true);
    }
  });
});

describe('SQL panels against the migrated schema', () => {
  const GUILD = '412345678901234567';
  const OTHER = '499999999999999999';
  const from = new Date('2026-03-01T00:00:00Z');
  const to = new Date('2026-03-03T00:00:00Z');
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    db = await testDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Two hours of one guild, a row of another guild and a row outside the range (neither may be counted).
    await client.query(`
      INSERT INTO messages_raw VALUES
        ('2026-03-01T10:01:00Z', ${GUILD}, 11, 0, 101, 3, 12, 1),
        ('2026-03-01T10:02:00Z', ${GUILD}, 12, 11, 102, 2, 5, 0),
        ('2026-03-02T08:30:00Z', ${GUILD}, 11, 0, 101, 4, 9, 0),
        ('2026-03-01T10:01:00Z', ${OTHER}, 11, 0, 101, 50, 50, 0),
        ('2026-02-20T10:00:00Z', ${GUILD}, 11, 0, 101, 70, 70, 0);
      INSERT INTO message_details_raw VALUES ('2026-03-01T10:01:00Z', ${GUILD}, 11, 0, 101, 30, 1, 2, 0),
                                             ('2026-03-01T10:01:00Z', ${OTHER}, 11, 0, 101, 500, 5, 5, 5);
      INSERT INTO mentions_raw VALUES ('2026-03-01T10:01:00Z', ${GUILD}, 101, 102, 'member', 3), ('2026-03-01T10:01:00Z', ${GUILD}, 101, 7, 'role', 1);
      INSERT INTO guild_channels (guild_id, channel_id, type, parent_id, name, deleted_at) VALUES (${GUILD}, 13, 4, NULL, 'Talk', NULL),
        (${GUILD}, 11, 0, 13, 'general', NULL), (${GUILD}, 12, 11, 11, 'old-thread', '2026-03-02T00:00:00Z'), (${OTHER}, 14, 0, NULL, 'elsewhere', NULL);
      INSERT INTO guild_roles (guild_id, role_id, name, position) VALUES (${GUILD}, ${GUILD}, '@everyone', 0), (${GUILD}, 31, 'Regulars', 2), (${OTHER}, 32, 'Other', 1);
      INSERT INTO member_roles (guild_id, role_id, user_id) VALUES (${GUILD}, 31, 101);
      INSERT INTO guild_members (guild_id, user_id, display_name) VALUES (${GUILD}, 101, 'Ada'), (${GUILD}, 102, 'Grace');
      INSERT INTO guild_names (guild_id, name) VALUES (${GUILD}, 'Chess Club');
      INSERT INTO voice_raw VALUES ('2026-03-01T10:01:00Z', ${GUILD}, 21, 101, 60, 10, 0, 30, 0);
      INSERT INTO emojis_raw VALUES ('2026-03-01T10:01:00Z', ${GUILD}, 101, '🎉', 'message', 2),
                                    ('2026-03-01T11:01:00Z', ${GUILD}, 102, '123456789', 'reaction', 1);
      INSERT INTO app_commands_raw VALUES ('2026-03-01T10:01:00Z', ${GUILD}, 11, 101, 555, 'stats server', 4);
      INSERT INTO activities_raw VALUES ('2026-03-01T10:01:00Z', ${GUILD}, 101, 'Minecraft', 600);
      INSERT INTO member_events VALUES
        ('2026-03-01T09:00:00Z', ${GUILD}, 201, 'join', 101, 'abc', 'invite', '2020-01-01', false),
        ('2026-03-01T09:30:00Z', ${GUILD}, 202, 'join', NULL, NULL, 'vanity', '2026-02-28', false),
        ('2026-03-02T09:00:00Z', ${GUILD}, 201, 'leave', NULL, NULL, NULL, '2020-01-01', false);
      INSERT INTO ingest_ledger (batch_id, family, partition, rows, loaded_at) VALUES ('b1', 'messages', 0, 3, '2026-03-01T10:05:00Z');
    `);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  const sqlTargets = [...dashboards].flatMap(([name, d]) =>
    allTargets(d)
      .filter(({ target }) => target.rawSql !== undefined)
      .map(({ panel, target }) => ({ name, panel, target })),
  );

  it('has SQL panels on every family', () => {
    const sql = sqlTargets.map((t) => t.target.rawSql!).join('\n');
    for (const table of [
      'messages_hourly',
      'message_details_hourly',
      'voice_hourly',
      'emojis_hourly',
      'app_commands_hourly',
      'activities_hourly',
      'mentions_hourly',
      'member_events',
    ]) {
      expect(sql).toContain(table);
    }
    expect(sql).not.toMatch(/\b(messages|message_details|voice|emojis|app_commands|activities|mentions)_raw\b/); // rollups only
  });

  for (const interval of [
    { interval: '1h', intervalSeconds: 3600 },
    { interval: '1d', intervalSeconds: 86400 },
  ]) {
    it(`every SQL query runs with $__interval = ${interval.interval} and returns time + values`, async () => {
      const vars = { from, to, guild: GUILD, ...interval };
      for (const { name, panel, target } of sqlTargets) {
        const where = `${name} / ${panel.title} / ${target.refId}`;
        const res = await client.query(expandSql(target.rawSql!, vars)).catch((err: Error) => {
          throw new Error(`${where}: ${err.message}`);
        });
        const cols = res.fields.map((f) => f.name);
        expect(res.rows.length, where).toBeGreaterThan(0);
        if (target.format === 'time_series') {
          expect(cols[0], where).toBe('time');
          expect(cols.length, where).toBeGreaterThan(1);
          for (const row of res.rows as Record<string, unknown>[]) {
            const t = Number(row.time) * 1000;
            expect(t >= from.getTime() - interval.intervalSeconds * 1000 && t < to.getTime(), where).toBe(true);
          }
        } else {
          expect(target.format, where).toBe('table');
          expect(cols.length, where).toBeGreaterThan(0);
        }
      }
    });
  }

  it('counts only the selected guild and range (messages panel sums match the rows inserted)', async () => {
    const server = dashboards.get('server.json')!;
    const messages = allPanels(server).find((p) => p.title === 'Messages' && p.type === 'timeseries')!;
    const res = await client.query(
      expandSql(messages.targets![0]!.rawSql!, { from, to, guild: GUILD, interval: '1h', intervalSeconds: 3600 }),
    );
    expect(
      res.rows.map((r: { time: string; messages: string }) => [
        new Date(Number(r.time) * 1000).toISOString(),
        Number(r.messages),
      ]),
    ).toEqual([
      ['2026-03-01T10:00:00.000Z', 5],
      ['2026-03-02T08:00:00.000Z', 4],
    ]);
    // Average length is characters over messages of the same hours: 30 characters in 5 messages at 10:00.
    const length = allPanels(server).find((p) => p.title.startsWith('Average message length'))!;
    const l = await client.query(
      expandSql(length.targets![0]!.rawSql!, { from, to, guild: GUILD, interval: '1h', intervalSeconds: 3600 }),
    );
    expect(l.rows.map((r: { characters_per_message: number | null }) => r.characters_per_message)).toEqual([6, 0]);
    // Names from the structure tables; a deleted channel keeps its last name, marked deleted.
    const channels = allPanels(server).find((p) => p.title === 'Top channels')!;
    const c = await client.query(
      expandSql(channels.targets![0]!.rawSql!, { from, to, guild: GUILD, interval: '1h', intervalSeconds: 3600 }),
    );
    expect(c.rows.map((r: { channel: string; messages: string }) => [r.channel, Number(r.messages)])).toEqual([
      ['general', 7],
      ['old-thread (deleted)', 2],
    ]);
    // The channel (threads included), category and role variables narrow the message panels.
    const series = async (vars: { channel?: string; category?: string; role?: string }) =>
      (
        await client.query(
          expandSql(messages.targets![0]!.rawSql!, {
            from,
            to,
            guild: GUILD,
            interval: '1h',
            intervalSeconds: 3600,
            ...vars,
          }),
        )
      ).rows.map((r: { messages: string }) => Number(r.messages));
    expect(await series({ channel: '11' })).toEqual([5, 4]);
    expect(await series({ channel: '12' })).toEqual([2]);
    expect(await series({ category: '13' })).toEqual([5, 4]);
    expect(await series({ role: '31' })).toEqual([3, 4]);
    const mentioned = allPanels(server).find((p) => p.title === 'Most mentioned members')!;
    const mm = await client.query(
      expandSql(mentioned.targets![0]!.rawSql!, { from, to, guild: GUILD, interval: '1h', intervalSeconds: 3600 }),
    );
    expect(mm.rows.map((r: { member: string; mentions: string }) => [r.member, Number(r.mentions)])).toEqual([
      ['Grace', 3],
    ]);
    const growth = allPanels(dashboards.get('invites.json')!).find((p) => p.title.startsWith('Net growth'))!;
    const g = await client.query(
      expandSql(growth.targets![0]!.rawSql!, { from, to, guild: GUILD, interval: '1d', intervalSeconds: 86400 }),
    );
    expect(g.rows.map((r: { net_growth: string }) => Number(r.net_growth))).toEqual([2, 1]);
  });

  it("the retention panel answers as /retention does (src/stats/retention.ts), in the server's zone", async () => {
    const panel = allPanels(dashboards.get('invites.json')!).find(
      (p) => p.title === 'Activation and retention per week of joining',
    )!;
    const THIRD = '433333333333333333';
    const now = Date.now();
    const at = (daysAgo: number, hours = 0) => new Date(now - daysAgo * 86_400_000 + hours * 3_600_000).toISOString();
    // In a transaction that is rolled back: the other panels' tests see none of it.
    await client.query('BEGIN');
    try {
      await client.query(`INSERT INTO guild_settings (guild_id, time_zone) VALUES (${THIRD}, 'Asia/Kolkata')`);
      const joins = [
        [301, 120],
        [302, 100],
        [303, 45],
        [304, 40],
        [305, 10],
        [306, 3],
      ] as const;
      for (const [user, age] of joins) {
        await client.query(
          `INSERT INTO member_events VALUES ($1, ${THIRD}, $2, 'join', NULL, NULL, 'vanity', '2020-01-01', false)`,
          [at(age), user],
        );
      }
      // 301 speaks at once and at day 31 and 92; 302 joins voice on day 8; 303 speaks on day 2; 305 on day 1.
      for (const [user, age, hours] of [
        [301, 120, 1],
        [301, 89, 0],
        [301, 28, 0],
        [303, 43, 2],
        [305, 9, 3],
      ] as const) {
        await client.query(`INSERT INTO messages_raw VALUES ($1, ${THIRD}, 11, 0, $2, 1, 1, 0)`, [
          at(age, hours),
          user,
        ]);
      }
      await client.query(`INSERT INTO voice_raw VALUES ($1, ${THIRD}, 21, 302, 60, 0, 0, 0, 0)`, [at(92)]);
      const from = new Date(now - 365 * 86_400_000);
      const to = new Date(now);
      const res = await client.query(
        expandSql(panel.targets![0]!.rawSql!, { from, to, guild: THIRD, interval: '1d', intervalSeconds: 86400 }),
      );
      const expected = await retention(client, { guildId: THIRD, from, to, timeZone: 'Asia/Kolkata' }, to);
      const pct = (r: { n: number; of: number }) => (r.of === 0 ? null : String(Math.round((100 * r.n) / r.of)));
      expect(
        res.rows.map((r: Record<string, string | null>) =>
          Object.values(r).map((v) => (v === null ? null : String(v))),
        ),
      ).toEqual(expected.byWeek.map((w) => [w.week, String(w.joins), ...RETENTION_MEASURES.map((m) => pct(w[m]))]));
      expect(expected.total.active90).toEqual({ n: 1, of: 2 });
      expect(expected.total.first7).toEqual({ n: 3, of: 5 });
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('the $guild variable query lists the guilds with data in the range, by name where it is known', async () => {
    for (const d of dashboards.values()) {
      for (const v of d.templating.list.filter((x) => x.name === 'guild')) {
        const res = await client.query(
          expandSql(v.query!, { from, to, guild: GUILD, interval: '1h', intervalSeconds: 3600 }),
        );
        expect(res.rows.map((r: { __value: string; __text: string }) => [r.__value, r.__text])).toEqual([
          [GUILD, `Chess Club (${GUILD})`],
          [OTHER, OTHER],
        ]);
      }
    }
    // The server dashboard's channel, category and role variables: this guild's, by name, a deleted channel marked.
    const vars = new Map(dashboards.get('server.json')!.templating.list.map((v) => [v.name, v.query!]));
    expect([...vars.keys()]).toEqual(['guild', 'category', 'channel', 'role']);
    const options = async (name: string) =>
      (
        await client.query(
          expandSql(vars.get(name)!, { from, to, guild: GUILD, interval: '1h', intervalSeconds: 3600 }),
        )
      ).rows.map((r: { __value: string; __text: string }) => [r.__value, r.__text]);
    expect(await options('category')).toEqual([['13', 'Talk']]);
    expect(await options('channel')).toEqual([
      ['11', '#general'],
      ['12', '#old-thread (deleted)'],
    ]);
    expect(await options('role')).toEqual([['31', '@Regulars']]);
    // Every dashboard but the health one is per guild.
    expect([...dashboards.values()].filter((d) => d.templating.list.length === 0).map((d) => d.uid)).toEqual([
      'stats-health',
    ]);
  });
});
