/**
 * A generated catalogue for learned-ranking tests where keyword scores systematically prefer the wrong
 * product: in each group of five products sharing a query word, the relevant one has a longer title (so
 * BM25 ranks it below its siblings) but the best rating.
 */
import type { Product } from '../../src/types.ts';

const WORDS = ['lamp', 'chair', 'kettle', 'drill', 'towel', 'jacket'];

export interface RankingCatalogue {
  products: Product[];
  queries: Map<string, string>;
  qrels: Map<string, Map<string, number>>;
  /** The relevant product of a query text. */
  relevantOf(q: string): string;
}

export function rankingCatalogue(groups = 60): RankingCatalogue {
  const products: Product[] = [];
  const queries = new Map<string, string>();
  const qrels = new Map<string, Map<string, number>>();
  const relevant = new Map<string, string>();
  for (let g = 0; g < groups; g++) {
    const word = `${WORDS[g % WORDS.length]}${g}`;
    const best = (g * 7) % 5;
    for (let j = 0; j < 5; j++) {
      products.push({
        id: `g${g}-p${j}`,
        title: j === best ? `${word} model ${j} with a longer descriptive title` : `${word} model ${j}`,
        price: 10 + j,
        rating: j === best ? 4.9 : 3 + j * 0.1,
      });
    }
    queries.set(`q${g}`, word);
    qrels.set(`q${g}`, new Map([[`g${g}-p${best}`, 3]]));
    relevant.set(word, `g${g}-p${best}`);
  }
  return { products, queries, qrels, relevantOf: (q) => relevant.get(q)! };
}

/** The judgment files of a ranking catalogue: queries TSV and TREC qrels. */
export function judgmentFiles(catalogue: RankingCatalogue): { queries: string; qrels: string } {
  const queries = [...catalogue.queries].map(([id, q]) => `${id}\t${q}\n`).join('');
  const qrels = [...catalogue.qrels]
    .flatMap(([id, labels]) => [...labels].map(([product, grade]) => `${id} 0 ${product} ${grade}\n`))
    .join('');
  return { queries, qrels };
}
