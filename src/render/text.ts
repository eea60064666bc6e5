// Text that mixes emoji with other scripts. Skia falls back per glyph through the font list, but DejaVu
// (first in the list) has monochrome glyphs for many emoji (😂, ☀, ♥...), so those would never reach
// the colour font. Emoji clusters (found with emoji-regex, so ZWJ families, flags, skin tones and
// keycaps stay whole) are therefore drawn with the emoji family first, and everything else with the
// normal stack. Plain strings take the fast path: one native fillText.
import emojiRegex from 'emoji-regex';
import { EMOJI_STACK, FONT_STACK } from './fonts.js';
import type { Ctx } from './layout.js';

interface Segment {
  text: string;
  emoji: boolean;
}

const EMOJI = emojiRegex();

/** Splits `text` into emoji and non-emoji runs; null when there is no emoji at all. */
export function emojiSegments(text: string): Segment[] | null {
  EMOJI.lastIndex = 0;
  let m: RegExpExecArray | null;
  const out: Segment[] = [];
  let at = 0;
  while ((m = EMOJI.exec(text)) !== null) {
    if (m.index > at) out.push({ text: text.slice(at, m.index), emoji: false });
    const last = out[out.length - 1];
    if (last?.emoji) last.text += m[0];
    else out.push({ text: m[0], emoji: true });
    at = m.index + m[0].length;
  }
  if (out.length === 0) return null;
  if (at < text.length) out.push({ text: text.slice(at), emoji: false });
  return out;
}

function withFont<T>(ctx: Ctx, emoji: boolean, f: () => T): T {
  if (!emoji) return f();
  const base = ctx.font;
  ctx.font = base.replace(FONT_STACK, EMOJI_STACK);
  try {
    return f();
  } finally {
    ctx.font = base;
  }
}

/** Width of `text` in the current font, emoji measured in the emoji font. */
export function textWidth(ctx: Ctx, text: string): number {
  const segs = emojiSegments(text);
  if (!segs) return ctx.measureText(text).width;
  let w = 0;
  for (const seg of segs) w += withFont(ctx, seg.emoji, () => ctx.measureText(seg.text).width);
  return w;
}

/** ctx.fillText that draws emoji in colour; honours ctx.textAlign (left/right/center/start/end). */
export function drawText(ctx: Ctx, text: string, x: number, y: number): void {
  const segs = emojiSegments(text);
  if (!segs) {
    ctx.fillText(text, x, y);
    return;
  }
  const align = ctx.textAlign;
  const total = textWidth(ctx, text);
  let cx = align === 'right' || align === 'end' ? x - total : align === 'center' ? x - total / 2 : x;
  ctx.textAlign = 'left';
  try {
    for (const seg of segs) {
      withFont(ctx, seg.emoji, () => {
        ctx.fillText(seg.text, cx, y);
        cx += ctx.measureText(seg.text).width;
      });
    }
  } finally {
    ctx.textAlign = align;
  }
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * `text` cut with an ellipsis to fit `maxWidth` with the current font. Cuts fall between grapheme
 * clusters, so a family emoji or a flag is never split into its parts. Binary search on the length.
 */
export function fitText(ctx: Ctx, text: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  if (textWidth(ctx, text) <= maxWidth) return text;
  const parts = Array.from(graphemes.segment(text), (g) => g.segment);
  let lo = 0;
  let hi = parts.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(ctx, parts.slice(0, mid).join('').trimEnd() + '…') <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : parts.slice(0, lo).join('').trimEnd() + '…';
}
