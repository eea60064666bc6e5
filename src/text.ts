// Counting rules of the collectors (and backfill). The simulator's ground truth counts by rules of its own,
// so a bug here fails an end-to-end test instead of grading itself.

/** Words of a message: runs of non-whitespace. */
export function countWords(content: string): number {
  let n = 0;
  let inWord = false;
  for (const ch of content) {
    const ws = /\s/u.test(ch);
    if (!ws && !inWord) n++;
    inWord = !ws;
  }
  return n;
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
