/**
 * Per-document values for filters, facets and sort keys, laid out to scale to millions of products
 * without one JS object per document.
 *
 * Layout:
 * - Every string-valued field (brand, lang, currency, category paths, each attribute) shares one value
 *   dictionary: a value id ("gid") per distinct (field, normalised value), with its field, first-seen
 *   display form and numeric reading (NaN unless the whole value is a number).
 * - A document's string values are one run of gids in a shared Int32Array pool, addressed by
 *   `start[docId]` / `count[docId]` and sorted by (field, gid): a field's values are contiguous and
 *   found by binary search, so a filter or facet on `color` does not walk the document's other values.
 *   Replacing a document appends a new run and leaves the old one as garbage; the pool is compacted
 *   when garbage outweighs live entries, and on `remap`.
 * - price, rating, reviews live in Float64Arrays with NaN for missing (Float32 would make
 *   `rating <= 4.3` miss a stored 4.3).
 * - `id` is kept as the normalised string per document (it is unique, so a dictionary would only add
 *   a map entry per product).
 *
 * Category semantics: each path in `category` and `categories` contributes all its prefixes, so
 * ["Men", "Tops", "Hoodies & Sweatshirts"] stores "men", "men > tops", "men > tops > hoodies & sweatshirts".
 * A filter value containing ">" names a path from the root (`category = "Men > Tops"` matches everything
 * under Men > Tops); a value without ">" matches any path whose last segment is that name, i.e. a root
 * category or a segment at any level (`category = Tops` matches Men > Tops and Women > Tops).
 *
 * Match semantics (multi-valued fields match if ANY value matches):
 * - `=`, IN, `>`, `>=`, `<`, `<=`, TO and EXISTS are false when the document has no value for the field.
 * - `!=` is `NOT =`, so it is true for a missing field, and false when any value equals.
 * - A number compared with a string field matches values that read as that number ("10", "10.0").
 *   A quoted string compares as text only.
 * - Compiled predicates return false for docIds that are not set.
 */
import type { FacetResult, FacetValueCount, PriceBucket, Product } from '../types.ts';
import { SoukError } from '../errors.ts';
import { ATTRIBUTE_PREFIX, isNumericField, resolveFieldName } from './filter-parser.ts';
import type { CompareOp, FilterNode, FilterValue } from './filter-parser.ts';
import { normalizeValue, parseNumber } from './normalize-value.ts';
import { bucketIndex, cleanBoundaries, niceBoundaries } from './numeric-buckets.ts';

export type DocPredicate = (docId: number) => boolean;

export interface FacetOptions {
  /** Most values returned per field; default 20, and 100 for `category`. */
  maxValues?: number;
  /** Lower bounds of price buckets (e.g. [0, 25, 50, 100, 200]); default: automatic, see numeric-buckets.ts. */
  priceBuckets?: number[];
}

export interface DocValuesStats {
  docs: number;
  /** One past the largest docId held. */
  size: number;
  fields: number;
  distinctValues: number;
  poolEntries: number;
  garbageEntries: number;
  /** Estimated heap bytes (typed arrays exactly, strings and maps approximately). */
  bytes: number;
}

const FIELD_BRAND = 0;
const FIELD_LANG = 1;
const FIELD_CURRENCY = 2;
const FIELD_CATEGORY = 3;
const FIXED_FIELDS = ['brand', 'lang', 'currency', 'category'];
const NUMERIC_INDEX: Record<string, number> = { price: 0, rating: 1, reviews: 2 };
const PATH_SEP = ' > ';
const MAX_DOC_ID = 0x7fffffff;
/** Bound on each raw-spelling cache, so unique-per-product values (SKUs) cannot double memory. */
const RAW_CACHE_LIMIT = 100_000;
const GID_SPAN = 2 ** 31;

const ALWAYS: DocPredicate = () => true;
const NEVER: DocPredicate = () => false;

function growInt32(a: Int32Array, min: number): Int32Array {
  if (a.length >= min) return a;
  const b = new Int32Array(Math.max(min, Math.ceil(a.length * 1.5), 64));
  b.set(a);
  return b;
}

function growFloat64(a: Float64Array, min: number, fill: number): Float64Array {
  if (a.length >= min) return a;
  const b = new Float64Array(Math.max(min, Math.ceil(a.length * 1.5), 64));
  b.set(a);
  b.fill(fill, a.length);
  return b;
}

function finiteOrNaN(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

function displayForm(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function compareNumber(op: CompareOp, v: number, x: number): boolean {
  switch (op) {
    case '=':
      return v === x;
    case '!=':
      return v !== x;
    case '>':
      return v > x;
    case '>=':
      return v >= x;
    case '<':
      return v < x;
    case '<=':
      return v <= x;
  }
}

function snapshotError(message: string): SoukError {
  return new SoukError('SNAPSHOT_INVALID', `doc values snapshot: ${message}`);
}

const MAGIC = 0x56444b53; // "SKDV" little-endian
const FORMAT_VERSION = 1;

export class DocValues {
  // Fields of the pooled (string) values. Ids 0..3 are the fixed built-ins.
  private fieldKeys: string[] = [...FIXED_FIELDS];
  private fieldIdByKey = new Map<string, number>(FIXED_FIELDS.map((k, i) => [k, i]));
  private fieldValueIds: Map<string, number>[] = FIXED_FIELDS.map(() => new Map());
  private fieldGids: number[][] = FIXED_FIELDS.map(() => []);

  // Value dictionary, indexed by gid.
  private nGids = 0;
  private gidField: Int32Array = new Int32Array(256);
  private gidNum: Float64Array = new Float64Array(256);
  private gidKey: string[] = [];
  private gidDisplay: string[] = [];

  // Per document, indexed by docId.
  private size = 0;
  private liveCount = 0;
  private live = new Uint8Array(0);
  private start = new Uint32Array(0);
  private count = new Uint32Array(0);
  private nums: [Float64Array, Float64Array, Float64Array] = [
    new Float64Array(0),
    new Float64Array(0),
    new Float64Array(0),
  ];
  private ids: (string | undefined)[] = [];

  private pool: Int32Array = new Int32Array(1024);
  private poolLen = 0;
  private garbage = 0;

  // Caches from raw spellings to ids, so repeated values skip Unicode normalisation in `set`.
  private rawValueIds: Map<string, number>[] = FIXED_FIELDS.map(() => new Map());
  private rawAttributeFields = new Map<string, number>();
  private rawPaths = new Map<string, number[]>();

  // Scratch buffers reused across calls so `set` and `facets` allocate nothing per document.
  private scratch: Int32Array = new Int32Array(256);
  private scratchLen = 0;
  private facetCounts = new Int32Array(0);

  /** Number of documents held. */
  get docCount(): number {
    return this.liveCount;
  }

  /** One past the largest docId held (the length a docId-indexed array needs). */
  get docIdLimit(): number {
    return this.size;
  }

  has(docId: number): boolean {
    return this.live[docId] === 1;
  }

  /** Stores the product's values under docId, replacing whatever that docId held. */
  set(docId: number, product: Product): void {
    if (!Number.isInteger(docId) || docId < 0 || docId > MAX_DOC_ID) {
      throw new SoukError('INTERNAL', `doc values: invalid docId ${docId}`);
    }
    this.ensureDocCapacity(docId + 1);
    if (this.live[docId] === 1) {
      this.garbage += this.count[docId] as number;
    } else {
      this.live[docId] = 1;
      this.liveCount++;
    }
    if (docId >= this.size) this.size = docId + 1;

    this.scratchLen = 0;
    this.addValue(FIELD_BRAND, product.brand);
    this.addValue(FIELD_LANG, product.lang);
    this.addValue(FIELD_CURRENCY, product.currency);
    this.addPath(product.category);
    const paths: unknown = product.categories;
    if (Array.isArray(paths)) for (const path of paths) this.addPath(path);
    const attrs: unknown = product.attributes;
    if (typeof attrs === 'object' && attrs !== null && !Array.isArray(attrs)) {
      const record = attrs as Record<string, unknown>;
      for (const name of Object.keys(record)) {
        const fid = this.attributeFieldId(name);
        if (fid < 0) continue;
        const value = record[name];
        if (Array.isArray(value)) for (const v of value) this.addValue(fid, v);
        else this.addValue(fid, value);
      }
    }

    const n = this.scratchLen;
    // Runs are sorted by (field, value id) so one field's values are contiguous and found by binary
    // search, and unique so a path repeated in `categories` counts once in facets. Insertion sort:
    // runs are short (tens of values), often nearly sorted, and this allocates nothing.
    const run = this.scratch;
    const gidField = this.gidField;
    for (let i = 1; i < n; i++) {
      const g = run[i] as number;
      const f = gidField[g] as number;
      let j = i - 1;
      for (; j >= 0; j--) {
        const h = run[j] as number;
        const fh = gidField[h] as number;
        if (fh < f || (fh === f && h <= g)) break;
        run[j + 1] = h;
      }
      run[j + 1] = g;
    }
    this.pool = growInt32(this.pool, this.poolLen + n);
    const pool = this.pool;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const g = run[i] as number;
      if (i === 0 || g !== run[i - 1]) pool[this.poolLen + m++] = g;
    }
    this.start[docId] = this.poolLen;
    this.count[docId] = m;
    this.poolLen += m;

    this.nums[0][docId] = finiteOrNaN(product.price);
    this.nums[1][docId] = finiteOrNaN(product.rating);
    this.nums[2][docId] = finiteOrNaN(product.reviews);
    const id: unknown = product.id;
    this.ids[docId] =
      typeof id === 'string' ? normalizeValue(id) : typeof id === 'number' ? String(id) : undefined;

    this.maybeCompact();
  }

  remove(docId: number): void {
    if (this.live[docId] !== 1) return;
    this.live[docId] = 0;
    this.liveCount--;
    this.garbage += this.count[docId] as number;
    this.count[docId] = 0;
    this.nums[0][docId] = NaN;
    this.nums[1][docId] = NaN;
    this.nums[2][docId] = NaN;
    this.ids[docId] = undefined;
    this.maybeCompact();
  }

  /** Sort key; NaN when missing or the docId is not set. */
  price(docId: number): number {
    return this.nums[0][docId] ?? NaN;
  }

  rating(docId: number): number {
    return this.nums[1][docId] ?? NaN;
  }

  reviews(docId: number): number {
    return this.nums[2][docId] ?? NaN;
  }

  /**
   * How much two documents share of their brand, category paths and attribute values (Jaccard, 0 … 1);
   * language and currency say nothing about likeness and are left out. For "more like this".
   */
  similarity(a: number, b: number): number {
    if (!this.has(a) || !this.has(b)) return 0;
    const mine = new Set<number>();
    for (let i = this.start[a]!, end = i + this.count[a]!; i < end; i++) {
      const gid = this.pool[i]!;
      const field = this.gidField[gid]!;
      if (field !== FIELD_LANG && field !== FIELD_CURRENCY) mine.add(gid);
    }
    let shared = 0;
    let theirs = 0;
    for (let i = this.start[b]!, end = i + this.count[b]!; i < end; i++) {
      const gid = this.pool[i]!;
      const field = this.gidField[gid]!;
      if (field === FIELD_LANG || field === FIELD_CURRENCY) continue;
      theirs++;
      if (mine.has(gid)) shared++;
    }
    const union = mine.size + theirs - shared;
    return union === 0 ? 0 : shared / union;
  }

  // -------------------------------------------------------------------------------------------------
  // Filters

  /**
   * Compiles a filter into a predicate. Value sets are resolved now, so the predicate does no string
   * work; it reads the current arrays, but values first seen after compiling are not matched, so
   * compile per search.
   */
  compile(node: FilterNode): DocPredicate {
    const p = this.compileNode(node);
    if (p === NEVER) return NEVER;
    return (d) => this.live[d] === 1 && p(d);
  }

  /** All set docIds matching the filter, ascending (the browse case: no query text). */
  matchingDocs(node: FilterNode): Int32Array {
    const p = this.compileNode(node);
    const out = new Int32Array(p === NEVER ? 0 : this.liveCount);
    let n = 0;
    if (p !== NEVER) {
      const live = this.live;
      for (let d = 0; d < this.size; d++) if (live[d] === 1 && p(d)) out[n++] = d;
    }
    return out.slice(0, n);
  }

  private compileNode(node: FilterNode): DocPredicate {
    switch (node.type) {
      case 'all':
        return ALWAYS;
      case 'and': {
        // Cheap numeric tests first: they short-circuit before the value-run scans.
        const children = node.children.slice().sort((a, b) => evaluationRank(a) - evaluationRank(b));
        const ps = children.map((c) => this.compileNode(c)).filter((p) => p !== ALWAYS);
        if (ps.includes(NEVER)) return NEVER;
        return combine(ps, true);
      }
      case 'or': {
        // Alternatives on one pooled field (`category = A OR category = B`) merge into one value set,
        // so each document's run is searched once.
        const merged = new Map<number, number[]>();
        const ps: DocPredicate[] = [];
        for (const c of node.children.slice().sort((a, b) => evaluationRank(a) - evaluationRank(b))) {
          const leaf = this.poolLeaf(c);
          if (leaf === undefined) ps.push(this.compileNode(c));
          else if (leaf.gids.length > 0) merged.set(leaf.fid, (merged.get(leaf.fid) ?? []).concat(leaf.gids));
        }
        for (const [fid, gids] of merged) ps.push(this.poolPredicate(gids, fid));
        const live = ps.filter((p) => p !== NEVER);
        if (live.includes(ALWAYS)) return ALWAYS;
        return combine(live, false);
      }
      case 'not': {
        const p = this.compileNode(node.child);
        if (p === ALWAYS) return NEVER;
        if (p === NEVER) return ALWAYS;
        return (d) => !p(d);
      }
      default:
        return this.compileCondition(node);
    }
  }

  private compileCondition(node: Exclude<FilterNode, { type: 'all' | 'and' | 'or' | 'not' }>): DocPredicate {
    if (node.type === 'compare' && node.op === '!=') {
      const eq = this.compileCondition({ ...node, op: '=' });
      return eq === NEVER ? ALWAYS : eq === ALWAYS ? NEVER : (d) => !eq(d);
    }
    const field = resolveFieldName(node.field);
    if (field === undefined) return NEVER;
    const numIndex = NUMERIC_INDEX[field];
    if (numIndex !== undefined) return this.compileNumeric(node, numIndex);
    if (field === 'id') return this.compileId(node);
    const leaf = this.poolLeaf(node);
    return leaf === undefined ? NEVER : this.poolPredicate(leaf.gids, leaf.fid);
  }

  /** For a positive condition on a pooled (string) field: the field and its matching value ids. */
  private poolLeaf(node: FilterNode): { fid: number; gids: number[] } | undefined {
    if (node.type === 'all' || node.type === 'and' || node.type === 'or' || node.type === 'not')
      return undefined;
    if (node.type === 'compare' && node.op === '!=') return undefined;
    const field = resolveFieldName(node.field);
    if (field === undefined || field === 'id' || isNumericField(field)) return undefined;
    const fid = this.fieldIdByKey.get(field);
    return fid === undefined ? { fid: -1, gids: [] } : { fid, gids: this.matchingGids(node, fid) };
  }

  private compileNumeric(
    node: Exclude<FilterNode, { type: 'all' | 'and' | 'or' | 'not' }>,
    k: number,
  ): DocPredicate {
    const i = k as 0 | 1 | 2;
    switch (node.type) {
      case 'exists':
        return (d) => !Number.isNaN(this.nums[i][d] as number);
      case 'range': {
        const { min, max } = node;
        return (d) => {
          const v = this.nums[i][d] as number;
          return v >= min && v <= max;
        };
      }
      case 'in': {
        const xs = node.values.map(toNumber).filter((x) => !Number.isNaN(x));
        if (xs.length === 0) return NEVER;
        const set = new Set(xs);
        return (d) => set.has(this.nums[i][d] as number);
      }
      case 'compare': {
        const x = toNumber(node.value);
        if (Number.isNaN(x)) return NEVER;
        const op = node.op;
        switch (op) {
          case '=':
            return (d) => this.nums[i][d] === x;
          case '>':
            return (d) => (this.nums[i][d] as number) > x;
          case '>=':
            return (d) => (this.nums[i][d] as number) >= x;
          case '<':
            return (d) => (this.nums[i][d] as number) < x;
          case '<=':
            return (d) => (this.nums[i][d] as number) <= x;
          default:
            return (d) => compareNumber(op, this.nums[i][d] as number, x);
        }
      }
    }
  }

  private compileId(node: Exclude<FilterNode, { type: 'all' | 'and' | 'or' | 'not' }>): DocPredicate {
    const key = (v: FilterValue): string => (typeof v === 'number' ? String(v) : normalizeValue(v));
    if (node.type === 'exists') return (d) => this.ids[d] !== undefined;
    if (node.type === 'compare' && node.op === '=' && typeof node.value === 'string') {
      const k = key(node.value);
      return (d) => this.ids[d] === k;
    }
    if (node.type === 'in' && node.values.every((v) => typeof v === 'string')) {
      const set = new Set(node.values.map(key));
      return (d) => set.has(this.ids[d] as string);
    }
    // Numeric comparisons on ids are rare: read every id once now rather than per evaluation.
    const test = (s: string): boolean => this.valueMatches(node, s, parseNumber(s));
    const mask = new Uint8Array(this.size);
    for (let d = 0; d < this.size; d++) {
      const s = this.ids[d];
      if (s !== undefined && test(s)) mask[d] = 1;
    }
    return (d) => mask[d] === 1;
  }

  /** Does one stored (normalised) value satisfy a leaf condition? Used for scans over dictionaries. */
  private valueMatches(
    node: Exclude<FilterNode, { type: 'all' | 'and' | 'or' | 'not' }>,
    key: string,
    num: number,
  ): boolean {
    const eq = (v: FilterValue): boolean => (typeof v === 'number' ? num === v : key === normalizeValue(v));
    switch (node.type) {
      case 'exists':
        return true;
      case 'range':
        return num >= node.min && num <= node.max;
      case 'in':
        return node.values.some(eq);
      case 'compare':
        if (node.op === '=' || node.op === '!=') return eq(node.value) === (node.op === '=');
        return compareNumber(node.op, num, toNumber(node.value));
    }
  }

  /** The value ids of field `fid` satisfying a leaf condition. */
  private matchingGids(
    node: Exclude<FilterNode, { type: 'all' | 'and' | 'or' | 'not' }>,
    fid: number,
  ): number[] {
    const map = this.fieldValueIds[fid] as Map<string, number>;
    const gids = this.fieldGids[fid] as number[];
    if (node.type === 'exists') return gids;
    const equals = (v: FilterValue, out: number[]): void => {
      if (fid === FIELD_CATEGORY) {
        this.categoryGids(String(v), out);
      } else if (typeof v === 'string') {
        const g = map.get(normalizeValue(v));
        if (g !== undefined) out.push(g);
      } else {
        for (const g of gids) if (this.gidNum[g] === v) out.push(g);
      }
    };
    const out: number[] = [];
    if (node.type === 'compare' && node.op === '=') {
      equals(node.value, out);
    } else if (node.type === 'in') {
      for (const v of node.values) equals(v, out);
    } else {
      for (const g of gids)
        if (this.valueMatches(node, this.gidKey[g] as string, this.gidNum[g] as number)) out.push(g);
    }
    return out;
  }

  private categoryGids(value: string, out: number[]): void {
    const map = this.fieldValueIds[FIELD_CATEGORY] as Map<string, number>;
    if (value.includes('>')) {
      const key = value
        .split('>')
        .map(normalizeValue)
        .filter((s) => s !== '')
        .join(PATH_SEP);
      const g = map.get(key);
      if (g !== undefined) out.push(g);
      return;
    }
    const name = normalizeValue(value);
    if (name === '') return;
    for (const g of this.fieldGids[FIELD_CATEGORY] as number[]) {
      const key = this.gidKey[g] as string;
      const cut = key.lastIndexOf(PATH_SEP);
      if ((cut < 0 ? key : key.slice(cut + PATH_SEP.length)) === name) out.push(g);
    }
  }

  private poolPredicate(gids: number[], fid: number): DocPredicate {
    if (gids.length === 0) return NEVER;
    if (gids.length === 1) {
      const g = gids[0] as number;
      return (d) => {
        const pool = this.pool;
        const end = (this.start[d] as number) + (this.count[d] as number);
        // Within a field, value ids ascend, and the field's entries end where another field's begin.
        const gidField = this.gidField;
        for (let i = fieldStart(pool, gidField, this.start[d] as number, end, fid); i < end; i++) {
          const x = pool[i] as number;
          if (x >= g || gidField[x] !== fid) return x === g;
        }
        return false;
      };
    }
    // Sized past every current value id: an out-of-bounds typed-array read is several times slower.
    const mask = new Uint8Array(this.nGids + 1024);
    for (const g of gids) mask[g] = 1;
    return (d) => {
      const pool = this.pool;
      const gidField = this.gidField;
      const end = (this.start[d] as number) + (this.count[d] as number);
      for (let i = fieldStart(pool, gidField, this.start[d] as number, end, fid); i < end; i++) {
        const x = pool[i] as number;
        if (mask[x] === 1) return true;
        if (gidField[x] !== fid) return false;
      }
      return false;
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Facets

  /**
   * Counts values of the requested fields over exactly `docIds` (docIds not set are skipped; each docId
   * should appear once). String fields return `values` (count desc, then normalised value asc; each value
   * in the casing first seen). `category` returns every path prefix. price, rating and reviews return
   * `buckets`, `min`, `max`; an attribute whose values in the result are all numbers returns those too.
   * Result keys are the field names as requested.
   */
  facets(
    docIds: ArrayLike<number>,
    fields: string[],
    options: FacetOptions = {},
  ): Record<string, FacetResult> {
    const result: Record<string, FacetResult> = {};
    const pooled: Array<{ name: string; fid: number }> = [];
    for (const name of fields) {
      const field = resolveFieldName(name);
      if (field === undefined) {
        result[name] = { values: [] };
      } else if (isNumericField(field)) {
        const arr = this.nums[NUMERIC_INDEX[field] as 0 | 1 | 2];
        const bounds =
          field === 'price' && options.priceBuckets ? cleanBoundaries(options.priceBuckets) : undefined;
        result[name] = this.numericFacet(docIds, arr, bounds);
      } else if (field === 'id') {
        result[name] = { values: this.idFacet(docIds, options.maxValues ?? 20) };
      } else {
        const fid = this.fieldIdByKey.get(field);
        if (fid === undefined) result[name] = { values: [] };
        else pooled.push({ name, fid });
      }
    }
    if (pooled.length === 0) return result;

    const wanted = [...new Set(pooled.map((p) => p.fid))].sort((a, b) => a - b);
    if (this.facetCounts.length < this.nGids) this.facetCounts = new Int32Array(Math.ceil(this.nGids * 1.25));
    const counts = this.facetCounts;
    const touched: number[] = [];
    const { live, start, count, pool, gidField } = this;
    for (let k = 0; k < docIds.length; k++) {
      const d = docIds[k] as number;
      if (live[d] !== 1) continue;
      const end = (start[d] as number) + (count[d] as number);
      let i = start[d] as number;
      // Wanted fields ascend like the run, so each search starts where the previous field ended.
      for (let w = 0; w < wanted.length; w++) {
        const fid = wanted[w] as number;
        for (i = fieldStart(pool, gidField, i, end, fid); i < end; i++) {
          const g = pool[i] as number;
          if (gidField[g] !== fid) break;
          if ((counts[g] as number)++ === 0) touched.push(g);
        }
      }
    }

    const byField = new Map<number, number[]>();
    for (const { fid } of pooled) byField.set(fid, []);
    for (const g of touched) byField.get(gidField[g] as number)?.push(g);
    for (const { name, fid } of pooled) {
      const gids = byField.get(fid) as number[];
      const k = options.maxValues ?? (fid === FIELD_CATEGORY ? 100 : 20);
      const top = this.topValues(gids, counts, Math.max(0, Math.floor(k)));
      const facet: FacetResult = {
        values: top.map((g): FacetValueCount => ({
          value: this.gidDisplay[g] as string,
          count: counts[g] as number,
        })),
      };
      if (fid > FIELD_CATEGORY && gids.length > 0 && gids.every((g) => !Number.isNaN(this.gidNum[g]))) {
        Object.assign(facet, this.attributeNumericFacet(docIds, fid));
      }
      result[name] = facet;
    }
    for (const g of touched) counts[g] = 0;
    return result;
  }

  /** Top k gids by (count desc, normalised value asc) without sorting the whole list. */
  private topValues(gids: number[], counts: Int32Array, k: number): number[] {
    const keys = this.gidKey;
    const before = (a: number, b: number): boolean => {
      const ca = counts[a] as number;
      const cb = counts[b] as number;
      return ca > cb || (ca === cb && (keys[a] as string) < (keys[b] as string));
    };
    if (gids.length <= k) return gids.slice().sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    const top: number[] = [];
    for (const g of gids) {
      if (top.length === k && !before(g, top[k - 1] as number)) continue;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(top[mid] as number, g)) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, g);
      if (top.length > k) top.pop();
    }
    return top;
  }

  private idFacet(docIds: ArrayLike<number>, k: number): FacetValueCount[] {
    const counts = new Map<string, number>();
    for (let i = 0; i < docIds.length; i++) {
      const d = docIds[i] as number;
      const id = this.live[d] === 1 ? this.ids[d] : undefined;
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, Math.max(0, Math.floor(k)))
      .map(([value, count]) => ({ value, count }));
  }

  private numericFacet(
    docIds: ArrayLike<number>,
    arr: Float64Array,
    custom: number[] | undefined,
  ): FacetResult {
    const live = this.live;
    let min = Infinity;
    let max = -Infinity;
    let n = 0;
    for (let k = 0; k < docIds.length; k++) {
      const d = docIds[k] as number;
      if (live[d] !== 1) continue;
      const v = arr[d] as number;
      if (v === v) {
        if (v < min) min = v;
        if (v > max) max = v;
        n++;
      }
    }
    if (n === 0) return { buckets: [] };
    const { bounds, lead } = this.bucketBounds(min, max, custom);
    const b = Float64Array.from(bounds);
    const last = b.length - 1;
    // Slot 0 holds values below the first bound (only possible with caller boundaries).
    const bucketCounts = new Int32Array(b.length + 1);
    for (let k = 0; k < docIds.length; k++) {
      const d = docIds[k] as number;
      if (live[d] !== 1) continue;
      const v = arr[d] as number;
      if (v !== v) continue;
      let i = last;
      while (i >= 0 && (b[i] as number) > v) i--;
      (bucketCounts[i + 1] as number)++;
    }
    return { buckets: toBuckets(bounds, bucketCounts, lead ? min : undefined), min, max };
  }

  private attributeNumericFacet(docIds: ArrayLike<number>, fid: number): FacetResult {
    const { live, start, count, pool, gidField, gidNum } = this;
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < docIds.length; k++) {
      const d = docIds[k] as number;
      if (live[d] !== 1) continue;
      const end = (start[d] as number) + (count[d] as number);
      for (let i = fieldStart(pool, gidField, start[d] as number, end, fid); i < end; i++) {
        const g = pool[i] as number;
        if (gidField[g] !== fid) break;
        const v = gidNum[g] as number;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min > max) return { buckets: [] };
    const { bounds } = this.bucketBounds(min, max, undefined);
    const bucketCounts = new Int32Array(bounds.length + 1);
    // A document with several values in one bucket counts once there.
    const lastDoc = new Int32Array(bounds.length + 1).fill(-1);
    for (let k = 0; k < docIds.length; k++) {
      const d = docIds[k] as number;
      if (live[d] !== 1) continue;
      const end = (start[d] as number) + (count[d] as number);
      for (let i = fieldStart(pool, gidField, start[d] as number, end, fid); i < end; i++) {
        const g = pool[i] as number;
        if (gidField[g] !== fid) break;
        const b = bucketIndex(bounds, gidNum[g] as number) + 1;
        if (lastDoc[b] !== k) {
          lastDoc[b] = k;
          (bucketCounts[b] as number)++;
        }
      }
    }
    return { buckets: toBuckets(bounds, bucketCounts, undefined), min, max };
  }

  private bucketBounds(
    min: number,
    max: number,
    custom: number[] | undefined,
  ): { bounds: number[]; lead: boolean } {
    if (custom && custom.length > 0) return { bounds: custom, lead: min < (custom[0] as number) };
    return { bounds: niceBoundaries(min, max), lead: false };
  }

  // -------------------------------------------------------------------------------------------------
  // Maintenance

  /**
   * Vacuum compaction: moves each set docId d to mapping[d] (or drops it when mapping[d] is −1) and
   * drops dictionary values no document uses any more. All-or-nothing: on a bad mapping nothing changes.
   */
  remap(mapping: Int32Array, newSize: number): void {
    if (!Number.isInteger(newSize) || newSize < 0 || newSize > MAX_DOC_ID) {
      throw new SoukError('INTERNAL', `doc values: invalid remap size ${newSize}`);
    }
    const used = new Uint8Array(this.nGids);
    let entries = 0;
    for (let d = 0; d < this.size; d++) {
      if (this.live[d] !== 1) continue;
      const nd = mapping[d];
      if (nd === undefined) throw new SoukError('INTERNAL', `doc values: remap has no entry for docId ${d}`);
      if (nd < 0) continue;
      if (nd >= newSize)
        throw new SoukError('INTERNAL', `doc values: remap sends docId ${d} to ${nd} ≥ ${newSize}`);
      const end = (this.start[d] as number) + (this.count[d] as number);
      for (let i = this.start[d] as number; i < end; i++) used[this.pool[i] as number] = 1;
      entries += this.count[d] as number;
    }
    const newLive = new Uint8Array(newSize);
    for (let d = 0; d < this.size; d++) {
      const nd = mapping[d] as number;
      if (this.live[d] !== 1 || nd < 0) continue;
      if (newLive[nd] === 1) throw new SoukError('INTERNAL', `doc values: remap sends two docIds to ${nd}`);
      newLive[nd] = 1;
    }

    // Renumbering in ascending order keeps every document's run sorted.
    const gidMap = new Int32Array(this.nGids).fill(-1);
    let nGids = 0;
    for (let g = 0; g < this.nGids; g++) if (used[g] === 1) gidMap[g] = nGids++;
    const gidField = new Int32Array(Math.max(nGids, 256));
    const gidNum = new Float64Array(Math.max(nGids, 256));
    const gidKey: string[] = [];
    const gidDisplay: string[] = [];
    const fieldValueIds = this.fieldKeys.map(() => new Map<string, number>());
    const fieldGids: number[][] = this.fieldKeys.map(() => []);
    for (let g = 0; g < this.nGids; g++) {
      const ng = gidMap[g] as number;
      if (ng < 0) continue;
      const fid = this.gidField[g] as number;
      const key = this.gidKey[g] as string;
      gidField[ng] = fid;
      gidNum[ng] = this.gidNum[g] as number;
      // ng grows with g, so push keeps these arrays packed.
      gidKey.push(key);
      gidDisplay.push(this.gidDisplay[g] as string);
      fieldValueIds[fid]?.set(key, ng);
      fieldGids[fid]?.push(ng);
    }

    const cap = Math.max(newSize, 16);
    const start = new Uint32Array(cap);
    const count = new Uint32Array(cap);
    const pool = new Int32Array(Math.max(entries, 1024));
    const nums: [Float64Array, Float64Array, Float64Array] = [
      new Float64Array(cap).fill(NaN),
      new Float64Array(cap).fill(NaN),
      new Float64Array(cap).fill(NaN),
    ];
    const ids = packedArray<string | undefined>(cap, undefined);
    const live = new Uint8Array(cap);
    let poolLen = 0;
    let liveCount = 0;
    let size = 0;
    for (let d = 0; d < this.size; d++) {
      const nd = mapping[d] as number;
      if (this.live[d] !== 1 || nd < 0) continue;
      live[nd] = 1;
      liveCount++;
      if (nd >= size) size = nd + 1;
      const s = this.start[d] as number;
      const c = this.count[d] as number;
      start[nd] = poolLen;
      count[nd] = c;
      for (let i = 0; i < c; i++) pool[poolLen++] = gidMap[this.pool[s + i] as number] as number;
      for (let k = 0; k < 3; k++) nums[k as 0 | 1 | 2][nd] = this.nums[k as 0 | 1 | 2][d] as number;
      ids[nd] = this.ids[d];
    }

    Object.assign(this, {
      nGids,
      gidField,
      gidNum,
      gidKey,
      gidDisplay,
      fieldValueIds,
      fieldGids,
      size: newSize > size ? newSize : size,
      liveCount,
      live,
      start,
      count,
      nums,
      ids,
      pool,
      poolLen,
      garbage: 0,
      facetCounts: new Int32Array(0),
    });
    this.clearRawCaches();
  }

  stats(): DocValuesStats {
    let stringBytes = 0;
    // V8 sequential strings: ~16 bytes header plus 1 (Latin-1) or 2 bytes per char, 8-byte aligned.
    const strBytes = (s: string | undefined): number =>
      s === undefined ? 0 : (16 + s.length * (/[\u0100-\uffff]/.test(s) ? 2 : 1) + 7) & ~7;
    for (let g = 0; g < this.nGids; g++) {
      const key = this.gidKey[g] as string;
      const display = this.gidDisplay[g] as string;
      stringBytes += strBytes(key) + (display === key ? 0 : strBytes(display)) + 16 /* array slots */ + 40;
    }
    for (let d = 0; d < this.size; d++) stringBytes += strBytes(this.ids[d]);
    const typed =
      this.live.byteLength +
      this.start.byteLength +
      this.count.byteLength +
      this.nums[0].byteLength * 3 +
      this.pool.byteLength +
      this.gidField.byteLength +
      this.gidNum.byteLength +
      this.ids.length * 8;
    return {
      docs: this.liveCount,
      size: this.size,
      fields: this.fieldKeys.length,
      distinctValues: this.nGids,
      poolEntries: this.poolLen - this.garbage,
      garbageEntries: this.garbage,
      bytes: typed + stringBytes,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Binary snapshot: a little header, the string tables as one JSON document, then the typed arrays
   * (8-byte aligned, platform byte order — little-endian on every platform Node supports in practice).
   */
  serialize(): Uint8Array {
    const size = this.size;
    const counts = this.count.slice(0, size);
    const live = this.live.slice(0, size);
    let entries = 0;
    for (let d = 0; d < size; d++) if (live[d] === 1) entries += counts[d] as number;
    const pool = new Int32Array(entries);
    let p = 0;
    for (let d = 0; d < size; d++) {
      if (live[d] !== 1) {
        counts[d] = 0;
        continue;
      }
      const s = this.start[d] as number;
      pool.set(this.pool.subarray(s, s + (counts[d] as number)), p);
      p += counts[d] as number;
    }
    const strings = new TextEncoder().encode(
      JSON.stringify({
        fields: this.fieldKeys,
        keys: this.gidKey.slice(0, this.nGids),
        displays: this.gidDisplay.slice(0, this.nGids).map((s, g) => (s === this.gidKey[g] ? 0 : s)),
        ids: this.ids.slice(0, size).map((s) => s ?? null),
      }),
    );
    const sections: ArrayBufferView[] = [
      new Uint32Array([MAGIC, FORMAT_VERSION, size, this.nGids, entries, strings.byteLength]),
      strings,
      this.gidField.subarray(0, this.nGids),
      live,
      counts,
      pool,
      this.nums[0].subarray(0, size),
      this.nums[1].subarray(0, size),
      this.nums[2].subarray(0, size),
    ];
    let total = 0;
    for (const s of sections) total = align8(total) + s.byteLength;
    const out = new Uint8Array(total);
    let off = 0;
    for (const s of sections) {
      off = align8(off);
      out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), off);
      off += s.byteLength;
    }
    return out;
  }

  static deserialize(bytes: Uint8Array): DocValues {
    try {
      return DocValues.read(bytes);
    } catch (error) {
      if (error instanceof SoukError) throw error;
      throw snapshotError(error instanceof Error ? error.message : String(error));
    }
  }

  private static read(bytes: Uint8Array): DocValues {
    // A private copy gives aligned typed-array views whatever the caller's buffer offset.
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    let off = 0;
    const take = <T>(make: (offset: number, length: number) => T, length: number, width: number): T => {
      off = align8(off);
      if (off + length * width > buf.byteLength) throw snapshotError('truncated');
      const v = make(off, length);
      off += length * width;
      return v;
    };
    if (buf.byteLength < 24) throw snapshotError('truncated');
    const header = new Uint32Array(buf, 0, 6);
    const [magic, version, size, nGids, entries, stringBytes] = Array.from(header, (x) => x);
    if (magic !== MAGIC) throw snapshotError('not a doc values snapshot');
    if (version !== FORMAT_VERSION) throw snapshotError(`unsupported version ${version}`);
    off = 24;
    const stringsRaw = take((o, n) => new Uint8Array(buf, o, n), stringBytes as number, 1);
    const tables: unknown = JSON.parse(new TextDecoder().decode(stringsRaw));
    const gidField = take((o, n) => new Int32Array(buf, o, n).slice(), nGids as number, 4);
    const live = take((o, n) => new Uint8Array(buf, o, n).slice(), size as number, 1);
    const count = take((o, n) => new Uint32Array(buf, o, n).slice(), size as number, 4);
    const pool = take((o, n) => new Int32Array(buf, o, n).slice(), entries as number, 4);
    const nums = [0, 1, 2].map(() => take((o, n) => new Float64Array(buf, o, n).slice(), size as number, 8));

    if (typeof tables !== 'object' || tables === null) throw snapshotError('bad string tables');
    const { fields, keys, displays, ids } = tables as Record<string, unknown>;
    const isStrings = (a: unknown): a is string[] =>
      Array.isArray(a) && a.every((s) => typeof s === 'string');
    if (!isStrings(fields) || !isStrings(keys) || !Array.isArray(displays) || !Array.isArray(ids)) {
      throw snapshotError('bad string tables');
    }
    if (keys.length !== nGids || displays.length !== nGids || ids.length !== size) {
      throw snapshotError('table sizes do not match the header');
    }
    if (FIXED_FIELDS.some((f, i) => fields[i] !== f)) throw snapshotError('unexpected field table');

    const dv = new DocValues();
    dv.fieldKeys = fields;
    dv.fieldIdByKey = new Map(fields.map((k, i) => [k, i]));
    dv.fieldValueIds = fields.map(() => new Map());
    dv.fieldGids = fields.map(() => []);
    dv.nGids = nGids as number;
    dv.gidField = gidField;
    dv.gidNum = new Float64Array(Math.max(nGids as number, 1));
    dv.gidKey = keys;
    dv.gidDisplay = [];
    for (let g = 0; g < (nGids as number); g++) {
      const fid = gidField[g] as number;
      const key = keys[g] as string;
      if (!(fid >= 0 && fid < fields.length)) throw snapshotError('value with an unknown field');
      const display: unknown = displays[g];
      dv.gidDisplay.push(display === 0 ? key : typeof display === 'string' ? display : key);
      dv.gidNum[g] = fid === FIELD_CATEGORY ? NaN : parseNumber(key);
      dv.fieldValueIds[fid]?.set(key, g);
      dv.fieldGids[fid]?.push(g);
    }
    const start = new Uint32Array(Math.max(size as number, 1));
    let p = 0;
    let liveCount = 0;
    for (let d = 0; d < (size as number); d++) {
      start[d] = p;
      p += count[d] as number;
      if (live[d] === 1) liveCount++;
      else if (live[d] !== 0 || count[d] !== 0) throw snapshotError('bad document table');
    }
    if (p !== entries) throw snapshotError('pool size does not match the document table');
    for (let d = 0; d < (size as number); d++) {
      // Lookups binary-search runs, so a run out of (field, value id) order would silently mis-match.
      let prev = -1;
      for (let i = start[d] as number, end = i + (count[d] as number); i < end; i++) {
        const g = pool[i] as number;
        if (!(g >= 0 && g < (nGids as number))) throw snapshotError('value id out of range');
        const k = (gidField[g] as number) * GID_SPAN + g;
        if (k <= prev) throw snapshotError('document values out of order');
        prev = k;
      }
    }
    dv.size = size as number;
    dv.liveCount = liveCount;
    dv.live = live;
    dv.start = start;
    dv.count = count;
    dv.pool = pool.length > 0 ? pool : new Int32Array(1024);
    dv.poolLen = entries as number;
    dv.garbage = 0;
    dv.nums = nums as [Float64Array, Float64Array, Float64Array];
    dv.ids = ids.map((s: unknown) => (typeof s === 'string' ? s : undefined));
    dv.clearRawCaches();
    return dv;
  }

  // -------------------------------------------------------------------------------------------------
  // Internals

  private fieldId(key: string): number {
    let fid = this.fieldIdByKey.get(key);
    if (fid === undefined) {
      fid = this.fieldKeys.length;
      this.fieldKeys.push(key);
      this.fieldIdByKey.set(key, fid);
      this.fieldValueIds.push(new Map());
      this.fieldGids.push([]);
      this.rawValueIds.push(new Map());
    }
    return fid;
  }

  /** Field id of an attribute as named in a product; −1 for names that normalise to nothing. */
  private attributeFieldId(name: string): number {
    let fid = this.rawAttributeFields.get(name);
    if (fid === undefined) {
      const n = normalizeValue(name);
      fid = n === '' ? -1 : this.fieldId(ATTRIBUTE_PREFIX + n);
      if (this.rawAttributeFields.size < RAW_CACHE_LIMIT) this.rawAttributeFields.set(name, fid);
    }
    return fid;
  }

  private pushGid(g: number): void {
    if (this.scratchLen >= this.scratch.length) this.scratch = growInt32(this.scratch, this.scratchLen + 1);
    this.scratch[this.scratchLen++] = g;
  }

  /** Adds one string, number or boolean value of field fid to the document being set. */
  private addValue(fid: number, v: unknown): void {
    let raw: string;
    if (typeof v === 'string') raw = v;
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return;
      raw = String(v);
    } else if (typeof v === 'boolean') raw = v ? 'true' : 'false';
    else return;
    // Most raw values repeat across products, so the normalised form is looked up before it is computed:
    // first as-is (already normalised), then in a cache of raw spellings.
    let g = (this.fieldValueIds[fid] as Map<string, number>).get(raw);
    if (g === undefined) {
      const rawMap = this.rawValueIds[fid] as Map<string, number>;
      g = rawMap.get(raw);
      if (g === undefined) {
        const key = normalizeValue(raw);
        g = key === '' ? -1 : this.valueId(fid, key, displayForm(raw));
        if (rawMap.size < RAW_CACHE_LIMIT) rawMap.set(raw, g);
      }
    }
    if (g >= 0) this.pushGid(g);
  }

  /** Adds every prefix of one category path (array of segments) to the document being set. */
  private addPath(path: unknown): void {
    if (!Array.isArray(path)) return;
    const cacheKey = path.every((s) => typeof s === 'string') ? path.join('\u001f') : undefined;
    let gids = cacheKey === undefined ? undefined : this.rawPaths.get(cacheKey);
    if (gids === undefined) {
      gids = [];
      let key = '';
      let display = '';
      for (const seg of path) {
        if (typeof seg !== 'string') continue;
        const k = normalizeValue(seg);
        if (k === '') continue;
        key = key === '' ? k : key + PATH_SEP + k;
        display = display === '' ? displayForm(seg) : display + PATH_SEP + displayForm(seg);
        gids.push(this.valueId(FIELD_CATEGORY, key, display));
      }
      if (cacheKey !== undefined && this.rawPaths.size < RAW_CACHE_LIMIT) this.rawPaths.set(cacheKey, gids);
    }
    for (const g of gids) this.pushGid(g);
  }

  /** Value ids change on remap and snapshot load, so the raw-spelling caches start over. */
  private clearRawCaches(): void {
    this.rawValueIds = this.fieldKeys.map(() => new Map());
    this.rawAttributeFields = new Map();
    this.rawPaths = new Map();
  }

  private valueId(fid: number, key: string, display: string): number {
    const map = this.fieldValueIds[fid] as Map<string, number>;
    let g = map.get(key);
    if (g === undefined) {
      g = this.nGids++;
      this.gidField = growInt32(this.gidField, this.nGids);
      this.gidNum = growFloat64(this.gidNum, this.nGids, NaN);
      this.gidField[g] = fid;
      // Category paths are never compared as numbers; a path that happens to be "2024" stays text.
      this.gidNum[g] = fid === FIELD_CATEGORY ? NaN : parseNumber(key);
      this.gidKey.push(key);
      this.gidDisplay.push(display === key ? key : display);
      map.set(key, g);
      (this.fieldGids[fid] as number[]).push(g);
    }
    return g;
  }

  private ensureDocCapacity(min: number): void {
    if (this.live.length >= min) return;
    const cap = Math.max(min, Math.ceil(this.live.length * 1.5), 1024);
    const live = new Uint8Array(cap);
    live.set(this.live);
    const start = new Uint32Array(cap);
    start.set(this.start);
    const count = new Uint32Array(cap);
    count.set(this.count);
    this.live = live;
    this.start = start;
    this.count = count;
    this.nums = [
      growFloat64(this.nums[0], cap, NaN),
      growFloat64(this.nums[1], cap, NaN),
      growFloat64(this.nums[2], cap, NaN),
    ];
    // Filling keeps the array packed; assigning far past its end would turn it into a slow dictionary.
    while (this.ids.length < cap) this.ids.push(undefined);
  }

  private maybeCompact(): void {
    if (this.garbage < 65536 || this.garbage * 2 < this.poolLen) return;
    const pool = new Int32Array(Math.max(this.poolLen - this.garbage, 1024));
    let p = 0;
    for (let d = 0; d < this.size; d++) {
      if (this.live[d] !== 1) continue;
      const s = this.start[d] as number;
      const c = this.count[d] as number;
      pool.set(this.pool.subarray(s, s + c), p);
      this.start[d] = p;
      p += c;
    }
    this.pool = pool;
    this.poolLen = p;
    this.garbage = 0;
  }

  // -------------------------------------------------------------------------------------------------
  // Query understanding: the catalogue's brand and category vocabulary, and one document's values.

  /**
   * Distinct values `brand` or `category` (every path prefix) has seen, in first-seen order. The list only
   * grows, until a remap (vacuum) drops unused values and renumbers.
   */
  valueCount(field: 'brand' | 'category'): number {
    return (this.fieldGids[field === 'brand' ? FIELD_BRAND : FIELD_CATEGORY] as number[]).length;
  }

  /** The i-th distinct value of `brand` or `category`: its normalised key and first-seen display form. */
  valueAt(field: 'brand' | 'category', i: number): { key: string; display: string } | undefined {
    const g = (this.fieldGids[field === 'brand' ? FIELD_BRAND : FIELD_CATEGORY] as number[])[i];
    return g === undefined
      ? undefined
      : { key: this.gidKey[g] as string, display: this.gidDisplay[g] as string };
  }

  /** A document's normalised `brand` values or category paths (every prefix, `a > b`); empty when unset. */
  docValuesOf(docId: number, field: 'brand' | 'category'): string[] {
    const out: string[] = [];
    if (this.live[docId] !== 1) return out;
    const fid = field === 'brand' ? FIELD_BRAND : FIELD_CATEGORY;
    for (let i = this.start[docId] as number, end = i + (this.count[docId] as number); i < end; i++) {
      const g = this.pool[i] as number;
      const f = this.gidField[g] as number;
      if (f === fid) out.push(this.gidKey[g] as string);
      else if (f > fid) break;
    }
    return out;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function toNumber(v: FilterValue): number {
  return typeof v === 'number' ? v : parseNumber(v);
}

function combine(ps: DocPredicate[], all: boolean): DocPredicate {
  if (ps.length === 0) return all ? ALWAYS : NEVER;
  if (ps.length === 1) return ps[0] as DocPredicate;
  if (ps.length === 2) {
    const [a, b] = ps as [DocPredicate, DocPredicate];
    return all ? (d) => a(d) && b(d) : (d) => a(d) || b(d);
  }
  return all
    ? (d) => {
        for (const p of ps) if (!p(d)) return false;
        return true;
      }
    : (d) => {
        for (const p of ps) if (p(d)) return true;
        return false;
      };
}

function toBuckets(bounds: number[], counts: Int32Array, leadMin: number | undefined): PriceBucket[] {
  const out: PriceBucket[] = [];
  if (leadMin !== undefined) out.push({ min: leadMin, max: bounds[0] as number, count: counts[0] as number });
  for (let i = 0; i < bounds.length; i++) {
    const min = bounds[i] as number;
    const count = counts[i + 1] as number;
    out.push(i + 1 < bounds.length ? { min, max: bounds[i + 1] as number, count } : { min, count });
  }
  return out;
}

function packedArray<T>(length: number, fill: T): T[] {
  // `new Array(n)` makes a holey (for large n, dictionary-mode) array; pushing keeps it packed.
  const a: T[] = [];
  for (let i = 0; i < length; i++) a.push(fill);
  return a;
}

/** First index in [lo, hi) whose value belongs to a field ≥ fid; runs are sorted by (field, value id). */
function fieldStart(pool: Int32Array, gidField: Int32Array, lo: number, hi: number, fid: number): number {
  if (fid <= FIELD_CATEGORY) {
    // brand, lang and currency hold at most one value each, so the fixed fields sit at the very start.
    while (lo < hi && (gidField[pool[lo] as number] as number) < fid) lo++;
    return lo;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((gidField[pool[mid] as number] as number) < fid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Evaluation order inside AND/OR: numeric-column tests, then value-run tests, then composites. */
function evaluationRank(node: FilterNode): number {
  switch (node.type) {
    case 'compare':
    case 'range':
    case 'in':
    case 'exists':
      return isNumericField(node.field) ? 0 : 1;
    case 'not':
      return evaluationRank(node.child) + 0.5;
    default:
      return 3;
  }
}
