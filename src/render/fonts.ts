// Fonts come from the dejavu-fonts-ttf npm package, never from the host: a container may have no fonts at
// all (text then silently draws nothing), and host fonts differ between machines, which would break
// byte-identical output. The files are registered under our own family name so that a system font of
// the same name can never be picked instead.
import { createRequire } from 'node:module';
import path from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family our DejaVu Sans files are registered under. */
export const FONT_FAMILY = 'Stats Sans';

/**
 * The stack every chart uses. DejaVu covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic
 * and many symbols; anything it lacks (emoji, CJK) falls through to whatever the host offers for
 * `sans-serif` rather than to a blank box. Ship a font package for those scripts and register it here
 * (between the two) to make them deterministic too.
 */
export const FONT_STACK = `"${FONT_FAMILY}", sans-serif`;

const FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'] as const;

let registered = false;

/**
 * Registers the chart fonts; throws if a file is missing. The native registry is process-wide, but each
 * worker calls this on start so no thread depends on another having done it first (registering the
 * same files again does not add faces).
 */
export function registerFonts(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  for (const file of FILES) {
    // registerFromPath returns null when the file cannot be read or parsed.
    if (!GlobalFonts.registerFromPath(path.join(dir, file), FONT_FAMILY)) {
      throw new Error(`could not register font ${file} from ${dir}`);
    }
  }
  registered = true;
}

/** A CSS font shorthand for the chart stack. */
export function font(sizePx: number, weight: 'normal' | 'bold' = 'normal'): string {
  return `${weight === 'bold' ? 'bold ' : ''}${sizePx}px ${FONT_STACK}`;
}
