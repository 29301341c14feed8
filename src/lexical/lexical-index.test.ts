import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Token } from '../text/token.ts';
import type { MatchOptions, QueryTerm } from './lexical-index.ts';
import { LexicalIndex } from './lexical-index.ts';

function words(...list: string[]): Token[] {
  return list.map((word, position) => ({
    term: word,
    surface: word,
    kind: 'word' as const,
    start: 0,
    end: word.length,
    position,
  }));
}

function term(word: string, extra: Partial<QueryTerm> = {}): QueryTerm {
  return { term: word, surface: word, kind: 'word', weight: 1, prefix: false, maxTypos: 0, ...extra };
}

const OPTIONS: MatchOptions = {
  maxExpansions: 50,
  prefixWeight: 0.8,
  typoWeights: [0.6, 0.4],
  coordination: 0,
  typoMaxFrequency: Infinity,
  typoExactPrefix: 0,
};

function twoFieldIndex(): LexicalIndex {
  const index = new LexicalIndex({
    fields: ['title', 'description'],
    boosts: [2, 1],
    b: [0.75, 0.5],
    k1: 1.2,
  });
  index.upsert('d1', [words('red', 'shoe'), words('red', 'red', 'leather')]);
  index.upsert('d2', [words('blue', 'shoe'), words('canvas')]);
  index.upsert('d3', [words('red', 'hat'), []]);
  return index;
}

function scoresOf(index: LexicalIndex, query: QueryTerm[], options = OPTIONS): Map<string, number> {
  const result = index.match(query, options);
  const out = new Map<string, number>();
  result.docIds.forEach((docId, i) => out.set(index.externalId(docId), result.scores[i]!));
  return out;
}

describe('LexicalIndex BM25F', () => {
  it('scores a single term as hand-computed BM25F', () => {
    const scores = scoresOf(twoFieldIndex(), [term('red')]);
    // N = 3, df(red) = 2 → idf = ln(1 + 1.5 / 2.5) = ln 1.6 = 0.4700036
    // average lengths: title 2, description 4/3.
    // d1: title 2·1/(0.25 + 0.75·2/2) = 2; description 1·2/(0.5 + 0.5·3/(4/3)) = 1.2307692
    //     tf~ = 3.2307692 → 0.4700036 · 3.2307692 · 2.2 / (3.2307692 + 1.2) = 0.7539641
    // d3: title 2·1/(0.25 + 0.75·2/2) = 2; description empty
    //     tf~ = 2 → 0.4700036 · 2 · 2.2 / 3.2 = 0.6462550
    assert.equal(scores.size, 2);
    assert.ok(Math.abs(scores.get('d1')! - 0.7539641) < 1e-5, `d1 ${scores.get('d1')}`);
    assert.ok(Math.abs(scores.get('d3')! - 0.646255) < 1e-5, `d3 ${scores.get('d3')}`);
  });

  it('adds the contributions of several query terms', () => {
    const scores = scoresOf(twoFieldIndex(), [term('red'), term('shoe')]);
    // shoe: df 2 → idf ln 1.6; d1 title tf~ = 2 → 0.6462550 (same shape as d3 above)
    assert.ok(Math.abs(scores.get('d1')! - (0.7539641 + 0.646255)) < 1e-5);
    assert.ok(Math.abs(scores.get('d2')! - 0.646255) < 1e-5);
    assert.ok(scores.get('d1')! > scores.get('d3')!);
  });

  it('weights a query term', () => {
    const plain = scoresOf(twoFieldIndex(), [term('hat')]).get('d3')!;
    const half = scoresOf(twoFieldIndex(), [term('hat', { weight: 0.5 })]).get('d3')!;
    assert.ok(Math.abs(half - plain / 2) < 1e-6);
  });

  it('replaces a document on upsert and forgets it on remove', () => {
    const index = twoFieldIndex();
    index.upsert('d3', [words('green', 'hat'), []]);
    assert.equal(index.size, 3);
    assert.equal(index.tombstones, 1);
    assert.deepEqual([...scoresOf(index, [term('red')]).keys()], ['d1']);
    assert.deepEqual([...scoresOf(index, [term('green')]).keys()], ['d3']);
    assert.equal(index.frequency('red'), 1);
    assert.ok(index.remove('d1'));
    assert.equal(index.remove('d1'), false);
    assert.equal(scoresOf(index, [term('red')]).size, 0);
    assert.equal(index.size, 2);
  });

  it('matches prefixes of the word being typed, ranked below exact matches', () => {
    const index = new LexicalIndex({ fields: ['title'], boosts: [1], b: [0.75], k1: 1.2 });
    index.upsert('a', [words('hoodie')]);
    index.upsert('b', [words('hood')]);
    index.upsert('c', [words('hat')]);
    const scores = scoresOf(index, [term('hood', { prefix: true })]);
    assert.deepEqual([...scores.keys()].sort(), ['a', 'b']);
    assert.ok(scores.get('b')! > scores.get('a')!);
    assert.equal(scoresOf(index, [term('hood')]).size, 1);
  });

  it('tolerates typos within the allowed distance only', () => {
    const index = new LexicalIndex({ fields: ['title'], boosts: [1], b: [0.75], k1: 1.2 });
    index.upsert('a', [words('vinyl', 'flooring')]);
    index.upsert('b', [words('faucet')]);
    assert.deepEqual([...scoresOf(index, [term('vynil', { maxTypos: 2 })]).keys()], ['a']);
    assert.deepEqual([...scoresOf(index, [term('vinly', { maxTypos: 1 })]).keys()], ['a'], 'transposition');
    assert.equal(scoresOf(index, [term('vynil', { maxTypos: 1 })]).size, 0);
    assert.deepEqual([...scoresOf(index, [term('fuacet', { maxTypos: 1 })]).keys()], ['b']);
    assert.equal(scoresOf(index, [term('fuacet')]).size, 0, 'no typo budget, no match');
    // The exact word and a typo of it do not add up: the best expansion counts once.
    const exact = scoresOf(index, [term('faucet')]).get('b')!;
    const tolerant = scoresOf(index, [term('faucet', { maxTypos: 1 })]).get('b')!;
    assert.equal(tolerant, exact);
  });

  it('applies a filter to the matched documents', () => {
    const index = twoFieldIndex();
    const d3 = index.docIdOf('d3')!;
    const result = index.match([term('red')], { ...OPTIONS, filter: (docId) => docId === d3 });
    assert.deepEqual([...result.docIds], [d3]);
  });

  it('vacuum drops tombstones and keeps scores identical', () => {
    const index = twoFieldIndex();
    index.upsert('d4', [words('red', 'sock'), words('wool')]);
    index.remove('d2');
    index.upsert('d1', [words('red', 'shoe'), words('red', 'red', 'leather')]);
    const before = scoresOf(index, [term('red'), term('sock')]);
    const mapping = index.vacuum();
    assert.equal(index.tombstones, 0);
    assert.equal(index.capacity, 3);
    assert.equal(mapping.filter((target) => target >= 0).length, 3);
    const after = scoresOf(index, [term('red'), term('sock')]);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [id, score] of before) assert.ok(Math.abs(after.get(id)! - score) < 1e-6);
  });

  it('tightening the postings after a bulk load frees the slack and changes no answer', () => {
    const index = new LexicalIndex({
      fields: ['title', 'description'],
      boosts: [2, 1],
      b: [0.75, 0.5],
      k1: 1.2,
    });
    const vocabulary = Array.from({ length: 40 }, (_, i) => `w${i}`);
    for (let doc = 0; doc < 3000; doc++) {
      const title = vocabulary.filter((_, i) => (doc * 7 + i * 13) % (i + 3) === 0).slice(0, 6);
      index.upsert(`p${doc}`, [words(...title, 'shoe'), words(...title.slice(0, 2))]);
    }
    index.remove('p17');
    const queries = [[term('shoe')], [term('w1'), term('w7')], [term('w2', { prefix: true })]];
    const before = queries.map((query) => scoresOf(index, query));
    const slots = index.byteSize();
    assert.equal(index.tightenPostings(), true);
    assert.ok(index.byteSize() < slots, 'the pool shrank');
    assert.deepEqual(
      queries.map((query) => scoresOf(index, query)),
      before,
    );
    assert.equal(index.tightenPostings(), false, 'a tight pool is left alone');
    // Later writes append after the exact blocks.
    index.upsert('p3000', [words('shoe', 'w1'), []]);
    assert.ok(scoresOf(index, [term('shoe')]).has('p3000'));
    assert.equal(scoresOf(index, [term('shoe')]).size, 3000);
  });

  it('restores the saved posting impacts, and recomputes them under other scoring parameters', () => {
    const build = (k1: number, stale: boolean): LexicalIndex => {
      const index = new LexicalIndex({
        fields: ['title', 'description'],
        boosts: [2, 1],
        b: [0.75, 0.5],
        k1,
      });
      // Over 65,536 posting slots, where impacts follow the length averages only past 1 % drift.
      for (let doc = 0; doc < 12_000; doc++) {
        const title = [`t${doc % 97}`, `u${doc % 13}`, `v${doc % 7}`, 'lamp'].slice(0, 2 + (doc % 3));
        index.upsert(`p${doc}`, [words(...title), words(`d${doc % 31}`, `e${doc % 5}`, 'light')]);
      }
      if (stale) index.match([term('lamp')], OPTIONS); // impacts computed for these lengths
      // Longer documents move the averages a little: the impacts are now slightly stale, as in service.
      for (let doc = 0; doc < 20; doc++)
        index.upsert(`p${doc}`, [words('lamp', 'x', 'y', 'z', 'w'), words('light')]);
      return index;
    };
    const options = (k1: number) => ({
      fields: ['title', 'description'],
      boosts: [2, 1],
      b: [0.75, 0.5],
      k1,
    });
    const query = [term('lamp'), term('light'), term('u3')];
    const original = build(1.2, true);
    const restored = LexicalIndex.deserialize(original.serialize(), options(1.2));
    assert.deepEqual(scoresOf(restored, query), scoresOf(original, query), 'the very same scores');
    // Saved under k1 1.2, opened with 1.6: computed again, for the current lengths, as an index under 1.6
    // that computes them first at its first query.
    const reopened = LexicalIndex.deserialize(original.serialize(), options(1.6));
    const fresh = build(1.6, false);
    const a = scoresOf(reopened, query);
    const b = scoresOf(fresh, query);
    assert.equal(a.size, b.size);
    for (const [id, score] of b) assert.ok(Math.abs(a.get(id)! - score) < 1e-6, id);
    assert.notDeepEqual(scoresOf(reopened, query), scoresOf(original, query));
  });

  it('serializes and deserializes to an index that answers identically', () => {
    const index = twoFieldIndex();
    index.remove('d2');
    const copy = LexicalIndex.deserialize(index.serialize(), {
      fields: ['title', 'description'],
      boosts: [2, 1],
      b: [0.75, 0.5],
      k1: 1.2,
    });
    assert.equal(copy.size, 2);
    assert.equal(copy.has('d2'), false);
    assert.deepEqual(scoresOf(copy, [term('red')]), scoresOf(index, [term('red')]));
    assert.deepEqual(
      [...scoresOf(copy, [term('ha', { prefix: true })]).keys()],
      [...scoresOf(index, [term('ha', { prefix: true })]).keys()],
    );
    copy.upsert('d5', [words('red'), []]);
    assert.equal(copy.size, 3);
  });
});

describe('LexicalIndex over many documents', () => {
  it('scores every document of a catalogue spanning several scoring windows as a per-document reference does', () => {
    // 13,000 documents (more than three of match's windows of document numbers), postings in chains of
    // doubling blocks, every 7th document deleted again, a prefix word with several completions.
    const fields = ['title', 'description'];
    const boosts = [2, 1];
    const b = [0.75, 0.5];
    const k1 = 1.2;
    const index = new LexicalIndex({ fields, boosts, b, k1 });
    const vocabulary = ['drill', 'drills', 'driller', 'saw', 'bit', 'cordless', 'hammer', 'oak', 'white'];
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = (count: number): string[] =>
      Array.from({ length: count }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
    const live = new Map<string, string[][]>();
    for (let i = 0; i < 13_000; i++) {
      const doc = [pick(1 + Math.floor(random() * 4)), pick(Math.floor(random() * 6))];
      index.upsert(`d${i}`, [words(...doc[0]!), words(...doc[1]!)]);
      live.set(`d${i}`, doc);
    }
    for (let i = 0; i < 13_000; i += 7) {
      index.remove(`d${i}`);
      live.delete(`d${i}`);
    }
    const query = [term('cordless'), term('oak', { weight: 0.5 }), term('dril', { prefix: true })];
    const options = { ...OPTIONS, coordination: 1 };
    const actual = scoresOf(index, query, options);

    const N = live.size;
    const average = fields.map(
      (_, f) => [...live.values()].reduce((sum, doc) => sum + doc[f]!.length, 0) / N,
    );
    const df = (word: string): number =>
      [...live.values()].filter((doc) => doc.some((field) => field.includes(word))).length;
    const idf = (words: string[]): number => {
      const frequency = Math.max(...words.map(df));
      return Math.log(1 + (N - frequency + 0.5) / (frequency + 0.5));
    };
    const saturated = (doc: string[][], word: string): number => {
      let tf = 0;
      doc.forEach((field, f) => {
        const count = field.filter((w) => w === word).length;
        if (count > 0) tf += (boosts[f]! * count) / (1 - b[f]! + (b[f]! * field.length) / average[f]!);
      });
      return tf / (tf + k1);
    };
    // Completions of "dril": the exact-length share of the prefix weight, best one per document.
    const completions = ['drill', 'drills', 'driller'].filter((w) => df(w) > 0);
    const completionWeight = (w: string): number => 0.8 * (0.5 + (0.5 * 4) / w.length);
    const expected = new Map<string, number>();
    for (const [id, doc] of live) {
      let score = 0;
      let covered = 0;
      for (const [word, weight] of [
        ['cordless', 1],
        ['oak', 0.5],
      ] as const) {
        const s = saturated(doc, word);
        if (s === 0) continue;
        score += idf([word]) * weight * (k1 + 1) * s;
        covered += weight;
      }
      const prefixIdf = idf(completions);
      const bestCompletion = Math.max(
        0,
        ...completions.map((w) => prefixIdf * completionWeight(w) * (k1 + 1) * saturated(doc, w)),
      );
      if (bestCompletion > 0) {
        score += bestCompletion;
        covered += 1;
      }
      if (covered > 0) expected.set(id, (score * covered) / 2.5);
    }
    assert.ok(expected.size > 8000, `the query should match most documents (${expected.size})`);
    assert.equal(actual.size, expected.size);
    for (const [id, score] of expected) {
      const got = actual.get(id);
      assert.ok(got !== undefined, `${id} is missing`);
      assert.ok(Math.abs(got - score) <= 1e-5 * Math.max(1, score), `${id}: ${got} vs ${score}`);
    }
  });
});
