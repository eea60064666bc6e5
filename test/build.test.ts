// What ships: `npm run build` (tsconfig.build.json) compiles src/ and nothing else, and what it emits
// loads only production dependencies; the Dockerfile's runtime image holds that output, sql/ and
// production dependencies, never the simulator package, dev/, test/ or bench/.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

/** Bare specifiers a JavaScript module imports (static, dynamic, re-exports), as TypeScript's scanner reads them. */
function bareImports(js: string): string[] {
  const specs = ts.preProcessFile(js, true, true).importedFiles.map((f) => f.fileName);
  return specs.filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}
const packageName = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);

describe('npm run build', () => {
  let out: string;
  let emitted: string[];

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'stats-build-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root });
    emitted = await files(out);
  }, 120_000);
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('compiles every module of src/ and nothing from outside it', async () => {
    expect(emitted.length).toBeGreaterThan(0);
    expect(emitted.filter((f) => !f.startsWith(`src/`))).toEqual([]);
    const sources = (await files(join(root, 'src'))).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    for (const s of sources) expect(emitted).toContain(`src/${s.replace(/\.ts$/, '.js')}`);
  });

  it('emits code that loads only Node and production dependencies (no simulator, no dev dependency)', async () => {
    const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const offending: string[] = [];
    const seen = new Set<string>();
    for (const f of emitted.filter((x) => x.endsWith('.js'))) {
      for (const s of bareImports(await readFile(join(out, f), 'utf8'))) {
        if (node.has(s) || node.has(s.split('/')[0]!)) continue;
        seen.add(packageName(s));
        if (!(packageName(s) in pkg.dependencies)) offending.push(`${f}: ${s}`);
      }
    }
    expect(offending).toEqual([]);
    for (const used of ['discord.js', 'ioredis', 'pg']) expect(seen).toContain(used); // the scan does find imports
    expect(pkg.dependencies['discord-sim']).toBeUndefined();
    expect(pkg.devDependencies['discord-sim']).toBeDefined();
  });

  it('contains every entry point the image runs', () => {
    expect(emitted).toContain('src/cluster/main.js');
    expect(emitted).toContain('src/ingest/main.js');
    expect(emitted).toContain('src/db/migrate-cli.js');
    expect(emitted).toContain('src/web/main.js');
  });
});

describe('Dockerfile', () => {
  interface Stage {
    name: string;
    copies: string[];
    runs: string[];
  }
  let stages: Stage[];

  beforeAll(async () => {
    const text = (await readFile(join(root, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
    stages = [];
    for (const line of text.split('\n').map((l) => l.trim())) {
      const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
      if (from) stages.push({ name: from[1] ?? `stage${stages.length}`, copies: [], runs: [] });
      else if (/^COPY\s/i.test(line)) stages.at(-1)!.copies.push(line.replace(/^COPY\s+/i, ''));
      else if (/^RUN\s/i.test(line)) stages.at(-1)!.runs.push(line.replace(/^RUN\s+/i, ''));
    }
  });

  /** The sources of a COPY (all but its destination), with --from=stage kept as a prefix. */
  const sources = (copy: string): string[] => {
    const words = copy.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='));
    return words
      .filter((w) => !w.startsWith('--'))
      .slice(0, -1)
      .map((s) => (from ? `${from.slice(7)}:${s}` : s));
  };

  it('copies no development code into any stage', () => {
    const all = stages.flatMap((s) => s.copies.flatMap(sources));
    for (const s of all) expect(s, `COPY ${s}`).not.toMatch(/^(\.|\.\/|dev|test|bench|packages|docs)(\/|$)/);
  });

  it('builds the image from the production build, sql/ and production dependencies only', () => {
    const runtime = stages.at(-1)!;
    expect(runtime.copies.flatMap(sources).sort()).toEqual(
      ['build:/app/dist/src', 'build:/app/dist/web', 'package-lock.json', 'package.json', 'sql'].sort(),
    );
    expect(runtime.runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    const build = stages.find((s) => s.name === 'build')!;
    expect(build.runs.some((r) => /npm run build/.test(r))).toBe(true);
    expect(build.copies.flatMap(sources).sort()).toEqual(
      ['package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json', 'web'].sort(),
    );
  });
});
