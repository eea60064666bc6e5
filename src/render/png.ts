// PNG encoding for charts: an indexed (PNG-8) image whenever the chart's colours allow it.
//
// Skia's own PNG encoder writes 32-bit RGBA with zlib at its default effort, which costs far more
// than drawing the chart. A chart is a few flat colours plus the anti-aliased edges between them, so
// one byte per pixel indexing a palette holds it, and deflate then works on a quarter of the data:
//
// 1. One pass over the pixels in runs of equal colour: the distinct colours, how many pixels each has
//    and how many of those belong to fills, gradients and straight lines (isStructure), and the runs
//    (written out at the end with fill()).
// 2. At most 256 colours: they are the palette, and the PNG is lossless.
// 3. More (anti-aliasing against gradients and other colours makes thousands): a palette that covers
//    every colour within a tolerance. Colours are taken most frequent first, and a colour becomes an
//    entry only if no entry is within its tolerance yet; then every colour is drawn with its nearest
//    entry within its tolerance. The tolerance depends on what the colour is (see Tolerance): fills
//    and gradients stay within one level, so no band appears in them; the shades on the edges of text
//    and lines, which are most of the colours and most of the bytes, may move further. No dithering,
//    so text and lines get no noise. If 256 entries cannot cover the colours (a photo-like image) or
//    the image has both transparency and many colours, the caller gets null and encodes losslessly.
//
// Everything is a pure function of the pixels (ties go to the colour seen first), so the same chart
// gives the same bytes.
import zlib from 'node:zlib';

/**
 * How far (levels per channel) a colour may move, by what it is. Fills and gradients need the tight
 * bound: a step in a flat area is visible. Edge shades sit between two colours for one pixel, and
 * moving them a few levels changes nothing the eye can see, while it lets many share one entry.
 */
export interface Tolerance {
  /** A colour with at least this many pixels in fills, gradients or straight lines (isStructure),
   * and that for most of its pixels... */
  fillPixels: number;
  /** ...and is drawn within this many levels. */
  fillError: number;
  /** Any other colour with at least this many pixels... */
  commonPixels: number;
  /** ...within this many levels. */
  commonError: number;
  /** The rest, the rare shades on edges, within this many. */
  edgeError: number;
}

/**
 * Chosen by measurement on our charts (README, "Benchmarks"): fills and gradients within 1 level,
 * common edge shades within 12, rare ones within 16 (6 %). No pixel moves more than 16 levels, and
 * under 1 % of a chart's pixels more than 8.
 */
export const DEFAULT_TOLERANCE: Tolerance = {
  fillPixels: 4,
  fillError: 1,
  commonPixels: 64,
  commonError: 12,
  edgeError: 16,
};

/** The furthest any pixel of a default-encoded PNG is from the drawing, in levels per channel. */
export const MAX_ERROR = Math.max(
  DEFAULT_TOLERANCE.fillError,
  DEFAULT_TOLERANCE.commonError,
  DEFAULT_TOLERANCE.edgeError,
);

export interface IndexedPngOptions {
  tolerance?: Tolerance;
  /** zlib level of the image data; default by how busy the image is. */
  level?: number;
}

/**
 * zlib levels, chosen by measurement on our 1200x600 charts. Calm ones (bars, heatmap, donut: a run
 * every 25-40 pixels) take 3 ms at 7 and are 20-35 % larger at 2. Busy ones (a line chart's crossing
 * edges: a run every 5 pixels) take 14 ms at 7, 4 ms at 4 and 2.7 ms at 2, for 0.28, 0.30 and 0.33 of
 * Chart.js's bytes.
 */
const CALM_LEVEL = 7;
const BUSY_LEVEL = 2;
/** A chart with more runs than pixels / BUSY_RUNS is busy. */
const BUSY_RUNS = 10;
/** More distinct colours than this is not a chart: not worth indexing (and ids stay 16-bit). */
const MAX_DISTINCT = 65_535;
/** A run of this many equal pixels across, or LINE_DOWN down, is a line or the edge of a fill, not of text. */
const LINE_RUN = 8;
const LINE_DOWN = 16;
/** Neighbours this close (levels, every byte) continue a gradient rather than make an edge. */
const NEAR = 4;
/** Runs shorter than this are written in a loop; longer ones with fill(). */
const SHORT_RUN = 16;

/** Whether two pixels differ by at most NEAR in every byte (the byte order does not matter). */
function near(a: number, b: number): boolean {
  let d = (a & 255) - (b & 255);
  if (d > NEAR || d < -NEAR) return false;
  d = ((a >>> 8) & 255) - ((b >>> 8) & 255);
  if (d > NEAR || d < -NEAR) return false;
  d = ((a >>> 16) & 255) - ((b >>> 16) & 255);
  if (d > NEAR || d < -NEAR) return false;
  d = (a >>> 24) - (b >>> 24);
  return d <= NEAR && d >= -NEAR;
}

interface Scan {
  /** Distinct colours. */
  n: number;
  /** Pixels per colour. */
  counts: Uint32Array;
  /** Pixels per colour that belong to a fill, a gradient or a straight line (see isStructure). */
  structure: Uint32Array;
  /** Index of the first pixel of each colour (its 4 bytes are the colour, in any byte order). */
  first: Uint32Array;
  /** Runs of equal pixels in order, as colour and length; a run never crosses a row. */
  runIds: Uint16Array;
  runLengths: Uint16Array;
  runs: number;
}

function grow<T extends Uint16Array | Uint32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * Whether pixel i (colour v, not in a run of LINE_RUN across) is part of a fill or gradient (left and
 * upper neighbours equal or near; `leftEqual` when it continues a run) or of a line down (LINE_DOWN
 * equal pixels in its column). Fills, gradients along either axis, grid lines and the straight edges
 * of bars and cells are made of such pixels; the shades on the edges of text and curves are not.
 */
function isStructure(
  px: Uint32Array,
  width: number,
  i: number,
  x: number,
  v: number,
  leftEqual: boolean,
  lineAt: Int32Array,
): boolean {
  const up = i >= width ? (px[i - width] as number) : -1; // -1: equal to no pixel
  if (up !== -1 && (leftEqual || (x > 0 && near(v, px[i - 1] as number))) && (up === v || near(v, up))) return true;
  // The pixel above was found on a line down and this one continues it.
  if (up === v && lineAt[x] === i - width) {
    lineAt[x] = i;
    return true;
  }
  // A run of LINE_DOWN equal pixels through this one reaches half that far up or down.
  const reach = (LINE_DOWN / 2) * width;
  const last = px.length - 1;
  if ((i < reach || px[i - reach] !== v) && (i + reach > last || px[i + reach] !== v)) return false;
  let down = 1;
  if (up === v) for (let j = i - width; j >= 0 && down < LINE_DOWN && px[j] === v; j -= width) down++;
  for (let j = i + width; j <= last && down < LINE_DOWN && px[j] === v; j += width) down++;
  if (down < LINE_DOWN) return false;
  lineAt[x] = i;
  return true;
}

/** One pass over the pixels in runs: distinct colours, their counts and structure; null beyond MAX_DISTINCT colours. */
function scan(px: Uint32Array, width: number): Scan | null {
  // Open addressing on the 32-bit pixel value: multiplicative hash, linear probing, at most half full.
  // Slot h holds the colour at 2h and its id + 1 at 2h + 1 (0: empty), side by side in memory.
  let bits = 12;
  let table = new Int32Array(2 << bits);
  let counts = new Uint32Array(1024);
  let structure = new Uint32Array(1024);
  let first = new Uint32Array(1024);
  let runIds = new Uint16Array(px.length >> 4);
  let runLengths = new Uint16Array(px.length >> 4);
  // Per column, the last pixel found on a line down (so the pixels below it need no second search).
  const lineAt = new Int32Array(width).fill(-1);
  let n = 0;
  let runs = 0;
  for (let row = 0; row < px.length; row += width) {
    const rowEnd = row + width;
    for (let i = row; i < rowEnd;) {
      const v = px[i] as number;
      let j = i + 1;
      while (j < rowEnd && px[j] === v) j++;

      const key = v | 0;
      let h = Math.imul(v, 0x9e3779b1) >>> (32 - bits);
      let id = (table[2 * h + 1] as number) - 1;
      while (id !== -1 && table[2 * h] !== key) {
        h = (h + 1) & ((1 << bits) - 1);
        id = (table[2 * h + 1] as number) - 1;
      }
      if (id === -1) {
        if (n === MAX_DISTINCT) return null;
        id = n++;
        if (id === counts.length) {
          counts = grow(counts, id * 2);
          structure = grow(structure, id * 2);
          first = grow(first, id * 2);
        }
        first[id] = i;
        table[2 * h] = key;
        table[2 * h + 1] = id + 1;
        if (n * 2 > 1 << bits) {
          const old = table;
          bits++;
          table = new Int32Array(2 << bits);
          for (let k = 0; k < old.length; k += 2) {
            if (old[k + 1] === 0) continue;
            let g = Math.imul(old[k] as number, 0x9e3779b1) >>> (32 - bits);
            while (table[2 * g + 1] !== 0) g = (g + 1) & ((1 << bits) - 1);
            table[2 * g] = old[k] as number;
            table[2 * g + 1] = old[k + 1] as number;
          }
        }
      }

      const len = j - i;
      counts[id] = (counts[id] as number) + len;
      if (len >= LINE_RUN) structure[id] = (structure[id] as number) + len;
      else
        for (let k = i; k < j; k++)
          if (isStructure(px, width, k, k - row, v, k > i, lineAt)) structure[id] = (structure[id] as number) + 1;
      if (runs === runIds.length) {
        runIds = grow(runIds, runs * 2);
        runLengths = grow(runLengths, runs * 2);
      }
      runIds[runs] = id;
      runLengths[runs++] = len;
      i = j;
    }
  }
  return {
    n,
    counts: counts.subarray(0, n),
    structure: structure.subarray(0, n),
    first: first.subarray(0, n),
    runIds,
    runLengths,
    runs,
  };
}

/**
 * A palette of at most 256 entries within every colour's tolerance, or null. `rgb` holds 3 bytes per
 * distinct colour. Returns the entries (as distinct-colour ids) and the entry of every colour.
 */
function coverPalette(rgb: Uint8Array, s: Scan, tol: Tolerance): { entries: number[]; map: Uint8Array } | null {
  const { n, counts, structure } = s;
  const limit = new Uint8Array(n);
  for (let c = 0; c < n; c++) {
    const st = structure[c] as number;
    const count = counts[c] as number;
    limit[c] =
      st >= tol.fillPixels && st * 2 >= count
        ? tol.fillError
        : count >= tol.commonPixels
          ? tol.commonError
          : tol.edgeError;
  }
  // Most frequent first, ties to the colour seen first (lower id): one native sort of numeric keys.
  const keys = new Float64Array(n);
  for (let c = 0; c < n; c++) keys[c] = (2 ** 24 - (counts[c] as number)) * 65_536 + c;
  keys.sort();

  // Entries sit in a grid of cells of side (widest tolerance + 1), so the entries within tolerance of
  // a colour are in its cell or a neighbouring one.
  const side = Math.max(tol.fillError, tol.commonError, tol.edgeError) + 1;
  const dim = Math.ceil(256 / side);
  const cellOf = (c: number): number =>
    ((((rgb[c * 3] as number) / side) | 0) * dim + (((rgb[c * 3 + 1] as number) / side) | 0)) * dim +
    (((rgb[c * 3 + 2] as number) / side) | 0);
  const head = new Int16Array(dim * dim * dim).fill(-1);
  const next = new Int16Array(256);
  const entries: number[] = [];

  /** The entry nearest to colour c (Euclidean) among those within its tolerance; -1 if none. */
  const nearest = (c: number): number => {
    const r = rgb[c * 3] as number;
    const g = rgb[c * 3 + 1] as number;
    const b = rgb[c * 3 + 2] as number;
    const t = limit[c] as number;
    let best = -1;
    let bestD = Infinity;
    // Only the cells that overlap the cube of side 2t around the colour.
    for (let x = (Math.max(0, r - t) / side) | 0, x1 = (Math.min(255, r + t) / side) | 0; x <= x1; x++) {
      for (let y = (Math.max(0, g - t) / side) | 0, y1 = (Math.min(255, g + t) / side) | 0; y <= y1; y++) {
        for (let z = (Math.max(0, b - t) / side) | 0, z1 = (Math.min(255, b + t) / side) | 0; z <= z1; z++) {
          for (let e = head[(x * dim + y) * dim + z] as number; e !== -1; e = next[e] as number) {
            const p = (entries[e] as number) * 3;
            const dr = r - (rgb[p] as number);
            const dg = g - (rgb[p + 1] as number);
            const db = b - (rgb[p + 2] as number);
            if (dr > t || dr < -t || dg > t || dg < -t || db > t || db < -t) continue;
            const d = dr * dr + dg * dg + db * db;
            if (d < bestD) {
              bestD = d;
              best = e;
            }
          }
        }
      }
    }
    return best;
  };

  const map = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const c = (keys[k] as number) % 65_536;
    const found = nearest(c);
    if (found !== -1) {
      map[c] = found;
      continue;
    }
    if (entries.length === 256) return null;
    const e = entries.length;
    entries.push(c);
    const cell = cellOf(c);
    next[e] = head[cell] as number;
    head[cell] = e;
    map[c] = e;
  }
  return { entries, map };
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * `rgba`: premultiplied RGBA bytes of a `width` × `height` image (what Canvas#data() returns).
 * Returns a PNG-8, or null when the image cannot be indexed within the tolerance (then encode it
 * losslessly another way).
 */
export function encodeIndexedPng(
  rgba: Uint8Array,
  width: number,
  height: number,
  opts: IndexedPngOptions = {},
): Buffer | null {
  if (rgba.length !== width * height * 4)
    throw new RangeError(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  if (width > 65_535) return null; // run lengths are 16-bit; charts are at most 4096 wide
  const aligned = rgba.byteOffset % 4 === 0 ? rgba : rgba.slice();
  const px = new Uint32Array(aligned.buffer, aligned.byteOffset, width * height);
  const s = scan(px, width);
  if (!s) return null;
  const { n, first } = s;

  let opaque = true;
  const rgb = new Uint8Array(n * 3);
  const alpha = new Uint8Array(n);
  for (let c = 0; c < n; c++) {
    const o = (first[c] as number) * 4;
    const a = rgba[o + 3] as number;
    alpha[c] = a;
    if (a !== 255) opaque = false;
    // Unpremultiply: a no-op for opaque pixels, which is every pixel of a chart.
    for (let k = 0; k < 3; k++) {
      const v = rgba[o + k] as number;
      rgb[c * 3 + k] = a === 255 || a === 0 ? v : Math.min(255, Math.round((v * 255) / a));
    }
  }

  let entries: number[];
  let map: Uint8Array;
  if (n <= 256) {
    entries = Array.from({ length: n }, (_, c) => c);
    map = Uint8Array.from(entries);
  } else {
    // A tolerance for translucent colours would need one on alpha too; charts are opaque.
    if (!opaque) return null;
    const found = coverPalette(rgb, s, opts.tolerance ?? DEFAULT_TOLERANCE);
    if (!found) return null;
    ({ entries, map } = found);
  }

  // Filter type None on every row. Measured on palette indices: Sub, Up and Paeth made the bar, heatmap
  // and donut 20-35 % larger (Up saved 5 % on the busy line chart), and choosing per row did not pay.
  const raw = Buffer.allocUnsafe((width + 1) * height);
  let o = 0;
  let x = width;
  for (let r = 0; r < s.runs; r++) {
    if (x === width) {
      raw[o++] = 0;
      x = 0;
    }
    const len = s.runLengths[r] as number;
    const index = map[s.runIds[r] as number] as number;
    if (len < SHORT_RUN) {
      for (let k = 0; k < len; k++) raw[o++] = index;
    } else {
      raw.fill(index, o, o + len);
      o += len;
    }
    x += len;
  }

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bits per index
  ihdr[9] = 3; // colour type 3: palette
  const plte = new Uint8Array(entries.length * 3);
  entries.forEach((c, e) => plte.set(rgb.subarray(c * 3, c * 3 + 3), e * 3));
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('PLTE', plte)];
  if (!opaque)
    parts.push(
      chunk(
        'tRNS',
        Uint8Array.from(entries, (c) => alpha[c] as number),
      ),
    );
  const level = opts.level ?? (s.runs * BUSY_RUNS > width * height ? BUSY_LEVEL : CALM_LEVEL);
  parts.push(chunk('IDAT', zlib.deflateSync(raw, { level })));
  parts.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
