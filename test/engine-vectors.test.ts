/**
 * Vector retrieval through the public engine API: embedding by content hash, semantic and hybrid search
 * with filters and facets, live updates, persistence of vectors across restarts and model changes. A
 * deterministic word-hash embedder (a real TextEmbedder) keeps these fast; the Luma suite at the end runs
 * the real offline models (USE-Lite, the visual descriptor).
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import type { Product } from '../src/types.ts';
import { LUMA_CATALOGUE, LUMA_IMAGES } from './helpers/paths.ts';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.ts';
import { createWordHashEmbedder, type WordHashEmbedder } from './helpers/word-hash-embedder.ts';

const CATALOGUE: Product[] = [
  {
    id: 'p1',
    title: 'Leather sofa, three seats',
    brand: 'Nordic',
    category: ['Home', 'Living room'],
    price: 899,
  },
  { id: 'p2', title: 'Velvet sofa bed', brand: 'Nordic', category: ['Home', 'Bedroom'], price: 499 },
  { id: 'p3', title: 'Oak coffee table', brand: 'Woodline', category: ['Home', 'Living room'], price: 199 },
  { id: 'p4', title: 'Running shoe, mesh', brand: 'Acme', category: ['Sport', 'Shoes'], price: 89 },
  { id: 'p5', title: 'Trail shoe, waterproof', brand: 'Acme', category: ['Sport', 'Shoes'], price: 129 },
  { id: 'p6', title: 'Steel teapot 1.5 L', brand: 'Kitchenly', category: ['Home', 'Kitchen'], price: 39 },
  {
    id: 'p7',
    title: 'Glass teapot with infuser',
    brand: 'Kitchenly',
    category: ['Home', 'Kitchen'],
    price: 25,
  },
];

const noImages = { embedding: { image: { provider: 'none' as const } } };

let root: string;
const engines: Engine[] = [];
before(async () => {
  root = await makeTempDir('souk-vectors-');
});
after(async () => {
  for (const engine of engines) await engine.close().catch(() => undefined);
  await removeTempDir(root);
});

async function open(
  dataDir: string | null,
  embedder: WordHashEmbedder = createWordHashEmbedder(),
  extra: Parameters<typeof createEngine>[0] = {},
): Promise<Engine> {
  const engine = await createEngine({ ...noImages, ...extra, dataDir }, { textEmbedder: embedder });
  engines.push(engine);
  return engine;
}

const ids = (response: { hits: Array<{ id: string }> }): string[] => response.hits.map((hit) => hit.id);
const embeddedTexts = (embedder: WordHashEmbedder): number => embedder.calls.flat().length;

describe('embedding by content hash', () => {
  it('embeds each product once, and again only when its embedded text changes', async () => {
    const embedder = createWordHashEmbedder();
    const engine = await open(null, embedder);
    await engine.upsert(CATALOGUE);
    const progress: number[] = [];
    const first = await engine.embed({ onProgress: (p) => progress.push(p.done) });
    assert.equal(first.embedded, CATALOGUE.length);
    assert.equal(first.spaces.text?.vectors, CATALOGUE.length);
    assert.ok(progress.length >= 2 && progress.at(-1) === CATALOGUE.length, `progress ${progress.join(',')}`);

    assert.equal((await engine.embed()).embedded, 0, 'nothing changed');
    await engine.upsert(CATALOGUE);
    await engine.patch('p1', { price: 799 });
    assert.equal((await engine.stats()).vectors.text?.backlog, 0, 'a price change does not touch the vector');
    assert.equal((await engine.embed()).embedded, 0);

    await engine.patch('p3', { title: 'Oak coffee table with drawer' });
    assert.equal((await engine.stats()).vectors.text?.backlog, 1);
    const before = embeddedTexts(embedder);
    assert.equal((await engine.embed()).embedded, 1);
    assert.equal(embeddedTexts(embedder) - before, 1);
  });

  it('takes the vector of a text it has seen from the cache instead of the model', async () => {
    const embedder = createWordHashEmbedder();
    const engine = await open(null, embedder);
    await engine.upsert([CATALOGUE[0]!]);
    await engine.embed();
    await engine.upsert([{ ...CATALOGUE[0]!, id: 'copy' }]);
    const report = await engine.embed();
    assert.deepEqual([report.embedded, report.cached], [0, 1]);
    assert.deepEqual(ids(await engine.search({ q: 'couch', mode: 'semantic', limit: 2 })).sort(), [
      'copy',
      'p1',
    ]);
  });
});

describe('semantic and hybrid search', () => {
  let engine: Engine;
  before(async () => {
    engine = await open(null);
    await engine.upsert(CATALOGUE);
    await engine.embed();
  });

  it('finds by meaning what shares no word with the query', async () => {
    assert.equal((await engine.search({ q: 'couch', mode: 'keyword' })).total, 0);
    const semantic = await engine.search({ q: 'couch', mode: 'semantic', limit: 2 });
    assert.equal(semantic.mode, 'semantic');
    assert.deepEqual(ids(semantic).sort(), ['p1', 'p2']);
    const hybrid = await engine.search({ q: 'couch' });
    assert.equal(hybrid.mode, 'hybrid', 'hybrid is the default once products are embedded');
    assert.deepEqual(ids(hybrid).slice(0, 2).sort(), ['p1', 'p2']);
  });

  it('applies filters to vector candidates and still fills the page', async () => {
    const response = await engine.search({
      q: 'sneakers',
      mode: 'semantic',
      filter: 'price < 100',
      limit: 3,
    });
    assert.equal(ids(response)[0], 'p4');
    for (const hit of response.hits) assert.ok(hit.price! < 100, `${hit.id} costs ${hit.price}`);
    assert.equal(response.hits.length, 3, 'three products cost less than 100');
  });

  it('keeps every lexical match in a hybrid answer, and counts facets over it', async () => {
    const keyword = await engine.search({ q: 'teapot', mode: 'keyword' });
    const hybrid = await engine.search({ q: 'teapot', mode: 'hybrid', facets: ['brand'], limit: 50 });
    for (const id of ids(keyword)) assert.ok(ids(hybrid).includes(id), `${id} kept`);
    assert.deepEqual(ids(hybrid).slice(0, 2).sort(), ['p6', 'p7']);
    const counted = hybrid.facets?.brand?.values?.reduce((sum, value) => sum + value.count, 0);
    assert.equal(counted, hybrid.total, 'facets count exactly the fused result');
  });

  it('lets request weights decide between the sources', async () => {
    // "glass couch": the words find the glass teapot; the meaning finds the sofas ("couch" = "sofa").
    const lexicalOnly = await engine.search({ q: 'glass couch', weights: { text: 0 } });
    assert.deepEqual(ids(lexicalOnly), ['p7']);
    const textOnly = await engine.search({ q: 'glass couch', weights: { lexical: 0 }, limit: 1 });
    assert.deepEqual(ids(textOnly), ['p2']);
    const both = await engine.search({ q: 'glass couch', limit: 1 });
    assert.deepEqual(ids(both), ['p7'], 'found by both sources');
    await assert.rejects(engine.search({ q: 'x', weights: { text: -1 } }), { code: 'INVALID_REQUEST' });
  });

  it('offers score fusion as an option', async () => {
    const scored = await open(null, createWordHashEmbedder(), { fusion: { method: 'score' } });
    await scored.upsert(CATALOGUE);
    await scored.embed();
    const response = await scored.search({ q: 'teapot', limit: 2 });
    assert.deepEqual(ids(response).sort(), ['p6', 'p7']);
    assert.ok(response.hits[0]!.score <= 2 && response.hits[0]!.score > 1, 'normalised sum of two sources');
  });

  it('sees live updates and deletes at once, and tells when vectors are missing', async () => {
    await engine.upsert({ id: 'p8', title: 'Corner settee', category: ['Home', 'Living room'], price: 650 });
    const stale = await engine.search({ q: 'couch', mode: 'hybrid', limit: 5 });
    assert.match(stale.warnings?.join(' ') ?? '', /not embedded yet/);
    await engine.embed();
    assert.ok(ids(await engine.search({ q: 'couch', mode: 'semantic', limit: 3 })).includes('p8'));
    await engine.delete('p8');
    assert.ok(!ids(await engine.search({ q: 'couch', mode: 'semantic', limit: 5 })).includes('p8'));
  });

  it('refuses modes it has no model for', async () => {
    await assert.rejects(engine.search({ q: 'x', mode: 'image' }), { code: 'INVALID_REQUEST' });
    await assert.rejects(engine.search({ q: 'x', image: new Uint8Array([1]) }), {
      code: 'EMBEDDER_NOT_CONFIGURED',
    });
    const keywordOnly = await createEngine({
      embedding: { text: { provider: 'none' }, image: { provider: 'none' } },
    });
    engines.push(keywordOnly);
    await assert.rejects(keywordOnly.search({ q: 'x', mode: 'semantic' }), {
      code: 'EMBEDDER_NOT_CONFIGURED',
    });
    assert.equal((await keywordOnly.search({ q: 'x' })).mode, 'keyword');
  });

  it('recommends similar products: nearest vectors plus shared category and brand', async () => {
    const similar = await engine.similar('p6', { limit: 3 });
    assert.equal(ids(similar)[0], 'p7');
    assert.ok(!ids(similar).includes('p6'), 'not the product itself');
    await assert.rejects(engine.similar('nope'), { code: 'PRODUCT_NOT_FOUND' });
  });
});

describe('hybrid answers with more lexical matches than fused candidates', () => {
  it('count, page and order them as if every match were listed', async () => {
    const colours = ['blue', 'red', 'green', 'black', 'white'];
    const products = Array.from({ length: 400 }, (_, i) => ({
      id: `s${i}`,
      // Most titles hold "shirt"; some hold only words the vectors share with the query ("cotton").
      title:
        i % 7 === 0
          ? `${colours[i % 5]} cotton tee ${i}`
          : `${colours[i % 5]} ${i % 3 === 0 ? 'cotton' : 'linen'} shirt size ${i % 11}`,
      brand: `brand${i % 4}`,
      price: 10 + (i % 30),
    }));
    // The embedder folds "hoodie" into "sweatshirt": hoodies are vector candidates the words do not match.
    for (let i = 0; i < 80; i++) {
      const title = i % 8 === 0 ? `warm hoodie ${i}` : `grey sweatshirt ${i}`;
      products.push({ id: `h${i}`, title, brand: `brand${i % 4}`, price: 20 + (i % 9) });
    }
    const engine = await open(null, createWordHashEmbedder(), { fusion: { candidates: 40 } });
    await engine.upsert(products);
    await engine.embed();
    for (const q of ['shirt', 'blue cotton shirt', 'cotton', 'linen shirt size 3', 'tee', 'sweatshirt']) {
      const lean = await engine.search({ q, mode: 'hybrid', limit: 10 });
      // Facets make the engine list every match; the answer must not change.
      const whole = await engine.search({ q, mode: 'hybrid', limit: 10, facets: ['brand'] });
      assert.equal(lean.total, whole.total, `total of "${q}"`);
      assert.deepEqual(ids(lean), ids(whole), `page of "${q}"`);
      const counted = (whole.facets!.brand!.values ?? []).reduce((sum, value) => sum + value.count, 0);
      assert.equal(counted, whole.total, `facets of "${q}" cover the total`);
      const keyword = await engine.search({ q, mode: 'keyword', limit: 1 });
      assert.ok(lean.total >= keyword.total, `"${q}": every lexical match counts`);
      const deep = await engine.search({ q, mode: 'hybrid', offset: 35, limit: 10 });
      const deepWhole = await engine.search({ q, mode: 'hybrid', offset: 35, limit: 10, facets: ['brand'] });
      assert.deepEqual(ids(deep), ids(deepWhole), `deep page of "${q}"`);
    }
    const shirt = await engine.search({ q: 'shirt', mode: 'keyword', limit: 1 });
    assert.ok(shirt.total > 40, 'the lexical list is longer than the candidates');
  });

  it('give the learned ranker all of its candidates when they outnumber the fused ones', async () => {
    // Cheap products are the relevant ones, and words say nothing about price: the ranker lifts them
    // from wherever retrieval put them among its 120 candidates.
    const products = Array.from({ length: 300 }, (_, i) => ({
      id: `s${i}`,
      title: `${['blue', 'red', 'green'][i % 3]} shirt ${i % 2 === 0 ? 'cotton' : 'linen cotton blend'} ${i}`,
      price: i % 10 === 7 ? 5 : 50 + (i % 13),
    }));
    const queries = new Map<string, string>();
    const qrels = new Map<string, Map<string, number>>();
    ['blue', 'red', 'green', 'cotton', 'linen', 'blend'].forEach((word, w) => {
      for (const extra of ['shirt', 'cotton shirt', 'shirt blend', 'shirt cotton blend']) {
        const id = `q${w}-${extra}`;
        queries.set(id, `${word} ${extra}`);
        qrels.set(id, new Map(products.filter((p) => p.price === 5).map((p) => [p.id, 2])));
      }
    });
    const engine = await open(null, createWordHashEmbedder(), {
      fusion: { candidates: 40 },
      ranker: { candidates: 120, minLeafRows: 3, trees: 20, holdout: 0.2 },
    });
    await engine.upsert(products);
    await engine.embed();
    await engine.trainRanker({ queries, qrels, request: { mode: 'hybrid' } });
    for (const q of ['blue shirt', 'cotton shirt', 'linen blend']) {
      const lean = await engine.search({ q, mode: 'hybrid', limit: 10 });
      const whole = await engine.search({ q, mode: 'hybrid', limit: 10, facets: ['brand'] });
      assert.ok(lean.ranker !== undefined, 'the ranker answered');
      assert.equal(lean.total, whole.total, `total of "${q}"`);
      assert.deepEqual(ids(lean), ids(whole), `page of "${q}"`);
    }
  });
});

describe('background embedding (embedding.auto)', () => {
  it('embeds written products without an explicit embed()', async () => {
    const embedder = createWordHashEmbedder();
    const engine = await open(null, embedder, { embedding: { auto: true, image: { provider: 'none' } } });
    await engine.upsert(CATALOGUE);
    const deadline = Date.now() + 10_000;
    while ((await engine.stats()).vectors.text?.vectors !== CATALOGUE.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal((await engine.stats()).vectors.text?.backlog, 0);
    assert.deepEqual(ids(await engine.search({ q: 'couch', mode: 'semantic', limit: 2 })).sort(), [
      'p1',
      'p2',
    ]);
  });
});

describe('vectors across restarts', () => {
  it('restores vectors from the snapshot, rebuilds them from the cache, and re-embeds after a model change', async () => {
    const dir = join(root, 'restart');
    let embedder = createWordHashEmbedder();
    let engine = await open(dir, embedder);
    await engine.upsert(CATALOGUE);
    await engine.embed();
    await engine.close();

    embedder = createWordHashEmbedder();
    engine = await open(dir, embedder);
    assert.equal((await engine.stats()).vectors.text?.vectors, CATALOGUE.length, 'loaded from the snapshot');
    assert.deepEqual(ids(await engine.search({ q: 'couch', mode: 'semantic', limit: 2 })).sort(), [
      'p1',
      'p2',
    ]);
    assert.equal((await engine.embed()).embedded, 0);
    await engine.close();
    assert.equal(embeddedTexts(embedder), 1, 'only the query was embedded');

    await rm(join(dir, 'index.snapshot'));
    embedder = createWordHashEmbedder();
    engine = await open(dir, embedder);
    const rebuilt = await engine.embed();
    assert.deepEqual(
      [rebuilt.embedded, rebuilt.cached],
      [0, CATALOGUE.length],
      'vectors come from the store',
    );
    await engine.close();

    embedder = createWordHashEmbedder({ version: '2' });
    engine = await open(dir, embedder);
    assert.equal((await engine.stats()).vectors.text?.backlog, CATALOGUE.length, 'a new model re-embeds all');
    const progress: number[] = [];
    const changed = await engine.embed({ onProgress: (p) => progress.push(p.done) });
    assert.equal(changed.embedded, CATALOGUE.length);
    assert.equal(progress.at(-1), CATALOGUE.length);
    assert.equal((await engine.stats()).vectors.text?.embedder, 'test:word-hash@2/256');
  });

  it('keeps vectors on their products through a vacuum', async () => {
    const engine = await open(join(root, 'vacuum'));
    await engine.upsert(CATALOGUE);
    await engine.embed();
    await engine.delete(['p1', 'p3']);
    await engine.patch('p2', { price: 450 });
    await engine.vacuum();
    const response = await engine.search({ q: 'couch', mode: 'semantic', limit: 1 });
    assert.deepEqual(ids(response), ['p2']);
    assert.equal(response.hits[0]?.price, 450);
  });
});

describe('Luma with the offline models (USE-Lite, visual descriptor)', () => {
  let engine: Engine;
  before(async () => {
    engine = await createEngine({ dataDir: null });
    engines.push(engine);
    await engine.ingest(LUMA_CATALOGUE);
    const report = await engine.embed();
    assert.equal(report.failed, 0);
  });

  it('embeds every product text and every primary photo', async () => {
    const stats = await engine.stats();
    assert.equal(stats.vectors.text?.vectors, 191);
    assert.equal(stats.vectors.image?.vectors, 179, '179 of the 191 products have a photo');
  });

  it('semantic search understands a description of the product', async () => {
    const response = await engine.search({ q: 'hooded sweatshirt', mode: 'semantic', limit: 5 });
    for (const hit of response.hits) assert.match(hit.title, /hoodie|sweatshirt|pullover|fleece/i, hit.title);
  });

  it('finds a product from another photo of it', async () => {
    const response = await engine.search({ image: join(LUMA_IMAGES, 'm/h/mh07-gray_back.jpg') });
    assert.equal(response.mode, 'image');
    assert.ok(ids(response).includes('MH07'), `MH07 in ${ids(response).join(', ')}`);
  });

  it('hybrid keeps to what the words are about: vector-only candidates need a similarity near the best', async () => {
    const keyword = await engine.search({ q: 'hoodie', mode: 'keyword', limit: 0 });
    const hybrid = await engine.search({ q: 'hoodie', mode: 'hybrid', limit: 30 });
    assert.ok(hybrid.total >= keyword.total, `${hybrid.total} < ${keyword.total}`);
    // Without the floor every one of the 191 products would be a result for "hoodie".
    assert.ok(hybrid.total < keyword.total * 2, `hybrid total ${hybrid.total} (keyword ${keyword.total})`);
    for (const hit of hybrid.hits) assert.match(hit.category?.join(' > ') ?? '', /Tops|Jackets/, hit.title);
  });

  it('recommends hoodies for a hoodie', async () => {
    const similar = await engine.similar('MH01', { limit: 5 });
    for (const hit of similar.hits) assert.match(hit.category?.join(' > ') ?? '', /Hoodies|Tops/, hit.title);
  });
});

describe('text in product photos (embedding.ocr)', () => {
  it('makes the words printed on a photo searchable, and keeps them across a restart', async () => {
    const dir = join(root, 'ocr');
    await mkdir(dir, { recursive: true });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="160">
      <rect width="100%" height="100%" fill="#ffffff"/>
      <text x="24" y="100" font-family="DejaVu Sans" font-size="56" fill="#111111">MOUNTAINEER 40L</text></svg>`;
    await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toFile(join(dir, 'label.jpg'));
    const product = { id: 'bag-1', title: 'Trekking backpack', image: join(dir, 'label.jpg') };
    const config = { embedding: { ocr: true, text: { provider: 'none' as const } } };
    let engine = await createEngine({ ...config, dataDir: join(dir, 'data') });
    engines.push(engine);
    await engine.upsert([product, { id: 'bag-2', title: 'Trekking backpack, blue' }]);
    assert.equal((await engine.search({ q: 'mountaineer' })).total, 0, 'not read yet');
    await engine.embed();
    assert.deepEqual(ids(await engine.search({ q: 'mountaineer' })), ['bag-1']);
    await engine.patch('bag-1', { price: 120 });
    assert.deepEqual(ids(await engine.search({ q: 'mountaineer 40l' })), ['bag-1'], 'kept through an update');
    await engine.close();
    engine = await createEngine({ ...config, dataDir: join(dir, 'data') });
    engines.push(engine);
    assert.deepEqual(ids(await engine.search({ q: 'mountaineer' })), ['bag-1'], 'restored with the snapshot');
  });
});
