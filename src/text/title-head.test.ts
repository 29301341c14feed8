import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from './analyzer.ts';
import { titleHeadTokens } from './title-head.ts';

function head(title: string): string[] {
  return titleHeadTokens(title, analyze(title)).map((token) => token.term);
}

describe('titleHeadTokens', () => {
  it('keeps the last two words of the main phrase, stemmed like the title', () => {
    assert.deepEqual(head('Hampton Bay Littleton 42 in. White Ceiling Fan'), ['ceil', 'fan']);
    assert.deepEqual(head('Hampton Bay Ceiling Fan Remote Control'), ['remot', 'control']);
    assert.deepEqual(head('Simpson Strong-Tie 12-Gauge Angle'), ['gaug', 'angl']);
  });

  it('ends the main phrase at the first qualifier', () => {
    assert.deepEqual(head('Delta Vero 1-Handle Shower Only Faucet Trim Kit in Chrome (Valve Not Included)'), [
      'trim',
      'kit',
    ]);
    assert.deepEqual(head('DEWALT 20-Volt Max Drill with Battery, Charger and Bag'), ['max', 'drill']);
    assert.deepEqual(head('Ryobi Hedge Trimmer for Cordless Tools - Tool Only'), ['hedg', 'trimmer']);
    assert.deepEqual(head('Whirlpool Refrigerator Water Filter | 2-Pack'), ['water', 'filter']);
  });

  it('does not end the main phrase at a qualifier before its first word', () => {
    assert.deepEqual(head('(2-Pack) Ceiling Fan'), ['ceil', 'fan']);
    assert.deepEqual(head(', Ceiling Fan, White'), ['ceil', 'fan']);
  });

  it('reads "in." as inches, not as a qualifier', () => {
    assert.deepEqual(head('10 in. Window Scrubber'), ['window', 'scrubber']);
  });

  it('skips numbers, sizes and model codes at the end of the phrase', () => {
    assert.deepEqual(head('Whirlpool Refrigerator Water Filter WRX735 2 ft.'), ['water', 'filter']);
    assert.deepEqual(head('Paint Roller 9'), ['paint', 'roller']);
  });

  it('counts word positions, so a joined form comes with the part it shares a position with', () => {
    assert.deepEqual(head('Makita Cordless Wi-Fi'), ['wi', 'wifi', 'fi']);
  });

  it('gives no head to Chinese titles, titles without words, or an empty title', () => {
    assert.deepEqual(head('Nike运动鞋42码'), []);
    assert.deepEqual(head('小狗窝 42cm'), []);
    assert.deepEqual(head('42 x 12'), []);
    assert.deepEqual(head(''), []);
  });

  it('returns the title tokens themselves, in title order', () => {
    const tokens = analyze('Round Toilet Seat in White');
    const chosen = titleHeadTokens('Round Toilet Seat in White', tokens);
    assert.deepEqual(
      chosen.map((token) => tokens.indexOf(token)),
      [1, 2],
    );
  });
});
