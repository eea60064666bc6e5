// The dashboard's front end (this folder): TypeScript and CSS bundled by esbuild, ECharts tree-shaken to the
// charts the pages draw. One set of options for both uses: `npm run build` writes dist/web (what production
// serves, so the image needs no esbuild), and the development harness bundles in memory so nothing stale is
// served.
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import type { FrontEnd } from '../src/web/frontend.js';
import { frontEndOf } from '../src/web/frontend.js';

const WEB = fileURLToPath(new URL('./', import.meta.url));

const options: BuildOptions = {
  entryPoints: { app: `${WEB}main.ts` },
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  logLevel: 'silent',
  loader: { '.css': 'css' },
};

/** The bundle in memory, served as the production service serves dist/web. */
export async function bundledFrontEnd(): Promise<FrontEnd> {
  const out = await build({ ...options, write: false, outdir: '/assets' });
  return frontEndOf(new Map(out.outputFiles.map((f) => [f.path.split('/').pop()!, Buffer.from(f.contents)])));
}

// `tsx web/bundle.ts OUTDIR` (npm run build): write the bundle where the compiled service reads it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = process.argv[2] ?? 'dist/web';
  await build({ ...options, outdir });
  console.log(`front end bundled into ${outdir}`);
}
