// Counting rules of the collectors (and backfill). The simulator's ground truth counts by rules of its own,
// so a bug here fails an end-to-end test instead of grading itself.

/** Words of a message: runs of non-whitespace. */
export function countWords(content: string): number {
  let n = 0;
  let inWord = false;
  // By UTF-16 unit: every character \s matches is in the BMP, and both halves of a surrogate pair are
  // word characters, so this counts what a per-code-point /\s/u test counts, without a string per character.
  for (let i = 0; i < content.length; i++) {
    const ws = isSpace(content.charCodeAt(i));
    if (!ws && !inWord) n++;
    inWord = !ws;
  }
  return n;
}

/** What /\s/u matches (ECMAScript WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Length of a message: Unicode code points (what the Python bot's len() gave), so an emoji or a letter
 * outside the BMP is one character, not two UTF-16 units. A low surrogate after a high one is the second
 * half of one code point.
 */
export function countCharacters(content: string): number {
  let n = content.length;
  for (let i = 1; i < content.length; i++) {
    const c = content.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const p = content.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}
