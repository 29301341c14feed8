import type { Token, TokenKind } from '../text/token.ts';
import { packSections, Sections } from './binary-sections.ts';
import { grow } from './growable.ts';
import { PostingCursors, PostingPool } from './posting-pool.ts';
import { TermTrie } from './term-trie.ts';

/**
 * Our own inverted index: BM25F over a fixed list of fields, postings in per-term typed arrays, documents
 * numbered densely in insertion order. An update appends a new document number and tombstones the old one,
 * so postings stay sorted and nothing is rewritten on the hot path; `vacuum()` compacts.
 */

export const TOKEN_KINDS: readonly TokenKind[] = ['word', 'number', 'cjk-word', 'cjk-char', 'cjk-bigram'];
const KIND_INDEX = new Map<TokenKind, number>(TOKEN_KINDS.map((kind, index) => [kind, index]));
const WORD = 0;
const NUMBER = 1;

/** Largest relative move of a field-length average before a large index recomputes its impacts. */
const IMPACT_DRIFT = 0.01;
/** Below this many posting slots every change of an average recomputes the impacts (exact BM25F). */
const EXACT_IMPACTS_BELOW_SLOTS = 1 << 16;
/** Document numbers a query scores at a time: 2 × 4 B × 4096 of accumulators stay in the L1/L2 cache. */
const WINDOW = 1 << 12;

function isSet(bits: Int32Array, index: number): boolean {
  return (bits[index >>> 5]! & (1 << (index & 31))) !== 0;
}

function setBit(bits: Int32Array, index: number): void {
  bits[index >>> 5]! |= 1 << (index & 31);
}

/** The posting key of a token: Chinese bigrams live in their own key space beside jieba's two-character words. */
export function termKey(token: Pick<Token, 'term' | 'kind'>): string {
  return token.kind === 'cjk-bigram' ? `\u0002${token.term}` : token.term;
}

/** Numbers per candidate in `LexicalIndex.explain` rows. */
export function explainWidth(fieldCount: number): number {
  return 2 * fieldCount + EXPLAIN_EXTRA.length;
}

/** The numbers after the per-field ones in an `explain` row. */
export const EXPLAIN_EXTRA = [
  /** Share of the query's weight matched by exact (not prefix or typo) vocabulary terms. */
  'coverage_exact',
  /** Share of the query's weight matched anywhere. */
  'coverage',
  /** Share of the query's idf (rare words count more) matched anywhere. */
  'coverage_idf',
  /** Largest idf of a query word the product does not match (0 when it matches all). */
  'unmatched_idf_max',
  /** Query words (not alternatives) the product does not match. */
  'unmatched_terms',
  /** Share of the first field's (title's) tokens that are query matches. */
  'title_precision',
] as const;

export interface LexicalIndexOptions {
  /** Field names, in the order documents give their tokens. */
  fields: readonly string[];
  boosts: readonly number[];
  /** Length normalisation per field. */
  b: readonly number[];
  k1: number;
}

export interface QueryTerm {
  term: string;
  surface: string;
  kind: TokenKind;
  /** Weight of this query term in the final score. */
  weight: number;
  /** Also match vocabulary words that start with `surface`. */
  prefix: boolean;
  /** Largest edit distance accepted for typo matches (0 = exact only). */
  maxTypos: number;
  /**
   * For alternative spellings of other query words (a split or joined compound): the query weight a match
   * covers for coordination. Alternatives do not count towards the query's total weight.
   */
  alternativeCredit?: number;
}

export interface MatchOptions {
  /** Most vocabulary terms a prefix or typo expansion may add, per query term. */
  maxExpansions: number;
  /** Weight of a prefix completion relative to an exact match (scaled by how much of the word was typed). */
  prefixWeight: number;
  /** Weight of a match at edit distance 1 and 2, relative to an exact match. */
  typoWeights: readonly [number, number];
  /** Leading characters a typo match must share with the query word (0 allows a typo anywhere). */
  typoExactPrefix: number;
  /** Look for typo corrections only of words found in fewer documents than this. */
  typoMaxFrequency: number;
  /**
   * Exponent of the coordination factor (share of the query's term weight a document matches); 0 turns it
   * off. It lifts documents matching all query words above ones matching a single rare word many times.
   */
  coordination: number;
  /** Keep only documents the predicate accepts. */
  filter?: ((docId: number) => boolean) | undefined;
}

export interface MatchResult {
  /** Matching live documents (in no particular order) and their scores. */
  docIds: Int32Array;
  scores: Float32Array;
  /** Keys of every vocabulary term that contributed, for highlighting. */
  matchedKeys: Set<string>;
  /**
   * Share (0 … 1) of the query's weight that the best-covered matching document matches: 1 when some
   * product matches every query word, lower when words are unknown to the catalogue (fusion trusts the
   * lexical source less then).
   */
  bestCoverage: number;
}

interface Expansion {
  termId: number;
  weight: number;
}

export class LexicalIndex {
  readonly fieldCount: number;
  private readonly options: LexicalIndexOptions;

  // Vocabulary
  private readonly termIds = new Map<string, number>();
  private termKeys: string[] = [];
  private termKinds: Uint8Array = new Uint8Array(1024);
  /** Postings: document number and fieldCount term frequencies (capped at 255) each. */
  private postings: PostingPool;
  /** Live documents containing the term. */
  private documentFrequency: Int32Array = new Int32Array(1024);
  /** Surface forms (unstemmed words, numbers) → term ids, for prefixes and typos. */
  private readonly surfaces = new TermTrie();
  private surfaceList: string[] = [];
  private surfaceTerms: number[] = [];
  private readonly surfaceTermIds = new Map<string, number>();

  // Documents
  private externalIds: string[] = [];
  private readonly docIds = new Map<string, number>();
  /** One bit per document number, set while it is live: 1M documents in 128 KB, which stays in cache. */
  private liveBits: Int32Array = new Int32Array(32);
  private docCapacity = 1024;
  private fieldLengths: Uint16Array;
  private docTermStart: Int32Array = new Int32Array(1024);
  private docTermCount: Int32Array = new Int32Array(1024);
  private docTermPool: Int32Array = new Int32Array(8192);
  private docTermPoolLength = 0;
  private documentCount = 0;
  private liveCount = 0;
  private fieldLengthSums: Float64Array;

  // Scratch space for counting one document's terms: per term, the last document that used it and its slot.
  private termLastDoc: Int32Array = new Int32Array(1024).fill(-1);
  private termSlot: Int32Array = new Int32Array(1024);
  private slotTerms: Int32Array = new Int32Array(256);
  private slotTfs: Uint8Array = new Uint8Array(256 * 8);

  // Scratch space reused by every query (the engine runs queries one at a time).
  /** Per document of a window (see match): score so far, then matched query weight, side by side. */
  private readonly totals = new Float32Array(2 * WINDOW);
  private readonly best = new Float32Array(WINDOW);
  private readonly touched = new Int32Array(WINDOW);
  private readonly tokenTouched = new Int32Array(WINDOW);
  private readonly cursors = new PostingCursors();

  /** Field-length averages the postings' impacts were computed with (NaN: not yet), and their norms. */
  private readonly impactAverages: Float64Array;
  private readonly impactNormA: Float64Array;
  private readonly impactNormB: Float64Array;

  constructor(options: LexicalIndexOptions) {
    this.options = options;
    this.fieldCount = options.fields.length;
    this.fieldLengths = new Uint16Array(1024 * this.fieldCount);
    this.postings = new PostingPool(this.fieldCount);
    this.fieldLengthSums = new Float64Array(this.fieldCount);
    // Never computed yet (NaN): postings appended before the first refresh use averages of 1.
    this.impactAverages = new Float64Array(this.fieldCount).fill(NaN);
    this.impactNormA = Float64Array.from(options.b, (b) => 1 - b);
    this.impactNormB = Float64Array.from(options.b);
  }

  get size(): number {
    return this.liveCount;
  }
  /** Document numbers in use, live or tombstoned (the next document gets this number). */
  get capacity(): number {
    return this.documentCount;
  }
  get tombstones(): number {
    return this.documentCount - this.liveCount;
  }
  get vocabularySize(): number {
    return this.termKeys.length;
  }

  has(id: string): boolean {
    return this.docIds.has(id);
  }
  docIdOf(id: string): number | undefined {
    return this.docIds.get(id);
  }
  externalId(docId: number): string {
    return this.externalIds[docId]!;
  }
  isLive(docId: number): boolean {
    return isSet(this.liveBits, docId);
  }

  /** Adds or replaces a document; `fields[i]` are the tokens of field i. Returns its document number. */
  upsert(id: string, fields: ReadonlyArray<readonly Token[]>): number {
    this.remove(id);
    const F = this.fieldCount;
    const docId = this.documentCount++;
    this.ensureDocCapacity(docId + 1);
    this.externalIds[docId] = id;
    this.docIds.set(id, docId);
    setBit(this.liveBits, docId);
    this.liveCount++;

    // Count term frequencies per field in reusable scratch arrays (no allocation per document).
    const slots = this.slotTerms;
    let slotCount = 0;
    for (let f = 0; f < F; f++) {
      const tokens = fields[f] ?? [];
      const length = Math.min(tokens.length, 65535);
      this.fieldLengths[docId * F + f] = length;
      this.fieldLengthSums[f]! += length;
      for (const token of tokens) {
        const termId = this.intern(token);
        let slot: number;
        if (this.termLastDoc[termId] === docId) {
          slot = this.termSlot[termId]!;
        } else {
          slot = slotCount++;
          this.termLastDoc[termId] = docId;
          this.termSlot[termId] = slot;
          if (slot >= slots.length) {
            this.slotTerms = grow(this.slotTerms, slot + 1);
            this.slotTfs = grow(this.slotTfs, (slot + 1) * F);
          }
          this.slotTerms[slot] = termId;
          this.slotTfs.fill(0, slot * F, slot * F + F);
        }
        const at = slot * F + f;
        if (this.slotTfs[at]! < 255) this.slotTfs[at]!++;
      }
    }

    this.docTermStart[docId] = this.docTermPoolLength;
    this.docTermCount[docId] = slotCount;
    this.docTermPool = grow(this.docTermPool, this.docTermPoolLength + slotCount);
    for (let slot = 0; slot < slotCount; slot++) {
      const termId = this.slotTerms[slot]!;
      this.docTermPool[this.docTermPoolLength++] = termId;
      this.postings.append(
        termId,
        docId,
        this.slotTfs,
        slot * F,
        this.impactOf(docId, this.slotTfs, slot * F),
      );
      this.documentFrequency[termId]!++;
    }
    return docId;
  }

  /** Tombstones a document; its postings are dropped by the next vacuum. */
  remove(id: string): boolean {
    const docId = this.docIds.get(id);
    if (docId === undefined) return false;
    this.docIds.delete(id);
    this.liveBits[docId >>> 5]! &= ~(1 << (docId & 31));
    this.liveCount--;
    const F = this.fieldCount;
    for (let f = 0; f < F; f++) this.fieldLengthSums[f]! -= this.fieldLengths[docId * F + f]!;
    const start = this.docTermStart[docId]!;
    const end = start + this.docTermCount[docId]!;
    for (let i = start; i < end; i++) this.documentFrequency[this.docTermPool[i]!]!--;
    return true;
  }

  /** Live document numbers in insertion order. */
  liveDocIds(): Int32Array {
    const out = new Int32Array(this.liveCount);
    let n = 0;
    for (let docId = 0; docId < this.documentCount; docId++)
      if (isSet(this.liveBits, docId)) out[n++] = docId;
    return out;
  }

  termId(key: string): number | undefined {
    return this.termIds.get(key);
  }

  /** Live documents containing the term (0 for unknown terms). */
  frequency(key: string): number {
    const termId = this.termIds.get(key);
    return termId === undefined ? 0 : this.documentFrequency[termId]!;
  }

  /** Vocabulary terms a query term matches, with their weights relative to an exact match. */
  expand(
    query: QueryTerm,
    options: Pick<
      MatchOptions,
      'maxExpansions' | 'prefixWeight' | 'typoWeights' | 'typoExactPrefix' | 'typoMaxFrequency'
    >,
  ): Expansion[] {
    const best = new Map<number, number>();
    const offer = (termId: number, weight: number): void => {
      if (this.documentFrequency[termId] === 0) return;
      if ((best.get(termId) ?? 0) < weight) best.set(termId, weight);
    };
    const exact = this.termIds.get(termKey(query));
    if (exact !== undefined) offer(exact, 1);
    const kind = KIND_INDEX.get(query.kind)!;
    if (kind === WORD || kind === NUMBER) {
      const surfaceTerm = this.surfaces.get(query.surface);
      if (surfaceTerm !== -1) offer(surfaceTerm, 1);
      if (query.prefix) {
        const typed = query.surface.length;
        this.surfaces.forEachPrefix(query.surface, options.maxExpansions + 1, (termId, length) => {
          if (length > typed) offer(termId, options.prefixWeight * (0.5 + (0.5 * typed) / length));
        });
      }
      // A word the catalogue already uses often is rarely a typo: its corrections would only add noise (and
      // the trie walk is the costliest step of a query).
      const exactFrequency = exact === undefined ? 0 : this.documentFrequency[exact]!;
      if (query.maxTypos > 0 && kind === WORD && exactFrequency < options.typoMaxFrequency) {
        let added = 0;
        this.surfaces.forEachWithin(
          query.surface,
          query.maxTypos,
          (termId, distance) => {
            if (distance === 0 || added >= options.maxExpansions || this.termKinds[termId] !== WORD) return;
            added++;
            offer(termId, options.typoWeights[distance - 1] ?? 0);
          },
          options.typoExactPrefix,
        );
      }
    }
    return [...best].map(([termId, weight]) => ({ termId, weight }));
  }

  /**
   * Alternatives for compounds spelled apart or together: adjacent query words whose concatenation is a
   * catalogue word ("deck over" → "deckover"), and a word missing from the catalogue that splits into two
   * catalogue words ("rainbird" → "rain" + "bird").
   */
  compoundAlternatives(query: readonly QueryTerm[], minSplitLength = 6): QueryTerm[] {
    const out: QueryTerm[] = [];
    const words = query.filter((term) => term.kind === 'word' && term.alternativeCredit === undefined);
    for (let i = 0; i + 1 < words.length; i++) {
      const left = words[i]!;
      const right = words[i + 1]!;
      const joined = left.surface + right.surface;
      const termId = this.surfaceTermIds.get(joined);
      if (termId === undefined || this.documentFrequency[termId] === 0) continue;
      out.push({
        term: this.termKeys[termId]!,
        surface: joined,
        kind: 'word',
        weight: Math.max(left.weight, right.weight),
        prefix: false,
        maxTypos: 0,
        alternativeCredit: left.weight + right.weight,
      });
    }
    for (const word of words) {
      const known = this.surfaceTermIds.get(word.surface);
      if ((known !== undefined && this.documentFrequency[known]! > 0) || word.surface.length < minSplitLength)
        continue;
      let best: [number, number, number] | undefined;
      for (let at = 2; at <= word.surface.length - 2; at++) {
        const head = this.surfaceTermIds.get(word.surface.slice(0, at));
        const tail = this.surfaceTermIds.get(word.surface.slice(at));
        if (head === undefined || tail === undefined) continue;
        const support = Math.min(this.documentFrequency[head]!, this.documentFrequency[tail]!);
        if (support > 0 && (!best || support > best[2])) best = [head, tail, support];
      }
      if (!best) continue;
      for (const termId of [best[0], best[1]]) {
        out.push({
          term: this.termKeys[termId]!,
          surface: this.termKeys[termId]!,
          kind: 'word',
          weight: word.weight,
          prefix: false,
          maxTypos: 0,
          alternativeCredit: word.weight / 2,
        });
      }
    }
    return out;
  }

  /**
   * Scores every live document matching at least one query term. A query term contributes its best
   * expansion per document (an exact match and a typo of the same word do not add up).
   */
  match(query: readonly QueryTerm[], options: MatchOptions): MatchResult {
    this.refreshImpacts();
    const { k1 } = this.options;
    const N = Math.max(this.liveCount, 1);
    const D = this.documentCount;
    let totalWeight = 0;
    for (const term of query) if (term.alternativeCredit === undefined) totalWeight += term.weight;
    const matchedKeys = new Set<string>();
    const pool = this.postings;

    // Every expansion of every query term becomes a cursor over its postings (ascending document numbers:
    // numbers only grow, and vacuum keeps their order); a query term owns cursors [first, first + count).
    const cursors = this.cursors;
    const termFirst: number[] = [];
    const termCount: number[] = [];
    const termCredit: number[] = [];
    let cursorCount = 0;
    let postings = 0;
    for (const term of query) {
      const expansions = this.expand(term, options);
      if (expansions.length === 0) continue;
      // One idf for all of a word's expansions, from the most frequent one: a rare misspelling in the
      // catalogue must not outrank the correctly spelled word the shopper meant.
      let df = 0;
      for (const { termId } of expansions) df = Math.max(df, this.documentFrequency[termId]!);
      const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
      termFirst.push(cursorCount);
      termCount.push(expansions.length);
      termCredit.push(term.alternativeCredit ?? term.weight);
      for (const { termId, weight } of expansions) {
        matchedKeys.add(this.termKeys[termId]!);
        cursors.open(cursorCount++, pool, termId, idf * weight * term.weight * (k1 + 1));
        postings += pool.length(termId);
      }
    }

    // Term at a time within windows of WINDOW document numbers: the window's accumulators stay in the
    // CPU cache, where one accumulator per document of a 1M catalogue (8 MB) missed it on nearly every
    // posting. Per document the terms still add up in query order, so scores are as before.
    const totals = this.totals;
    const best = this.best;
    const touched = this.touched;
    const tokenTouched = this.tokenTouched;
    const liveBits = this.liveBits;
    const docs = pool.docs;
    const impacts = pool.impacts;
    const slots = cursors.slot;
    const ends = cursors.end;
    const filter = options.filter;
    const coordination = options.coordination;
    // No more matches than postings, nor than documents.
    const docIds = new Int32Array(Math.min(D, postings));
    const out = new Float32Array(docIds.length);
    let n = 0;
    let bestCoverage = 0;
    const terms = termFirst.length;
    for (let low = 0; low < D && cursorCount > 0; low += WINDOW) {
      const high = Math.min(D, low + WINDOW);
      let touchedCount = 0;
      for (let t = 0; t < terms; t++) {
        const first = termFirst[t]!;
        const last = first + termCount[t]!;
        const credit = termCredit[t]!;
        // A word with one expansion (most of them) adds straight into the totals; with several, a document
        // scores its best expansion, gathered first.
        const single = last - first === 1;
        let tokenCount = 0;
        for (let c = first; c < last; c++) {
          const factor = cursors.factor[c]!;
          let slot = slots[c]!;
          let end = ends[c]!;
          for (;;) {
            for (; slot < end; slot++) {
              const docId = docs[slot]!;
              if (docId >= high) break;
              if ((liveBits[docId >>> 5]! & (1 << (docId & 31))) === 0) continue;
              const score = factor * impacts[slot]!;
              // A match in fields boosted 0 only: nothing to add (and 0 marks an untouched document).
              if (score === 0) continue;
              const local = docId - low;
              if (single) {
                const at = 2 * local;
                if (totals[at] === 0) touched[touchedCount++] = local;
                totals[at]! += score;
                totals[at + 1]! += credit;
                continue;
              }
              const previous = best[local]!;
              if (previous === 0) tokenTouched[tokenCount++] = local;
              if (score > previous) best[local] = score;
            }
            if (slot < end || !cursors.nextBlock(c, docs)) break;
            slot = slots[c]!;
            end = ends[c]!;
          }
          slots[c] = slot;
        }
        for (let i = 0; i < tokenCount; i++) {
          const local = tokenTouched[i]!;
          const at = 2 * local;
          if (totals[at] === 0) touched[touchedCount++] = local;
          totals[at]! += best[local]!;
          totals[at + 1]! += credit;
          best[local] = 0;
        }
      }
      for (let i = 0; i < touchedCount; i++) {
        const local = touched[i]!;
        const at = 2 * local;
        let score = totals[at]!;
        const coverage = Math.min(1, totals[at + 1]! / totalWeight);
        if (coordination === 1) score *= coverage;
        else if (coordination !== 0) score *= Math.pow(coverage, coordination);
        totals[at] = 0;
        totals[at + 1] = 0;
        const docId = low + local;
        if (filter && !filter(docId)) continue;
        if (coverage > bestCoverage) bestCoverage = coverage;
        docIds[n] = docId;
        out[n++] = score;
      }
    }
    return { docIds: docIds.subarray(0, n), scores: out.subarray(0, n), matchedKeys, bestCoverage };
  }

  /**
   * Brings the postings' impacts (PostingPool.impacts) up to date with the field-length averages. Exact
   * BM25F while the index is small (any change of an average recomputes, which costs less than a query);
   * past that, only once an average has moved by more than IMPACT_DRIFT since the impacts were computed:
   * length normalisation 1% off reorders nothing that matters, while a pass over the 20M postings of a
   * 1M-product catalogue takes a few hundred ms. New postings always use the averages in force.
   */
  private refreshImpacts(): void {
    const F = this.fieldCount;
    let drift = 0;
    for (let f = 0; f < F; f++) {
      const used = this.impactAverages[f]!;
      const average = this.averageFieldLength(f);
      drift = Math.max(drift, Number.isNaN(used) ? Infinity : Math.abs(average - used) / used);
    }
    if (drift === 0) return;
    if (drift <= IMPACT_DRIFT && this.postings.slotsUsed > EXACT_IMPACTS_BELOW_SLOTS) return;
    this.useImpactAverages(Float64Array.from({ length: F }, (_, f) => this.averageFieldLength(f)));
    // Every posting once: a few hundred ms at 1M products (inlining the block walk measured no faster).
    const pool = this.postings;
    for (let termId = 0; termId < this.termKeys.length; termId++) {
      pool.forEachBlock(termId, (start, n) => {
        for (let slot = start; slot < start + n; slot++) {
          pool.impacts[slot] = this.impactOf(pool.docs[slot]!, pool.tfs, slot * F);
        }
      });
    }
  }

  /** The scoring parameters posting impacts depend on, as a key. */
  private impactParameters(): string {
    const { boosts, b, k1 } = this.options;
    return JSON.stringify({ boosts, b, k1 });
  }

  /** Field-length averages for the impacts from here on (computed now, or the ones saved impacts had). */
  private useImpactAverages(averages: Float64Array): void {
    const { b } = this.options;
    for (let f = 0; f < this.fieldCount; f++) {
      const average = averages[f]!;
      this.impactAverages[f] = average;
      this.impactNormA[f] = 1 - b[f]!;
      this.impactNormB[f] = b[f]! / average;
    }
  }

  /** Mean length of a field over the live documents (1 for an empty index, so norms stay finite). */
  private averageFieldLength(field: number): number {
    return this.fieldLengthSums[field]! / Math.max(this.liveCount, 1) || 1;
  }

  /** A posting's tf / (tf + k1), tf the boosted, length-normalised frequency over the document's fields. */
  private impactOf(docId: number, tfs: Uint8Array, base: number): number {
    const F = this.fieldCount;
    const { boosts, k1 } = this.options;
    const lengths = docId * F;
    let tf = 0;
    for (let f = 0; f < F; f++) {
      const count = tfs[base + f]!;
      if (count !== 0) {
        tf +=
          (boosts[f]! * count) /
          (this.impactNormA[f]! + this.impactNormB[f]! * this.fieldLengths[lengths + f]!);
      }
    }
    return tf / (tf + k1);
  }

  /** Drops tombstoned documents; returns the old → new document number map (-1 for dropped ones). */
  vacuum(): Int32Array {
    const F = this.fieldCount;
    const mapping = new Int32Array(this.documentCount).fill(-1);
    let next = 0;
    for (let docId = 0; docId < this.documentCount; docId++)
      if (isSet(this.liveBits, docId)) mapping[docId] = next++;

    this.postings = this.postings.compact(this.termKeys.length, mapping);

    const pool = new Int32Array(Math.max(8, this.docTermPoolLength));
    let poolLength = 0;
    const externalIds: string[] = [];
    for (let docId = 0; docId < this.documentCount; docId++) {
      const target = mapping[docId]!;
      if (target === -1) continue;
      externalIds[target] = this.externalIds[docId]!;
      this.docIds.set(this.externalIds[docId]!, target);
      this.fieldLengths.copyWithin(target * F, docId * F, docId * F + F);
      const start = this.docTermStart[docId]!;
      const count = this.docTermCount[docId]!;
      pool.set(this.docTermPool.subarray(start, start + count), poolLength);
      this.docTermStart[target] = poolLength;
      this.docTermCount[target] = count;
      poolLength += count;
    }
    this.externalIds = externalIds;
    this.docTermPool = pool;
    this.docTermPoolLength = poolLength;
    this.liveBits.fill(0);
    for (let docId = 0; docId < next; docId++) setBit(this.liveBits, docId);
    // Document numbers are reused from here on: forget which document last counted each term.
    this.termLastDoc.fill(-1);
    this.documentCount = next;
    return mapping;
  }

  /**
   * Lays the postings out again, each term in one block of exactly its postings, when more than a
   * quarter of the pool is slack: after a bulk load the doubling blocks leave about a third of the slots
   * empty (at 1M products 18.3M slots for 13.3M postings). Nothing a query sees changes. Returns whether
   * it did.
   */
  tightenPostings(): boolean {
    const terms = this.termKeys.length;
    let postings = 0;
    for (let termId = 0; termId < terms; termId++) postings += this.postings.length(termId);
    if (this.postings.slotsUsed <= 1.25 * (postings + terms)) return false;
    this.postings = this.postings.compact(terms);
    return true;
  }

  /** Approximate bytes held by the index structures. */
  byteSize(): number {
    let bytes = this.liveBits.byteLength + this.fieldLengths.byteLength + this.docTermPool.byteLength;
    bytes += this.docTermStart.byteLength + this.docTermCount.byteLength;
    return bytes + this.postings.byteSize();
  }

  serialize(): Uint8Array {
    const F = this.fieldCount;
    const terms = this.termKeys.length;
    const postingLength = new Int32Array(terms);
    let postings = 0;
    for (let termId = 0; termId < terms; termId++)
      postings += postingLength[termId] = this.postings.length(termId);
    const docs = new Int32Array(postings);
    const tfs = new Uint8Array(postings * F);
    const impacts = new Float32Array(postings);
    let offset = 0;
    const pool = this.postings;
    for (let termId = 0; termId < terms; termId++) {
      pool.forEachBlock(termId, (start, n) => {
        docs.set(pool.docs.subarray(start, start + n), offset);
        tfs.set(pool.tfs.subarray(start * F, (start + n) * F), offset * F);
        impacts.set(pool.impacts.subarray(start, start + n), offset);
        offset += n;
      });
    }
    const D = this.documentCount;
    return packSections({
      meta: JSON.stringify({
        fields: this.options.fields,
        documentCount: D,
        liveCount: this.liveCount,
        impactsFor: this.impactParameters(),
      }),
      // Saved so that start-up need not recompute them (1.3–1.9 s at 1M products).
      postingImpacts: impacts,
      impactAverages: this.impactAverages,
      termKeys: this.termKeys.join('\u0000'),
      termKinds: this.termKinds.slice(0, terms),
      postingLength,
      documentFrequency: this.documentFrequency.slice(0, terms),
      postingDocs: docs,
      postingTfs: tfs,
      surfaces: this.surfaceList.join('\u0000'),
      surfaceTerms: Int32Array.from(this.surfaceTerms),
      externalIds: this.externalIds.slice(0, D).join('\u0000'),
      alive: Uint8Array.from({ length: D }, (_, docId) => (isSet(this.liveBits, docId) ? 1 : 0)),
      fieldLengths: this.fieldLengths.slice(0, D * F),
      fieldLengthSums: this.fieldLengthSums,
      docTermStart: this.docTermStart.slice(0, D),
      docTermCount: this.docTermCount.slice(0, D),
      docTermPool: this.docTermPool.slice(0, this.docTermPoolLength),
    });
  }

  static deserialize(bytes: Uint8Array, options: LexicalIndexOptions): LexicalIndex {
    const sections = new Sections(bytes);
    const meta = JSON.parse(sections.string('meta')) as {
      fields: string[];
      documentCount: number;
      liveCount: number;
      impactsFor?: string;
    };
    if (meta.fields.join() !== options.fields.join()) {
      throw new Error(`snapshot fields ${meta.fields.join()} differ from ${options.fields.join()}`);
    }
    const index = new LexicalIndex(options);
    const termKeysJoined = sections.string('termKeys');
    index.termKeys = termKeysJoined === '' ? [] : termKeysJoined.split('\u0000');
    const terms = index.termKeys.length;
    index.termKinds = sections.uint8('termKinds');
    const postingLength = sections.int32('postingLength');
    index.documentFrequency = sections.int32('documentFrequency');
    // Copied into the posting pool below: read in place.
    const docs = sections.int32View('postingDocs');
    const tfs = sections.uint8View('postingTfs');
    // Impacts saved with the same scoring parameters are taken as they are.
    const savedImpacts = meta.impactsFor === index.impactParameters();
    const impacts = savedImpacts ? sections.float32View('postingImpacts') : undefined;
    index.growTermScratch(terms);
    let slots = 0;
    for (let termId = 0; termId < terms; termId++) slots += PostingPool.slotsForRun(postingLength[termId]!);
    index.postings.reserve(slots);
    let offset = 0;
    for (let termId = 0; termId < terms; termId++) {
      index.termIds.set(index.termKeys[termId]!, termId);
      const length = postingLength[termId]!;
      index.postings.appendRun(termId, docs, tfs, offset, length, impacts);
      offset += length;
    }
    const surfacesJoined = sections.string('surfaces');
    const surfaceTerms = sections.int32('surfaceTerms');
    index.surfaceList = surfacesJoined === '' ? [] : surfacesJoined.split('\u0000');
    index.surfaceTerms = Array.from(surfaceTerms);
    index.surfaceList.forEach((surface, i) => {
      index.surfaceTermIds.set(surface, surfaceTerms[i]!);
      index.surfaces.insert(surface, surfaceTerms[i]!);
    });
    const externalJoined = sections.string('externalIds');
    index.externalIds = meta.documentCount === 0 ? [] : externalJoined.split('\u0000');
    const alive = sections.uint8('alive');
    // The other per-document arrays come back exactly this long.
    index.docCapacity = alive.length;
    index.liveBits = new Int32Array(Math.ceil(alive.length / 32));
    for (let docId = 0; docId < alive.length; docId++) {
      if (alive[docId] === 1) setBit(index.liveBits, docId);
    }
    index.fieldLengths = sections.uint16('fieldLengths');
    index.fieldLengthSums = sections.float64('fieldLengthSums');
    index.docTermStart = sections.int32('docTermStart');
    index.docTermCount = sections.int32('docTermCount');
    index.docTermPool = sections.int32('docTermPool');
    index.docTermPoolLength = index.docTermPool.length;
    index.documentCount = meta.documentCount;
    index.liveCount = meta.liveCount;
    for (let docId = 0; docId < meta.documentCount; docId++) {
      if (alive[docId] === 1) index.docIds.set(index.externalIds[docId]!, docId);
    }
    if (savedImpacts) index.useImpactAverages(sections.float64('impactAverages'));
    // Computed here when not saved (or saved under other parameters); otherwise only if the saved
    // averages drifted from the lengths (they never do: they were saved together).
    index.refreshImpacts();
    return index;
  }

  private intern(token: Token): number {
    const isSurfaceKind = token.kind === 'word' || token.kind === 'number';
    // A surface form always analyses to the same term, so one lookup serves the common case.
    if (isSurfaceKind) {
      const known = this.surfaceTermIds.get(token.surface);
      if (known !== undefined) return known;
    }
    const key = token.kind === 'cjk-bigram' ? termKey(token) : token.term;
    let termId = this.termIds.get(key);
    if (termId === undefined) {
      termId = this.termKeys.length;
      this.termIds.set(key, termId);
      this.termKeys.push(key);
      this.termKinds = grow(this.termKinds, termId + 1);
      this.termKinds[termId] = KIND_INDEX.get(token.kind)!;
      this.documentFrequency = grow(this.documentFrequency, termId + 1);
      this.growTermScratch(termId + 1);
    }
    if (isSurfaceKind) {
      this.surfaceTermIds.set(token.surface, termId);
      this.surfaceList.push(token.surface);
      this.surfaceTerms.push(termId);
      this.surfaces.insert(token.surface, termId);
    }
    return termId;
  }

  private growTermScratch(length: number): void {
    if (length <= this.termLastDoc.length) return;
    const previous = this.termLastDoc.length;
    this.termLastDoc = grow(this.termLastDoc, length);
    this.termLastDoc.fill(-1, previous);
    this.termSlot = grow(this.termSlot, length);
  }

  /**
   * Per-field evidence for a few candidate documents (for a learned ranker): for each candidate, per field,
   * the BM25 of the query in that field and the share of the query's weight the field matches; then the
   * `EXPLAIN_EXTRA` numbers. Row layout: `explainWidth(fieldCount)` numbers per candidate, in the order of
   * `candidates`.
   */
  explain(
    query: readonly QueryTerm[],
    candidates: Int32Array,
    options: Pick<
      MatchOptions,
      'maxExpansions' | 'prefixWeight' | 'typoWeights' | 'typoExactPrefix' | 'typoMaxFrequency'
    >,
  ): Float32Array {
    const F = this.fieldCount;
    const width = explainWidth(F);
    const C = candidates.length;
    const out = new Float32Array(C * width);
    if (C === 0) return out;
    const { k1, b } = this.options;
    const N = Math.max(this.liveCount, 1);
    const slotOf = new Map<number, number>();
    candidates.forEach((docId, slot) => slotOf.set(docId, slot));
    let totalWeight = 0;
    for (const term of query) if (term.alternativeCredit === undefined) totalWeight += term.weight;
    if (totalWeight === 0) return out;
    const termBest = new Float64Array(C * F);
    const exactHit = new Uint8Array(C);
    const titleCount = new Uint16Array(C);
    const matchedIdf = new Float64Array(C);
    const unmatchedIdf = new Float64Array(C);
    const unmatched = new Uint16Array(C);
    const titleMatched = new Float64Array(C);
    // A word the catalogue does not know is as rare as a word can be.
    const unknownIdf = Math.log(1 + (N + 0.5) / 0.5);
    let totalIdf = 0;
    for (const term of query) {
      const primary = term.alternativeCredit === undefined;
      const expansions = this.expand(term, options);
      let df = 0;
      for (const { termId } of expansions) df = Math.max(df, this.documentFrequency[termId]!);
      const idf = expansions.length === 0 ? unknownIdf : Math.log(1 + (N - df + 0.5) / (df + 0.5));
      if (primary) totalIdf += idf * term.weight;
      if (expansions.length === 0) {
        if (primary) {
          for (let slot = 0; slot < C; slot++) {
            unmatched[slot]!++;
            unmatchedIdf[slot] = Math.max(unmatchedIdf[slot]!, idf);
          }
        }
        continue;
      }
      termBest.fill(0);
      exactHit.fill(0);
      titleCount.fill(0);
      for (const { termId, weight } of expansions) {
        this.postings.forEachBlock(termId, (start, n) => {
          for (let s = start; s < start + n; s++) {
            const slot = slotOf.get(this.postings.docs[s]!);
            if (slot === undefined) continue;
            const docId = candidates[slot]!;
            if (weight >= 1) exactHit[slot] = 1;
            const inTitle = this.postings.tfs[s * F]!;
            if (inTitle > titleCount[slot]!) titleCount[slot] = inTitle;
            for (let f = 0; f < F; f++) {
              const count = this.postings.tfs[s * F + f]!;
              if (count === 0) continue;
              const average = this.averageFieldLength(f);
              const norm = 1 - b[f]! + (b[f]! * this.fieldLengths[docId * F + f]!) / average;
              const tf = count / norm;
              const score = (idf * weight * term.weight * (k1 + 1) * tf) / (tf + k1);
              if (score > termBest[slot * F + f]!) termBest[slot * F + f] = score;
            }
          }
        });
      }
      const credit = (term.alternativeCredit ?? term.weight) / totalWeight;
      for (let slot = 0; slot < C; slot++) {
        const row = slot * width;
        let anywhere = false;
        for (let f = 0; f < F; f++) {
          const score = termBest[slot * F + f]!;
          if (score === 0) continue;
          anywhere = true;
          out[row + f]! += score;
          out[row + F + f] = Math.min(1, out[row + F + f]! + credit);
        }
        titleMatched[slot]! += titleCount[slot]!;
        if (!anywhere) {
          if (primary) {
            unmatched[slot]!++;
            unmatchedIdf[slot] = Math.max(unmatchedIdf[slot]!, idf);
          }
          continue;
        }
        if (primary) matchedIdf[slot]! += idf * term.weight;
        if (exactHit[slot] === 1) out[row + 2 * F] = Math.min(1, out[row + 2 * F]! + credit);
        out[row + 2 * F + 1] = Math.min(1, out[row + 2 * F + 1]! + credit);
      }
    }
    for (let slot = 0; slot < C; slot++) {
      const row = slot * width + 2 * F;
      out[row + 2] = totalIdf > 0 ? Math.min(1, matchedIdf[slot]! / totalIdf) : 0;
      out[row + 3] = unmatchedIdf[slot]!;
      out[row + 4] = unmatched[slot]!;
      const titleLength = this.fieldLengths[candidates[slot]! * F]!;
      out[row + 5] = titleLength > 0 ? Math.min(1, titleMatched[slot]! / titleLength) : 0;
    }
    return out;
  }

  /** One more than the highest document number in use (newer writes get higher numbers). */
  get documentNumberLimit(): number {
    return this.documentCount;
  }

  /** Length (in tokens) of a document's field. */
  fieldLength(docId: number, field: number): number {
    return this.fieldLengths[docId * this.fieldCount + field] ?? 0;
  }

  private ensureDocCapacity(length: number): void {
    if (length <= this.docCapacity) return;
    this.docCapacity = Math.max(8, this.docCapacity);
    while (this.docCapacity < length) this.docCapacity *= 2;
    this.liveBits = grow(this.liveBits, Math.ceil(this.docCapacity / 32));
    this.fieldLengths = grow(this.fieldLengths, this.docCapacity * this.fieldCount);
    this.docTermStart = grow(this.docTermStart, this.docCapacity);
    this.docTermCount = grow(this.docTermCount, this.docCapacity);
  }

  /**
   * The distinct term ids of a document (any field), as a view into the index: read it, never write it,
   * and do not keep it across writes. Empty for a document number never used. For query understanding
   * (size words and measures of a candidate) and ranking features.
   */
  documentTermIds(docId: number): Int32Array {
    if (!(docId >= 0 && docId < this.documentCount)) return new Int32Array(0);
    const start = this.docTermStart[docId]!;
    return this.docTermPool.subarray(start, start + this.docTermCount[docId]!);
  }

  /** The posting key of a term id (what `termKey` gives for its tokens); term ids never change meaning. */
  termKeyOf(termId: number): string | undefined {
    return this.termKeys[termId];
  }

  /**
   * The catalogue word closest to `word` ("did you mean"): the vocabulary word within `maxDistance` edits
   * (Damerau–Levenshtein, the first `exactPrefix` letters kept) with the fewest edits, then the most live
   * products. The word itself does not count. Words only (no numbers), found in at least one live product.
   */
  correction(
    word: string,
    maxDistance: number,
    exactPrefix = 0,
  ): { surface: string; key: string; frequency: number; distance: number } | undefined {
    let best: { surface: string; key: string; frequency: number; distance: number } | undefined;
    this.surfaces.forEachWithin(
      word,
      maxDistance,
      (termId, distance, path, length) => {
        if (distance === 0 || this.termKinds[termId] !== WORD) return;
        const frequency = this.documentFrequency[termId]!;
        if (frequency === 0) return;
        if (best && (distance > best.distance || (distance === best.distance && frequency <= best.frequency)))
          return;
        const surface = String.fromCharCode(...path.subarray(1, length + 1));
        if (surface === word) return;
        best = { surface, key: this.termKeys[termId]!, frequency, distance };
      },
      exactPrefix,
    );
    return best;
  }
}
