/**
 * The default image embedder: a classical, hand-made visual descriptor, not a learned model. It compares
 * pictures with pictures — same colours, same colour layout, same fabric texture, same outline — and knows
 * nothing about what is in them, so it has no text tower (`embedText` is absent) and cannot answer "red
 * dress".
 *
 * It is built for catalogue photos: products shot on a white or light studio background. The background is
 * the near-white, low-saturation pixels connected to the border; everything else is the foreground, and
 * every block below is computed on the foreground only, positions relative to its bounding box, so framing
 * and scale matter less.
 *
 * The image is decoded to fit 480 px and halved twice (an octave pyramid: 480, 240, 120 px for a large
 * photo). Blocks, each a histogram, L1-normalised, power-normalised, L2-normalised, then weighted; the whole
 * vector is L2-normalised, so the cosine of two vectors is a fixed weighted mean of the blocks' cosines:
 * - colour: soft CIELab histogram of the foreground (8×8×8 bins), on the quarter-size copy;
 * - layout: three horizontal bands of the foreground's bounding box, a soft hue + grey-level histogram per
 *   band, on the quarter-size copy — where the colours are, top to bottom;
 * - bands: uniform LBP codes (Ojala et al. 2002) at radii 1, 2, 4, 8 in three horizontal bands of the
 *   bounding box, on the half-size copy — texture and edge structure at several scales, top to bottom;
 * - fine: uniform LBP at radius 1 over the whole foreground at full size — the fabric's grain;
 * - shape: signed gradient orientations (18 bins) in a 4×4 grid over the bounding box, each cell
 *   L2-normalised (HOG, Dalal & Triggs 2005), on the half-size copy — outline, seams and panels, whatever
 *   the colour.
 *
 * Every block is mirror-invariant: a photo and its left-right mirror image get the same vector, up to pixel
 * rounding (the layout has no left and right half, LBP codes and their mirror images share bins, mirrored
 * HOG cells are added up). Products are shot facing left or right, and a back view swaps left and right.
 * Texture and shape carry most of the weight on purpose: the colour of a product often differs
 * between its photos (colour variants), its fabric and construction do not. Tuned on the Luma studio photos
 * (`bench/image-recall.ts`); no constant in here knows about Luma beyond "backgrounds are light".
 *
 * Any change to the algorithm or its constants must bump `VERSION`: stored vectors are keyed by it.
 */
import { SoukError, isSoukError } from '../errors.ts';
import { decodeImageToFit, type DecodedImage, type ImageLimits } from './decode-image.ts';
import type { EmbedderId, ImageBytes, ImageEmbedder } from './embedder.ts';
import { normalizeInPlace } from './embedder.ts';

const MODEL = 'fg-lab-layout-lbp-hog';
const VERSION = '2';

/** Images are decoded to fit this many pixels on their longer side before anything else. */
export const VISUAL_DESCRIPTOR_INPUT_SIDE = 480;

/** Background: at least this bright in every channel, and at most this far between channels. */
const BG_MIN = 225;
const BG_MAX_SPREAD = 24;
/** Below this share of foreground the picture has no usable background: describe the whole frame. */
const MIN_FOREGROUND = 0.01;

const LAB_BINS = 8;
/** One column: a grid with a left and a right half would tell a left-facing pose from a right-facing one. */
const LAYOUT_COLS = 1;
const LAYOUT_ROWS = 3;
const LAYOUT_HUES = 8;
const LAYOUT_GREYS = 3;
/** s·v below which a pixel counts as grey; the hue of dark or washed-out pixels is noise. */
const CHROMA_MIN = 0.1;
const BAND_ROWS = 3;
const BAND_RADII = [1, 2, 4, 8] as const;
const FINE_RADII = [1] as const;
const FINE_ROWS = 1;
/** LBP compares a neighbour with the centre plus this margin, so flat areas and JPEG noise read as flat. */
const LBP_MARGIN = 2;
/** Uniform LBP patterns: 58 with at most two 0/1 transitions, plus one bin for all the others. */
const LBP_CODES = 59;
/** Uniform LBP patterns up to mirroring (a pattern and its left-right mirror image share a bin). */
const LBP_MIRROR_CODES = 35;
/** Gradient-orientation grid over the bounding box; mirrored cells are folded, so only half the columns stay. */
const HOG_COLS = 4;
const HOG_ROWS = 4;
/** Signed orientations (dark-to-light differs from light-to-dark), 20° per bin. */
const HOG_BINS = 18;
/** Images decoded ahead of the one being described. */
const PREFETCH = 3;

/** Relative weights of the blocks' cosines in the vector's cosine. */
const WEIGHTS = { colour: 0.5, layout: 0.7, bands: 1, fine: 3, shape: 0.5 };

const BLOCK_DIMS = {
  colour: LAB_BINS ** 3,
  layout: LAYOUT_COLS * LAYOUT_ROWS * (LAYOUT_HUES + LAYOUT_GREYS),
  bands: BAND_ROWS * BAND_RADII.length * LBP_MIRROR_CODES,
  fine: FINE_ROWS * FINE_RADII.length * LBP_MIRROR_CODES,
  shape: HOG_ROWS * (HOG_COLS / 2) * HOG_BINS,
};

export const VISUAL_DESCRIPTOR_DIMS =
  BLOCK_DIMS.colour + BLOCK_DIMS.layout + BLOCK_DIMS.bands + BLOCK_DIMS.fine + BLOCK_DIMS.shape;

interface Foreground {
  /** 1 where the pixel is background. */
  background: Uint8Array;
  /** Bounding box of the foreground, in pixels: first column and row, width and height. */
  x0: number;
  y0: number;
  boxWidth: number;
  boxHeight: number;
}

function boundingBox(background: Uint8Array, width: number, height: number): Foreground {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  let count = 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (background[i]) continue;
      count++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (count < width * height * MIN_FOREGROUND) {
    return { background: new Uint8Array(width * height), x0: 0, y0: 0, boxWidth: width, boxHeight: height };
  }
  return { background, x0, y0, boxWidth: x1 - x0 + 1, boxHeight: y1 - y0 + 1 };
}

/** Background = near-white, low-spread pixels reachable from the border through such pixels. */
function findForeground(image: DecodedImage): Foreground {
  const { width, height, data } = image;
  const n = width * height;
  const candidate = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = data[i * 3]!;
    const g = data[i * 3 + 1]!;
    const b = data[i * 3 + 2]!;
    const min = Math.min(r, g, b);
    if (min >= BG_MIN && Math.max(r, g, b) - min <= BG_MAX_SPREAD) candidate[i] = 1;
  }
  const background = new Uint8Array(n);
  // Breadth-first flood fill; a pixel is marked when queued, so the queue never holds it twice.
  const queue = new Int32Array(n);
  let tail = 0;
  const seed = (i: number): void => {
    if (candidate[i] && !background[i]) {
      background[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  for (let head = 0; head < tail; head++) {
    const i = queue[head]!;
    const x = i % width;
    if (x > 0 && candidate[i - 1] && !background[i - 1]) {
      background[i - 1] = 1;
      queue[tail++] = i - 1;
    }
    if (x < width - 1 && candidate[i + 1] && !background[i + 1]) {
      background[i + 1] = 1;
      queue[tail++] = i + 1;
    }
    if (i >= width && candidate[i - width] && !background[i - width]) {
      background[i - width] = 1;
      queue[tail++] = i - width;
    }
    if (i < n - width && candidate[i + width] && !background[i + width]) {
      background[i + width] = 1;
      queue[tail++] = i + width;
    }
  }
  return boundingBox(background, width, height);
}

/** The foreground of a larger copy of the same picture, read off a smaller copy's mask (nearest pixel). */
function scaleForeground(from: Foreground, fromImage: DecodedImage, to: DecodedImage): Foreground {
  if (fromImage.width === to.width && fromImage.height === to.height) return from;
  const background = new Uint8Array(to.width * to.height);
  const columns = new Int32Array(to.width);
  for (let x = 0; x < to.width; x++) {
    columns[x] = Math.min(fromImage.width - 1, Math.floor(((x + 0.5) * fromImage.width) / to.width));
  }
  for (let y = 0; y < to.height; y++) {
    const sy = Math.min(fromImage.height - 1, Math.floor(((y + 0.5) * fromImage.height) / to.height));
    const source = sy * fromImage.width;
    const target = y * to.width;
    for (let x = 0; x < to.width; x++) background[target + x] = from.background[source + columns[x]!]!;
  }
  const sx = to.width / fromImage.width;
  const sy = to.height / fromImage.height;
  const x0 = Math.floor(from.x0 * sx);
  const y0 = Math.floor(from.y0 * sy);
  return {
    background,
    x0,
    y0,
    boxWidth: Math.min(to.width - x0, Math.ceil(from.boxWidth * sx)),
    boxHeight: Math.min(to.height - y0, Math.ceil(from.boxHeight * sy)),
  };
}

// Soft binning: a value is shared between the two nearest bin centres. Results go to these three
// module-level slots rather than a returned array: this runs for every pixel, and allocation shows.
let binLo = 0;
let binHi = 0;
let binWeight = 1;

function softBin(value: number, bins: number, circular: boolean): void {
  const pos = value * bins - 0.5;
  const lo = Math.floor(pos);
  binWeight = 1 - (pos - lo);
  if (circular) {
    binLo = (lo + bins) % bins;
    binHi = (lo + 1) % bins;
  } else if (lo < 0) {
    binLo = binHi = 0;
    binWeight = 1;
  } else if (lo + 1 >= bins) {
    binLo = binHi = bins - 1;
    binWeight = 1;
  } else {
    binLo = lo;
    binHi = lo + 1;
  }
}

const SRGB_TO_LINEAR = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  SRGB_TO_LINEAR[i] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function labF(t: number): number {
  return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Adds one pixel to a soft CIELab histogram (D65; L in [0, 100], a and b clipped to [-80, 80]). */
function addLab(hist: Float32Array, r8: number, g8: number, b8: number): void {
  const r = SRGB_TO_LINEAR[r8]!;
  const g = SRGB_TO_LINEAR[g8]!;
  const b = SRGB_TO_LINEAR[b8]!;
  const fx = labF((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.9505);
  const fy = labF(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const fz = labF((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.089);
  softBin(clamp01((116 * fy - 16) / 100), LAB_BINS, false);
  const l0 = binLo * LAB_BINS * LAB_BINS;
  const l1 = binHi * LAB_BINS * LAB_BINS;
  const lw = binWeight;
  softBin(clamp01((500 * (fx - fy) + 80) / 160), LAB_BINS, false);
  const a0 = binLo * LAB_BINS;
  const a1 = binHi * LAB_BINS;
  const aw = binWeight;
  softBin(clamp01((200 * (fy - fz) + 80) / 160), LAB_BINS, false);
  const b0 = binLo;
  const b1 = binHi;
  const bw = binWeight;
  hist[l0 + a0 + b0]! += lw * aw * bw;
  hist[l0 + a0 + b1]! += lw * aw * (1 - bw);
  hist[l0 + a1 + b0]! += lw * (1 - aw) * bw;
  hist[l0 + a1 + b1]! += lw * (1 - aw) * (1 - bw);
  hist[l1 + a0 + b0]! += (1 - lw) * aw * bw;
  hist[l1 + a0 + b1]! += (1 - lw) * aw * (1 - bw);
  hist[l1 + a1 + b0]! += (1 - lw) * (1 - aw) * bw;
  hist[l1 + a1 + b1]! += (1 - lw) * (1 - aw) * (1 - bw);
}

function colourBlocks(
  image: DecodedImage,
  foreground: Foreground,
): { colour: Float32Array; layout: Float32Array } {
  const { width, data } = image;
  const { background, x0, y0, boxWidth, boxHeight } = foreground;
  const colour = new Float32Array(BLOCK_DIMS.colour);
  const layout = new Float32Array(BLOCK_DIMS.layout);
  const cellBins = LAYOUT_HUES + LAYOUT_GREYS;
  for (let y = y0; y < y0 + boxHeight; y++) {
    const cellY = Math.min(LAYOUT_ROWS - 1, Math.floor(((y - y0) * LAYOUT_ROWS) / boxHeight));
    for (let x = x0; x < x0 + boxWidth; x++) {
      const i = y * width + x;
      if (background[i]) continue;
      const r = data[i * 3]!;
      const g = data[i * 3 + 1]!;
      const b = data[i * 3 + 2]!;
      addLab(colour, r, g, b);

      const max = Math.max(r, g, b);
      const spread = max - Math.min(r, g, b);
      const v = max / 255;
      const s = max === 0 ? 0 : spread / max;
      // Between half and all of CHROMA_MIN a pixel is shared between its hue and grey bins, so a slightly
      // different exposure moves weight gradually rather than flipping the pixel.
      const chromatic = clamp01((s * v - CHROMA_MIN / 2) / CHROMA_MIN);
      const cellX = Math.min(LAYOUT_COLS - 1, Math.floor(((x - x0) * LAYOUT_COLS) / boxWidth));
      const base = (cellY * LAYOUT_COLS + cellX) * cellBins;
      if (chromatic > 0) {
        let h: number;
        if (max === r) h = (g - b) / spread + (g < b ? 6 : 0);
        else if (max === g) h = (b - r) / spread + 2;
        else h = (r - g) / spread + 4;
        softBin(h / 6, LAYOUT_HUES, true);
        layout[base + binLo]! += chromatic * binWeight;
        layout[base + binHi]! += chromatic * (1 - binWeight);
      }
      if (chromatic < 1) {
        softBin(v, LAYOUT_GREYS, false);
        layout[base + LAYOUT_HUES + binLo]! += (1 - chromatic) * binWeight;
        layout[base + LAYOUT_HUES + binHi]! += (1 - chromatic) * (1 - binWeight);
      }
    }
  }
  return { colour, layout };
}

/**
 * Maps the 256 8-bit LBP codes to bins: the 58 uniform patterns (at most two 0/1 transitions) plus one bin
 * for the rest, then a pattern and its mirror image to one bin. Bit k is the neighbour at k·45°
 * counter-clockwise from the right, so mirroring left-right moves it to (180° − k·45°), bit (4 − k) mod 8.
 */
const MIRROR_LBP = new Uint8Array(256);
{
  const uniform = new Uint8Array(256);
  let next = 0;
  for (let code = 0; code < 256; code++) {
    let transitions = 0;
    for (let k = 0; k < 8; k++) if (((code >> k) & 1) !== ((code >> ((k + 1) % 8)) & 1)) transitions++;
    uniform[code] = transitions <= 2 ? next++ : LBP_CODES - 1;
  }
  // The bin of a uniform pattern is the bin of the first (lowest-numbered) of it and its mirror image.
  const binOfUniform = new Int16Array(LBP_CODES).fill(-1);
  let bins = 0;
  for (let code = 0; code < 256; code++) {
    let mirror = 0;
    for (let k = 0; k < 8; k++) if ((code >> k) & 1) mirror |= 1 << ((12 - k) % 8);
    const u = uniform[code]!;
    const m = uniform[mirror]!;
    if (binOfUniform[u]! < 0) {
      binOfUniform[u] = binOfUniform[m]! >= 0 ? binOfUniform[m]! : bins++;
    }
    MIRROR_LBP[code] = binOfUniform[u]!;
  }
  if (bins !== LBP_MIRROR_CODES)
    throw new Error(`expected ${LBP_MIRROR_CODES} mirrored LBP bins, got ${bins}`);
}

/**
 * Uniform LBP frequencies of the foreground, mirror images sharing bins, one histogram per (band, radius):
 * `rows` horizontal bands of the bounding box, each band's histogram normalised by its own pixel count so a
 * thin band counts as much as a wide one.
 */
function lbpBlock(
  image: DecodedImage,
  foreground: Foreground,
  radii: readonly number[],
  rows: number,
): Float32Array {
  const { width, height, data } = image;
  const { background, y0, boxHeight } = foreground;
  const n = width * height;
  // Integer luma (BT.601 weights × 256) keeps the inner loop in small-integer arithmetic.
  const luma = new Int32Array(n);
  for (let i = 0; i < n; i++)
    luma[i] = (77 * data[i * 3]! + 150 * data[i * 3 + 1]! + 29 * data[i * 3 + 2]!) >> 8;
  const rowOf = new Int32Array(height);
  for (let y = 0; y < height; y++) {
    rowOf[y] = Math.min(rows - 1, Math.max(0, Math.floor(((y - y0) * rows) / boxHeight)));
  }
  const out = new Float32Array(rows * radii.length * LBP_MIRROR_CODES);
  const part = new Float64Array(rows * LBP_MIRROR_CODES);
  const counts = new Float64Array(rows);
  for (let ri = 0; ri < radii.length; ri++) {
    const r = radii[ri]!;
    part.fill(0);
    counts.fill(0);
    // The 8 neighbours at distance r, counter-clockwise from the right, as offsets into the image.
    const o0 = r;
    const o1 = r * width + r;
    const o2 = r * width;
    const o3 = r * width - r;
    const o4 = -r;
    const o5 = -r * width - r;
    const o6 = -r * width;
    const o7 = -r * width + r;
    for (let y = r; y < height - r; y++) {
      const base = rowOf[y]! * LBP_MIRROR_CODES;
      let rowCount = 0;
      for (let x = r, i = y * width + r; x < width - r; x++, i++) {
        if (background[i]) continue;
        // Branch-free: (c - neighbour) is negative, so its sign bit set, exactly when neighbour >= centre + margin.
        const c = luma[i]! + LBP_MARGIN - 1;
        const code =
          ((c - luma[i + o0]!) >>> 31) |
          (((c - luma[i + o1]!) >>> 31) << 1) |
          (((c - luma[i + o2]!) >>> 31) << 2) |
          (((c - luma[i + o3]!) >>> 31) << 3) |
          (((c - luma[i + o4]!) >>> 31) << 4) |
          (((c - luma[i + o5]!) >>> 31) << 5) |
          (((c - luma[i + o6]!) >>> 31) << 6) |
          (((c - luma[i + o7]!) >>> 31) << 7);
        part[base + MIRROR_LBP[code]!]! += 1;
        rowCount++;
      }
      counts[rowOf[y]!]! += rowCount;
    }
    for (let row = 0; row < rows; row++) {
      const count = counts[row]!;
      if (count === 0) continue;
      const at = (row * radii.length + ri) * LBP_MIRROR_CODES;
      for (let c = 0; c < LBP_MIRROR_CODES; c++) out[at + c] = part[row * LBP_MIRROR_CODES + c]! / count;
    }
  }
  return out;
}

/**
 * Histograms of gradient orientations (after Dalal & Triggs 2005) of the foreground: a grid over the
 * bounding box, each pixel's gradient (central differences of luma) voting with its magnitude, shared
 * bilinearly between the nearest cells and orientation bins, and each cell L2-normalised so a dark and a
 * light colour variant of one product weigh the same. The outline of the product and its seams, panels and
 * folds: shape rather than colour. Mirrored, a gradient at angle θ points at 180° − θ and column c becomes
 * column `HOG_COLS − 1 − c`; the mirrored right half is added to the left half, which is all that is kept.
 */
function shapeBlock(image: DecodedImage, foreground: Foreground): Float32Array {
  const { width, height, data } = image;
  const { background, x0, y0, boxWidth, boxHeight } = foreground;
  const n = width * height;
  const luma = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    luma[i] = 0.299 * data[i * 3]! + 0.587 * data[i * 3 + 1]! + 0.114 * data[i * 3 + 2]!;
  }
  const cells = new Float64Array(HOG_ROWS * HOG_COLS * HOG_BINS);
  const binsPerRadian = HOG_BINS / (2 * Math.PI);
  const yEnd = Math.min(height - 1, y0 + boxHeight);
  const xEnd = Math.min(width - 1, x0 + boxWidth);
  for (let y = Math.max(1, y0); y < yEnd; y++) {
    // Bilinear sharing between the two nearest rows of cells (clamped at the box's edges), as softBin.
    softBin(clamp01((y - y0 + 0.5) / boxHeight), HOG_ROWS, false);
    const row0 = binLo * HOG_COLS;
    const row1 = binHi * HOG_COLS;
    const rowWeight = binWeight;
    for (let x = Math.max(1, x0), i = y * width + x; x < xEnd; x++, i++) {
      if (background[i]) continue;
      const gx = luma[i + 1]! - luma[i - 1]!;
      const gy = luma[i + width]! - luma[i - width]!;
      const magnitude = Math.sqrt(gx * gx + gy * gy);
      if (magnitude === 0) continue;
      let angle = Math.atan2(gy, gx);
      if (angle < 0) angle += 2 * Math.PI;
      const pos = angle * binsPerRadian - 0.5;
      const lo = Math.floor(pos);
      const angleWeight = 1 - (pos - lo);
      const bin0 = (lo + HOG_BINS) % HOG_BINS;
      const bin1 = (lo + 1) % HOG_BINS;
      softBin(clamp01((x - x0 + 0.5) / boxWidth), HOG_COLS, false);
      const v0 = angleWeight * magnitude;
      const v1 = magnitude - v0;
      const top = rowWeight * binWeight;
      const topRight = rowWeight - top;
      const bottom = binWeight - top;
      const bottomRight = 1 - rowWeight - bottom;
      let at = (row0 + binLo) * HOG_BINS;
      cells[at + bin0]! += top * v0;
      cells[at + bin1]! += top * v1;
      at = (row0 + binHi) * HOG_BINS;
      cells[at + bin0]! += topRight * v0;
      cells[at + bin1]! += topRight * v1;
      at = (row1 + binLo) * HOG_BINS;
      cells[at + bin0]! += bottom * v0;
      cells[at + bin1]! += bottom * v1;
      at = (row1 + binHi) * HOG_BINS;
      cells[at + bin0]! += bottomRight * v0;
      cells[at + bin1]! += bottomRight * v1;
    }
  }
  const half = HOG_COLS / 2;
  const out = new Float32Array(BLOCK_DIMS.shape);
  for (let row = 0; row < HOG_ROWS; row++) {
    for (let col = 0; col < HOG_COLS; col++) {
      const at = (row * HOG_COLS + col) * HOG_BINS;
      let sum = 0;
      for (let b = 0; b < HOG_BINS; b++) sum += cells[at + b]! ** 2;
      if (sum === 0) continue;
      const scale = 1 / Math.sqrt(sum);
      const mirrored = col >= half;
      const to = (row * half + (mirrored ? HOG_COLS - 1 - col : col)) * HOG_BINS;
      for (let b = 0; b < HOG_BINS; b++) {
        // Bin b is centred on (b + ½)·20°; its mirror image, 180° minus that, is the centre of bin 8 − b.
        const target = mirrored ? (HOG_BINS + HOG_BINS / 2 - 1 - b) % HOG_BINS : b;
        out[to + target]! += cells[at + b]! * scale;
      }
    }
  }
  return out;
}

/** L1 → power → L2 → weight, written into `out` at `offset`; returns the next offset. */
function appendBlock(
  out: Float32Array,
  offset: number,
  block: Float32Array,
  power: number,
  weight: number,
): number {
  let sum = 0;
  for (let i = 0; i < block.length; i++) sum += block[i]!;
  if (sum > 0) for (let i = 0; i < block.length; i++) block[i] = (block[i]! / sum) ** power;
  normalizeInPlace(block);
  const scale = Math.sqrt(weight);
  for (let i = 0; i < block.length; i++) out[offset + i] = block[i]! * scale;
  return offset + block.length;
}

/** Half the size by averaging 2×2 blocks (an odd last row or column is dropped): one octave down. */
function halve(image: DecodedImage): DecodedImage {
  const { width, height, data } = image;
  const outWidth = width >> 1;
  const outHeight = height >> 1;
  if (outWidth < 1 || outHeight < 1) return image;
  const out = new Uint8Array(outWidth * outHeight * 3);
  const stride = width * 3;
  for (let oy = 0; oy < outHeight; oy++) {
    let top = 2 * oy * stride;
    let to = oy * outWidth * 3;
    for (let ox = 0; ox < outWidth; ox++, top += 6) {
      for (let c = 0; c < 3; c++, to++) {
        out[to] =
          (data[top + c]! + data[top + 3 + c]! + data[top + stride + c]! + data[top + stride + 3 + c]! + 2) >>
          2;
      }
    }
  }
  return { width: outWidth, height: outHeight, channels: 3, data: out };
}

/** The three copies the blocks are computed on. */
interface Pyramid {
  fine: DecodedImage;
  bands: DecodedImage;
  small: DecodedImage;
}

/**
 * Octaves of the decoded image: texture scales stay relative to the picture whatever its original size,
 * and halving is cheap.
 */
function pyramid(fine: DecodedImage): Pyramid {
  const bands = halve(fine);
  return { fine, bands, small: halve(bands) };
}

function describePyramid({ fine, bands, small }: Pyramid): Float32Array {
  const smallForeground = findForeground(small);
  const bandsForeground = findForeground(bands);
  // A flood fill at full size would cost as much as the texture itself; the half-size mask is as good.
  const fineForeground = scaleForeground(bandsForeground, bands, fine);
  const { colour, layout } = colourBlocks(small, smallForeground);
  const out = new Float32Array(VISUAL_DESCRIPTOR_DIMS);
  let offset = 0;
  offset = appendBlock(out, offset, colour, 0.5, WEIGHTS.colour);
  // A lower power for the layout: whether a colour is in a cell matters more than how much of it.
  offset = appendBlock(out, offset, layout, 0.3, WEIGHTS.layout);
  const bandTexture = lbpBlock(bands, bandsForeground, BAND_RADII, BAND_ROWS);
  offset = appendBlock(out, offset, bandTexture, 0.5, WEIGHTS.bands);
  offset = appendBlock(out, offset, lbpBlock(fine, fineForeground, FINE_RADII, FINE_ROWS), 0.5, WEIGHTS.fine);
  // Power 1: the cells are already normalised one by one, which is what keeps strong edges from dominating.
  appendBlock(out, offset, shapeBlock(bands, bandsForeground), 1, WEIGHTS.shape);
  return normalizeInPlace(out);
}

/**
 * The descriptor of decoded RGB pixels: a unit vector of `VISUAL_DESCRIPTOR_DIMS` numbers. The embedder
 * computes exactly this on `decodeImageToFit(bytes, VISUAL_DESCRIPTOR_INPUT_SIDE)`; a larger image is
 * refused rather than silently described at another scale.
 */
export function describeImage(decoded: DecodedImage): Float32Array {
  if (Math.max(decoded.width, decoded.height) > VISUAL_DESCRIPTOR_INPUT_SIDE) {
    throw new RangeError(
      `describeImage expects at most ${VISUAL_DESCRIPTOR_INPUT_SIDE} px per side, got ${decoded.width}×${decoded.height}`,
    );
  }
  return describePyramid(pyramid(decoded));
}

export interface VisualDescriptorOptions {
  /** Byte and pixel limits applied to every image before it is decoded. */
  limits?: ImageLimits;
}

export function createVisualDescriptorEmbedder(options: VisualDescriptorOptions = {}): ImageEmbedder {
  const id: EmbedderId = { provider: 'visual', model: MODEL, version: VERSION, dims: VISUAL_DESCRIPTOR_DIMS };

  const prepare = (bytes: ImageBytes, index: number): Promise<DecodedImage> => {
    const promise = decodeImageToFit(bytes, VISUAL_DESCRIPTOR_INPUT_SIDE, options.limits).catch(
      (error: unknown) => {
        if (!isSoukError(error)) throw error;
        throw new SoukError(
          error.code,
          `Image ${index}: ${error.message}`,
          { ...error.details, position: index },
          { cause: error },
        );
      },
    );
    // Rejections are awaited in input order; until then they must not count as unhandled.
    promise.catch(() => {});
    return promise;
  };

  return {
    id,
    async embedImages(images: readonly ImageBytes[]): Promise<Float32Array[]> {
      const out: Float32Array[] = [];
      // Decoding runs on libuv's pool a few images ahead while this thread describes the current one.
      const ahead: Promise<DecodedImage>[] = [];
      let queued = 0;
      const refill = (): void => {
        while (queued < images.length && ahead.length < PREFETCH) {
          ahead.push(prepare(images[queued]!, queued));
          queued++;
        }
      };
      refill();
      while (ahead.length > 0) {
        const current = await ahead.shift()!;
        refill();
        out.push(describePyramid(pyramid(current)));
      }
      return out;
    },
    async close(): Promise<void> {},
  };
}
