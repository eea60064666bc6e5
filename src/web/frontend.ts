// The front end (web/) as the service serves it: the page shell and the bundled assets. `npm run build`
// bundles web/ into dist/web (web/bundle.ts, esbuild), so production reads finished files and carries
// no bundler; the development harness hands over the same bundle made in memory. The page shell is static
// HTML: no inline script or style, so the CSP can forbid both.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface FrontEnd {
  html: string;
  assets(): Promise<Map<string, { type: string; body: Buffer }>>;
}

const PAGE_HTML = `<!doctype html>
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

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** A front end from bundled files by name (app.js, app.css). */
export function frontEndOf(files: Map<string, Buffer>): FrontEnd {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const [name, body] of files) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { type, body });
  }
  if (!assets.has('app.js')) throw new Error('the front-end bundle has no app.js');
  return { html: PAGE_HTML, assets: async () => assets };
}

/** The bundle `npm run build` wrote (dist/web); a missing one fails the start, not the first visit. */
export async function prebuiltFrontEnd(dir: string): Promise<FrontEnd> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new Error(`front-end bundle not found in ${dir}: run npm run build`);
  }
  return frontEndOf(
    new Map(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n))] as const))),
  );
}
