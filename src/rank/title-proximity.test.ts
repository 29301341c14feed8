import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../text/analyzer.ts';
import { proximityQueryWords, TITLE_PROXIMITY_FEATURES, titleProximity } from './title-proximity.ts';

function features(query: string, title: string): Record<string, number> {
  const out = new Float32Array(TITLE_PROXIMITY_FEATURES.length);
  titleProximity(proximityQueryWords(analyze(query)), analyze(title), out, 0);
  return Object.fromEntries(TITLE_PROXIMITY_FEATURES.map((name, i) => [name, out[i]!]));
}

/** Float32 storage: equal to 6 digits. */
function close(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-6, `${actual} ≠ ${expected}`);
}

describe('title proximity features', () => {
  it('drops connectives from the query and stems like the index', () => {
    assert.deepEqual(proximityQueryWords(analyze('Table for the Outside lights')), [
      'tabl',
      'outsid',
      'light',
    ]);
  });

  it('tells a title holding the query as a phrase from one holding its words apart', () => {
    // Title words: hampton bai 52in ceil fan led light kit (8 positions; "52 in." is one number).
    const together = features('light kit', 'Hampton Bay 52 in. Ceiling Fan LED Light Kit');
    close(together.title_query_bigrams, 1);
    close(together.title_contains_query, 1);
    close(together.title_match_span, 1);
    close(together.title_first_match, 6 / 8);
    close(together.title_last_match, 7 / 8);
    close(together.title_query_last_word, 7 / 8);
    // Title words: led light ceil fan remot kit — "light" at 1, "kit" at 5.
    const apart = features('light kit', 'LED Light, Ceiling Fan Remote Kit');
    close(apart.title_query_bigrams, 0);
    close(apart.title_query_pairs_near, 0);
    close(apart.title_contains_query, 0);
    close(apart.title_match_span, 5 / 2);
    close(apart.title_match_order, 1);
  });

  it('counts pairs near each other in either order, and the order of the matched words', () => {
    // Query pairs: (ceil, fan), (fan, light), (light, kit); title: light 0, kit 1, for 2, ceil 3, fan 4.
    const f = features('ceiling fan light kit', 'Light Kit for Ceiling Fans');
    close(f.title_query_bigrams, 2 / 3);
    // fan (4) and light (0) are four words apart.
    close(f.title_query_pairs_near, 2 / 3);
    close(features('fan light', 'Light Kit for Ceiling Fans').title_query_pairs_near, 0);
    close(features('fan light', 'Light for Fans').title_query_pairs_near, 1);
    close(f.title_contains_query, 0);
    // First occurrences 3 4 0 1 ("for" is a title word): pairs in query order: (ceil,fan), (light,kit) of 6.
    close(f.title_match_order, 2 / 6);
    close(f.title_match_span, 5 / 4);
  });

  it('reads "does not apply" as -1', () => {
    const one = features('hoodie', 'Mona Pullover Hoodie');
    close(one.title_query_bigrams, -1);
    close(one.title_contains_query, -1);
    close(one.title_match_span, -1);
    close(one.title_first_match, 2 / 3);
    const none = features('red dress', 'Mona Pullover Hoodie');
    close(none.title_first_match, -1);
    close(none.title_query_last_word, -1);
    close(none.title_query_bigrams, 0);
    // Chinese carries its own adjacency (characters and bigrams): no Latin words, nothing applies.
    assert.deepEqual(proximityQueryWords(analyze('小狗窝')), []);
  });
});
