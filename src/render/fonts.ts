// Fonts come from npm packages, never from the host: a container may have no fonts at all (text then
// silently draws nothing), and host fonts differ between machines, which would break byte-identical
// output. Each file is registered under our own family name so that a system font of the same name can
// never be picked instead.
//
// Skia (under @napi-rs/canvas) falls back glyph by glyph through the families of the CSS font list, so
// "Stats Sans", "Stats CJK", "Stats Emoji" draws Latin/Cyrillic/Greek from DejaVu, kana/kanji from Noto
// Sans JP and emoji (including ZWJ sequences such as 👨‍👩‍👧 and skin tones) from Noto Color Emoji, whose
// CBDT bitmaps Skia draws in colour. DejaVu has monochrome glyphs for some emoji, so emoji clusters are
// drawn with the emoji family first (text.ts).
import { createRequire } from 'node:module';
import path from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** The family our DejaVu Sans files are registered under. */
export const FONT_FAMILY = 'Stats Sans';
/** Noto Sans JP: kanji, kana and the CJK punctuation DejaVu lacks. */
export const CJK_FAMILY = 'Stats CJK';
/** Noto Color Emoji. */
export const EMOJI_FAMILY = 'Stats Emoji';

/**
 * The stack every chart uses: DejaVu first (Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew, Arabic,
 * many symbols), then Japanese (kana, kanji; most but not all simplified Chinese hanzi), then emoji.
 * Scripts none of them covers (Hangul, Thai, Devanagari...) fall through to the host's `sans-serif`,
 * and draw as a missing-glyph box on a host without such a font. Shipping Noto Sans KR/SC/Thai/
 * Devanagari and registering them here would make those deterministic too.
 */
export const FONT_STACK = `"${FONT_FAMILY}", "${CJK_FAMILY}", "${EMOJI_FAMILY}", sans-serif`;

/** The stack for emoji clusters (see text.ts): the colour font first, the others for anything it lacks. */
export const EMOJI_STACK = `"${EMOJI_FAMILY}", "${FONT_FAMILY}", "${CJK_FAMILY}", sans-serif`;

const FILES: readonly { pkg: string; file: string; family: string }[] = [
  { pkg: 'dejavu-fonts-ttf', file: 'ttf/DejaVuSans.ttf', family: FONT_FAMILY },
  { pkg: 'dejavu-fonts-ttf', file: 'ttf/DejaVuSans-Bold.ttf', family: FONT_FAMILY },
  { pkg: '@expo-google-fonts/noto-sans-jp', file: '400Regular/NotoSansJP_400Regular.ttf', family: CJK_FAMILY },
  { pkg: '@expo-google-fonts/noto-sans-jp', file: '700Bold/NotoSansJP_700Bold.ttf', family: CJK_FAMILY },
  {
    pkg: '@expo-google-fonts/noto-color-emoji',
    file: '400Regular/NotoColorEmoji_400Regular.ttf',
    family: EMOJI_FAMILY,
  },
];

let registered = false;

/**
 * Registers the chart fonts; throws if a file is missing. The native registry is process-wide, but each
 * worker calls this on start so no thread depends on another having done it first (registering the
 * same files again does not add faces).
 */
export function registerFonts(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  for (const { pkg, file, family } of FILES) {
    const full = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
    // registerFromPath returns null when the file cannot be read or parsed.
    if (!GlobalFonts.registerFromPath(full, family)) throw new Error(`could not register font ${full}`);
  }
  registered = true;
}

/** A CSS font shorthand for the chart stack. */
export function font(sizePx: number, weight: 'normal' | 'bold' = 'normal'): string {
  return `${weight === 'bold' ? 'bold ' : ''}${sizePx}px ${FONT_STACK}`;
}
