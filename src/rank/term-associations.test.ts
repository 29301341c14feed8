import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  associationFeatures,
  learnTermAssociations,
  packAssociations,
  unpackAssociations,
  type AssociationExample,
} from './term-associations.ts';

/** Product frequencies of a small catalogue of 1,000 products. */
const FREQUENCY: Record<string, number> = {
  microwav: 40,
  over: 30,
  rang: 25,
  countertop: 15,
  steel: 300,
  stainless: 280,
};
const frequency = (term: string): number => FREQUENCY[term] ?? 1;

function examples(): AssociationExample[] {
  const out: AssociationExample[] = [];
  for (let i = 0; i < 6; i++) {
    out.push({
      queryTerms: ['otr', 'microwav'],
      productTerms: new Set(['over', 'rang', 'microwav', 'stainless', 'steel', `brand${i}`]),
    });
  }
  // Steel is everywhere: with the queries it is about as often as in the catalogue (no lift).
  for (let i = 0; i < 30; i++) {
    out.push({ queryTerms: [`bolt${i}`], productTerms: new Set(['steel', `bolt${i}`]) });
  }
  return out;
}

describe('term associations', () => {
  const table = learnTermAssociations(examples(), frequency, 1000);

  it('learn the product words that come with a query word more often than the catalogue has them', () => {
    const otr = table.get('otr')!;
    assert.ok(otr.get('over')! > 1 && otr.get('rang')! > 1, JSON.stringify([...otr]));
    // ln((6 + ½) / (6 · 30 / 1000 + ½)) for "over".
    assert.ok(Math.abs(otr.get('over')! - Math.log(6.5 / 0.68)) < 1e-9);
    // Rarer in the catalogue, so a stronger lift.
    assert.ok(otr.get('rang')! > otr.get('over')!);
    // A query word is never its own association, and a pair seen once (a brand) is not kept.
    assert.equal(table.get('microwav')?.has('microwav'), false);
    assert.ok(table.get('microwav')!.has('rang'));
    assert.equal(otr.has('brand0'), false);
  });

  it('keep no pair without lift, and none under minCount', () => {
    assert.equal(table.get('bolt1')?.get('steel'), undefined);
    assert.equal(learnTermAssociations(examples(), frequency, 1000, { minCount: 7 }).size, 0);
    const top = learnTermAssociations(examples(), frequency, 1000, { maxPairs: 1 });
    assert.equal(
      [...top.values()].reduce((n, row) => n + row.size, 0),
      1,
    );
  });

  it('score a candidate by its strongest association per query word, over the words it lacks and over all', () => {
    const otr = table.get('otr')!;
    const best = Math.max(otr.get('over')!, otr.get('rang')!);
    const rangeMicrowave = new Set(['over', 'rang', 'microwav']);
    const plain = new Set(['countertop', 'microwav']);
    const features = associationFeatures(table, ['otr', 'microwav'], rangeMicrowave);
    const microwaveBest = Math.max(0, ...[...rangeMicrowave].map((b) => table.get('microwav')?.get(b) ?? 0));
    assert.ok(Math.abs(features.missing - best / 2) < 1e-9, JSON.stringify(features));
    assert.ok(Math.abs(features.all - (best + microwaveBest) / 2) < 1e-9);
    assert.deepEqual(associationFeatures(table, ['otr', 'microwav'], plain).missing, 0);
    assert.deepEqual(associationFeatures(table, [], rangeMicrowave), { missing: 0, all: 0 });
    // A query word the candidate has counts in `all` only.
    const withOtr = associationFeatures(table, ['otr'], new Set(['otr', 'over']));
    assert.equal(withOtr.missing, 0);
    assert.ok(withOtr.all > 0);
  });

  it('pack to JSON and back', () => {
    const back = unpackAssociations(JSON.parse(JSON.stringify(packAssociations(table))));
    assert.equal(back.size, table.size);
    for (const [a, row] of table) {
      for (const [b, strength] of row) assert.ok(Math.abs(back.get(a)!.get(b)! - strength) < 1e-4);
    }
  });
});
