import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Token } from '../text/token.ts';
import { highlight } from './highlight.ts';

const token = (start: number, end: number, term: string): Token => ({
  term,
  surface: term,
  kind: 'word',
  start,
  end,
  position: 0,
});

describe('highlight', () => {
  it('marks matched spans, merges overlapping ones and escapes HTML', () => {
    const text = 'Red <Shoe> & hat';
    const tokens = [token(0, 3, 'red'), token(5, 9, 'shoe'), token(13, 16, 'hat')];
    assert.equal(
      highlight(text, tokens, (t) => t.term !== 'hat'),
      '<mark>Red</mark> &lt;<mark>Shoe</mark>&gt; &amp; hat',
    );
    const chinese = '小狗窝';
    const cjk = [token(0, 1, '小'), token(0, 2, '小狗'), token(1, 3, '狗窝')];
    assert.equal(
      highlight(chinese, cjk, () => true),
      '<mark>小狗窝</mark>',
    );
    assert.equal(
      highlight('a<b', [], () => true),
      'a&lt;b',
    );
  });
});
