// The front end (web/): TypeScript and CSS bundled by esbuild when the service starts, in memory, so there
// is no build step to forget and nothing stale is served. ECharts is tree-shaken to the charts the pages
// draw. The page shell is static HTML: no inline script or style, so the CSP can forbid both.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface FrontEnd {
  html: string;
  assets(): Promise<Map<string, { type: string; body: Buffer }>>;
}

/** web/ from src/web (tsx) or dist/src/web (compiled). */
function webDir(): string {
  for (const rel of ['../../web/', '../../../web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}main.ts`)) return dir;
  }
  throw new Error('front-end sources (web/main.ts) not found');
}

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Server statistics</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app">Loading…</div></body>
</html>
`;

export function frontEnd(): FrontEnd {
  let bundle: Promise<Map<string, { type: string; body: Buffer }>> | undefined;
  return {
    html: HTML,
    assets() {
      bundle ??= (async () => {
        const dir = webDir();
        const out = await build({
          entryPoints: { app: `${dir}main.ts` },
          bundle: true,
          format: 'esm',
          minify: true,
          target: 'es2022',
          write: false,
          outdir: '/assets',
          logLevel: 'silent',
          loader: { '.css': 'css' },
        });
        const files = new Map<string, { type: string; body: Buffer }>();
        for (const f of out.outputFiles) {
          const name = f.path.split('/').pop()!;
          files.set(name, { type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', body: Buffer.from(f.contents) });
        }
        return files;
      })();
      bundle.catch(() => (bundle = undefined));
      return bundle;
    },
  };
}
