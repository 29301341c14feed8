/**
 * Scale set generator: `node --import tsx bench/scale-set.ts <out.jsonl> [n=1000000] [seed=20261201]
 * [--description-words N] [--repeat-title-bytes B]`.
 *
 * A catalogue of `n` products made reproducibly (fixed seed, mulberry32) from the 54,667 real Home Depot
 * titles in ../shared/datasets/homedepot/products.jsonl. The first 54,667 products are the real titles
 * unchanged (ids kept, so the Home Depot judgments still name real products); every further product is a
 * variant of a random real title: its brand (leading words) replaced by another title's brand, its
 * numbers changed ("36 in." → "42 in.") and sometimes a colour or pack size appended, so the vocabulary,
 * word frequencies and title lengths are those of a real hardware catalogue while titles rarely repeat.
 * Each product also gets a brand, a category path (from the title's last noun-like word), a price,
 * rating, review count and a colour attribute, so filters and facets have realistic fields.
 *
 * `descriptionWords` (default 0: no description) adds a description of that many words drawn from other
 * titles — used to make a large file (e.g. the streamed-ingest measurement).
 *
 * The file is written in ~1 MB chunks; the generator holds only the real titles, never the output.
 * `ensureScaleSet(n, seed)` returns a cached copy under bench/_cache (git-ignored), writing it first
 * when it is missing.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/util/seeded-random.ts';

export const HOMEDEPOT_DIR = resolve(import.meta.dirname, '../../shared/datasets/homedepot');
export const HOMEDEPOT_PRODUCTS = join(HOMEDEPOT_DIR, 'products.jsonl');
export const HOMEDEPOT_QUERIES = join(HOMEDEPOT_DIR, 'queries.tsv');
export const SCALE_CACHE_DIR = resolve(import.meta.dirname, '_cache');
export const DEFAULT_SCALE_SEED = 20261201;

export interface ScaleSetOptions {
  /** Words of generated description per product, drawn from other titles (0 = no description field). */
  descriptionWords?: number;
  /**
   * A description of at least this many bytes made of the product's own title repeated (0 = none): a
   * large file whose index is hardly larger than the titles' (the streamed-ingest measurement).
   */
  repeatTitleBytes?: number;
  /** Progress line to stderr every this many products (0 = silent). Default 100,000. */
  progressEvery?: number;
}

interface BaseProduct {
  id: string;
  title: string;
}

const COLOURS = [
  'White',
  'Black',
  'Gray',
  'Brown',
  'Red',
  'Blue',
  'Green',
  'Beige',
  'Bronze',
  'Chrome',
  'Silver',
  'Almond',
  'Oak',
  'Walnut',
  'Brushed Nickel',
  'Oil Rubbed Bronze',
  'Stainless Steel',
  'Satin Nickel',
];
const COLOUR_PATTERNS = COLOURS.map((c) => ({ colour: c, pattern: new RegExp(`\\b${c}\\b`, 'i') }));

const DEPARTMENTS: Record<string, string[]> = {
  Plumbing: ['faucet', 'toilet', 'sink', 'shower', 'valve', 'pipe', 'drain', 'fitting', 'tub', 'plumbing'],
  Electrical: ['outlet', 'switch', 'wire', 'cable', 'breaker', 'plug', 'cord', 'electrical', 'conduit'],
  Lighting: ['light', 'lamp', 'bulb', 'fixture', 'chandelier', 'sconce', 'led', 'lighting', 'pendant'],
  Paint: ['paint', 'stain', 'primer', 'coating', 'sealer', 'brush', 'roller', 'caulk', 'spray'],
  Tools: ['drill', 'saw', 'hammer', 'wrench', 'tool', 'driver', 'blade', 'bit', 'sander', 'kit'],
  Hardware: ['screw', 'bolt', 'nail', 'hinge', 'bracket', 'hook', 'anchor', 'lock', 'knob', 'pull'],
  'Lawn & Garden': ['mower', 'garden', 'hose', 'trimmer', 'planter', 'lawn', 'grass', 'seed', 'soil'],
  Flooring: ['tile', 'flooring', 'carpet', 'rug', 'vinyl', 'laminate', 'mat', 'floor'],
  Appliances: ['refrigerator', 'washer', 'dryer', 'range', 'microwave', 'dishwasher', 'oven', 'freezer'],
  'Building Materials': ['lumber', 'board', 'panel', 'drywall', 'insulation', 'moulding', 'casing', 'post'],
  'Doors & Windows': ['door', 'window', 'shade', 'blind', 'curtain', 'shutter', 'screen'],
  'Heating & Cooling': ['heater', 'fan', 'filter', 'thermostat', 'air', 'conditioner', 'vent'],
  'Storage & Organization': ['shelf', 'cabinet', 'rack', 'bin', 'storage', 'organizer', 'drawer'],
  'Outdoors & Patio': ['patio', 'grill', 'gazebo', 'umbrella', 'chair', 'table', 'fence', 'deck'],
};
const WORD_DEPARTMENT = new Map<string, string>();
for (const [department, words] of Object.entries(DEPARTMENTS)) {
  for (const word of words) WORD_DEPARTMENT.set(word, department);
}

/** Reads the real Home Depot titles (id, title). */
export function readHomeDepotTitles(file = HOMEDEPOT_PRODUCTS): BaseProduct[] {
  const out: BaseProduct[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as { id: string; title: string };
    out.push({ id: row.id, title: decodeEntities(row.title) });
  }
  return out;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

/** The brand of a title: its leading capitalised words before the first number or lower-case word (≤ 3). */
function leadingBrand(title: string): string {
  const words = title.split(' ');
  const brand: string[] = [];
  for (const word of words) {
    if (brand.length >= 3 || !/^[A-Z][A-Za-z&'.-]*$/.test(word)) break;
    brand.push(word);
  }
  if (brand.length === 0 || brand.length === words.length) return words[0] ?? title;
  // A two- or three-word capitalised run is usually brand + product line ("Delta Vero"); keep the brand.
  return brand.length >= 3 ? brand.slice(0, 2).join(' ') : brand[0]!;
}

function categoryOf(title: string): string[] {
  const words = title.toLowerCase().match(/[a-z]+/g) ?? [];
  for (let i = words.length - 1; i >= 0; i--) {
    const word = words[i]!;
    const singular = word.endsWith('s') ? word.slice(0, -1) : word;
    const department = WORD_DEPARTMENT.get(word) ?? WORD_DEPARTMENT.get(singular);
    if (department) return [department, singular.charAt(0).toUpperCase() + singular.slice(1)];
  }
  return ['Other'];
}

function colourOf(title: string): string | undefined {
  let found: string | undefined;
  for (const { colour, pattern } of COLOUR_PATTERNS) {
    if (pattern.test(title) && (found === undefined || colour.length > found.length)) found = colour;
  }
  return found;
}

/** The i-th product (i ≥ base.length: a variant) as a JSON line, a pure function of (base, seed, i). */
function productLine(
  base: readonly BaseProduct[],
  brands: readonly string[],
  seed: number,
  i: number,
  descriptionWords: number,
  repeatTitleBytes: number,
): string {
  const rand = mulberry32((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const pick = <T>(list: readonly T[]): T => list[rand() % list.length]!;
  let id: string;
  let title: string;
  if (i < base.length) {
    const real = base[i]!;
    id = real.id;
    title = real.title;
  } else {
    const source = pick(base);
    id = `sc${String(i).padStart(7, '0')}`;
    const brand = leadingBrand(source.title);
    title = source.title;
    if (rand() % 4 !== 0 && title.startsWith(brand)) title = pick(brands) + title.slice(brand.length);
    title = title.replace(/(?<![\d/.-])\d+(\.\d+)?(?![\d/])/g, (number) => {
      if (rand() % 3 === 0) return number;
      const value = Number(number);
      const factor = [0.5, 0.75, 1.25, 1.5, 2, 3][rand() % 6]!;
      const scaled = value * factor;
      return number.includes('.') ? scaled.toFixed(1) : String(Math.max(1, Math.round(scaled)));
    });
    const extra = rand() % 10;
    if (extra === 0) title += ` in ${pick(COLOURS)}`;
    else if (extra === 1) title += ` (${2 + (rand() % 11)}-Pack)`;
  }
  const brand = leadingBrand(title);
  const product: Record<string, unknown> = { id, title };
  if (descriptionWords > 0) {
    const words: string[] = [];
    while (words.length < descriptionWords) {
      for (const word of pick(base).title.split(' ')) {
        if (words.length >= descriptionWords) break;
        words.push(word);
      }
    }
    product.description = words.join(' ');
  } else if (repeatTitleBytes > 0) {
    product.description = `${title}. `.repeat(Math.ceil(repeatTitleBytes / (title.length + 2))).trimEnd();
  }
  product.brand = brand;
  product.category = categoryOf(title);
  product.price = Math.round(Math.exp(1 + (rand() / 4294967296) * 6.5) * 100) / 100;
  product.currency = 'USD';
  const colour = colourOf(title);
  if (colour !== undefined) product.attributes = { color: colour };
  product.rating = Math.round((2.5 + (rand() / 4294967296) * 2.5) * 10) / 10;
  product.reviews = rand() % 500;
  product.lang = 'en';
  return JSON.stringify(product);
}

/**
 * Writes the scale set: `n` products (JSON lines) to `file`, reproducibly from `seed`. Returns the number
 * of bytes written.
 */
export function writeScaleSet(file: string, n: number, seed: number, options: ScaleSetOptions = {}): number {
  const base = readHomeDepotTitles();
  const brands = [...new Set(base.map((p) => leadingBrand(p.title)))].sort();
  const descriptionWords = options.descriptionWords ?? 0;
  const repeatTitleBytes = options.repeatTitleBytes ?? 0;
  const progressEvery = options.progressEvery ?? 100_000;
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let bytes = 0;
  try {
    let chunk = '';
    for (let i = 0; i < n; i++) {
      chunk += productLine(base, brands, seed, i, descriptionWords, repeatTitleBytes) + '\n';
      if (chunk.length >= 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
      if (progressEvery > 0 && (i + 1) % progressEvery === 0) {
        process.stderr.write(`scale-set: ${i + 1}/${n} products\n`);
      }
    }
    if (chunk.length > 0) bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return bytes;
}

/** The cached scale set of `n` products under bench/_cache, written first when missing. */
export function ensureScaleSet(n: number, seed = DEFAULT_SCALE_SEED, options: ScaleSetOptions = {}): string {
  const words = options.descriptionWords ?? 0;
  const repeat = options.repeatTitleBytes ?? 0;
  const suffix = `${words > 0 ? `-d${words}` : ''}${repeat > 0 ? `-r${repeat}` : ''}`;
  const file = join(SCALE_CACHE_DIR, `scale-${n}-${seed}${suffix}.jsonl`);
  if (!existsSync(file)) {
    process.stderr.write(`scale-set: writing ${file}\n`);
    writeScaleSet(file, n, seed, options);
  }
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let descriptionWords = 0;
  let repeatTitleBytes = 0;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--description-words') descriptionWords = Number(args[++i]);
    else if (args[i] === '--repeat-title-bytes') repeatTitleBytes = Number(args[++i]);
    else positional.push(args[i]!);
  }
  const [out, nText = '1000000', seedText = String(DEFAULT_SCALE_SEED)] = positional;
  if (out === undefined) {
    process.stderr.write(
      'usage: scale-set.ts <out.jsonl> [n] [seed] [--description-words N] [--repeat-title-bytes B]\n',
    );
    process.exit(2);
  }
  const started = performance.now();
  const bytes = writeScaleSet(out, Number(nText), Number(seedText), {
    descriptionWords,
    repeatTitleBytes,
  });
  process.stderr.write(
    `scale-set: ${nText} products, ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s → ${out}\n`,
  );
}
