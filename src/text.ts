// Counting rules shared by the collectors and the simulator's ground truth, so both count the same way.

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
