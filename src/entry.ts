// Resolves a sibling entry point whether we run from TypeScript source (tsx, vitest) or from the
// compiled JavaScript in dist/: child processes and worker threads started from source need tsx loaded.
import { fileURLToPath } from 'node:url';

export function entryPoint(relative: string, base: string): { file: string; execArgv: string[] } {
  const fromSource = base.endsWith('.ts');
  const url = new URL(fromSource ? relative : relative.replace(/\.ts$/, '.js'), base);
  return { file: fileURLToPath(url), execArgv: fromSource ? ['--import', 'tsx'] : [] };
}
