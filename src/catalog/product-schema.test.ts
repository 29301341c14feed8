import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  PRODUCT_FIELDS,
  applyPatch,
  canonicalProductJson,
  parseCategoryPath,
  patchProduct,
  productContentHash,
  validatePatch,
  validateProduct,
} from './product-schema.ts';
import type { Product } from '../types.ts';

const where = { file: '/data/products.jsonl', line: 17 };

function only(raw: unknown) {
  const result = validateProduct(raw, where);
  assert.equal(result.product, undefined, 'expected the product to be rejected');
  assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
  return result.errors[0]!;
}

describe('validateProduct', () => {
  it('accepts a full product and normalises it', () => {
    const { product, errors } = validateProduct({
      id: ' p1 ',
      title: '  Hoodie ',
      description: 'Warm',
      brand: 'Acme',
      category: 'Men > Tops > Hoodies',
      categories: [['Men', 'Tops'], 'Sale/Hoodies'],
      price: '52.00',
      currency: 'USD',
      image: 'a.jpg',
      images: 'a.jpg|b.jpg',
      attributes: { size: ['S', ' M ', ''], color: 'Gray', eco: true, weight: 1.5, gone: null, blank: ' ' },
      rating: 4,
      reviews: '3',
      lang: 'en',
      unknown: { anything: 1 },
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(product, {
      id: 'p1',
      title: 'Hoodie',
      description: 'Warm',
      brand: 'Acme',
      category: ['Men', 'Tops', 'Hoodies'],
      categories: [
        ['Men', 'Tops'],
        ['Sale', 'Hoodies'],
      ],
      price: 52,
      currency: 'USD',
      image: 'a.jpg',
      images: ['a.jpg', 'b.jpg'],
      attributes: { color: 'Gray', eco: true, size: ['S', 'M'], weight: 1.5 },
      rating: 4,
      reviews: 3,
      lang: 'en',
    });
    assert.deepEqual(Object.keys(product!.attributes!), ['color', 'eco', 'size', 'weight']);
  });

  it('converts numeric ids to strings and drops empty optional strings and nulls', () => {
    const { product } = validateProduct({
      id: 17,
      title: 'x',
      brand: '  ',
      description: null,
      category: ' > ',
    });
    assert.deepEqual(product, { id: '17', title: 'x' });
  });

  it('reports a missing or empty id / title as MISSING_FIELD', () => {
    assert.deepEqual(only({ title: 'x' }), {
      code: 'MISSING_FIELD',
      message: 'products.jsonl:17: missing required field "id"',
      file: '/data/products.jsonl',
      line: 17,
      field: 'id',
    });
    assert.equal(only({ id: '  ', title: 'x' }).code, 'MISSING_FIELD');
    const title = only({ id: 'a' });
    assert.equal(title.code, 'MISSING_FIELD');
    assert.equal(title.field, 'title');
    assert.equal(title.id, 'a');
    assert.equal(only({ id: 'a', title: ' ' }).message, 'products.jsonl:17: field "title" must not be empty');
  });

  it('reports wrong types and out-of-range values as INVALID_FIELD naming the field', () => {
    assert.deepEqual(only({ id: 'p', title: 't', price: -3 }), {
      code: 'INVALID_FIELD',
      message: 'products.jsonl:17: field "price" must be a non-negative number, got -3',
      file: '/data/products.jsonl',
      line: 17,
      field: 'price',
      id: 'p',
    });
    assert.match(only({ id: 'p', title: 't', price: 'abc' }).message, /field "price" .* got "abc"$/);
    assert.equal(only({ id: 'p', title: 't', price: '1e400' }).field, 'price');
    assert.equal(only({ id: 'p', title: 't', rating: 9 }).field, 'rating');
    assert.equal(only({ id: 'p', title: 't', rating: -0.1 }).field, 'rating');
    assert.equal(only({ id: 'p', title: 't', reviews: 1.5 }).field, 'reviews');
    assert.equal(only({ id: 'p', title: 't', reviews: -1 }).field, 'reviews');
    assert.equal(only({ id: 'p', title: 42 }).field, 'title');
    assert.equal(only({ id: true, title: 't' }).field, 'id');
    assert.equal(only({ id: 'x'.repeat(513), title: 't' }).field, 'id');
    assert.equal(only({ id: 'p', title: 't', category: 5 }).field, 'category');
    assert.equal(only({ id: 'p', title: 't', category: ['a', 1] }).field, 'category');
    assert.equal(only({ id: 'p', title: 't', categories: {} }).field, 'categories');
    assert.equal(only({ id: 'p', title: 't', images: [1] }).field, 'images');
    assert.equal(only({ id: 'p', title: 't', attributes: [] }).field, 'attributes');
    assert.equal(only({ id: 'p', title: 't', attributes: { dims: { w: 1 } } }).field, 'attributes.dims');
    assert.equal(only({ id: 'p', title: 't', attributes: { tags: [true] } }).field, 'attributes.tags');
    assert.equal(only({ id: 'p', title: 't', brand: ['x'] }).field, 'brand');
    for (const value of [NaN, Infinity])
      assert.equal(only({ id: 'p', title: 't', price: value }).field, 'price');
  });

  it('reports every problem of a product at once', () => {
    const { product, errors } = validateProduct({ title: '', price: -1, rating: 6 }, where);
    assert.equal(product, undefined);
    assert.deepEqual(
      errors.map((error) => [error.code, error.field]),
      [
        ['MISSING_FIELD', 'id'],
        ['MISSING_FIELD', 'title'],
        ['INVALID_FIELD', 'price'],
        ['INVALID_FIELD', 'rating'],
      ],
    );
  });

  it('rejects non-objects as INVALID_JSON', () => {
    for (const raw of [null, [1], 'x', 3]) assert.equal(validateProduct(raw).errors[0]!.code, 'INVALID_JSON');
  });

  it('names the product in messages when there is no file position', () => {
    const { errors } = validateProduct({ id: 'p9', title: 't', price: -1 }, { id: 'p9' });
    assert.equal(errors[0]!.message, 'product "p9": field "price" must be a non-negative number, got -1');
  });

  it('is idempotent (validating a validated product changes nothing)', () => {
    fc.assert(
      fc.property(arbitraryRawProduct(), (raw) => {
        const first = validateProduct(raw).product;
        if (!first) return;
        const second = validateProduct(first);
        assert.deepEqual(second.errors, []);
        assert.deepEqual(second.product, first);
      }),
    );
  });
});

describe('parseCategoryPath', () => {
  it('splits on ">" when present, otherwise on "/"', () => {
    assert.deepEqual(parseCategoryPath('A > B > C'), ['A', 'B', 'C']);
    assert.deepEqual(parseCategoryPath('A/B/C'), ['A', 'B', 'C']);
    assert.deepEqual(parseCategoryPath('Bath/Shower > Faucets'), ['Bath/Shower', 'Faucets']);
    assert.deepEqual(parseCategoryPath(' Single '), ['Single']);
  });
});

describe('validatePatch / applyPatch', () => {
  const base: Product = {
    id: 'p1',
    title: 'Hoodie',
    brand: 'Acme',
    price: 10,
    attributes: { color: 'red', size: ['S', 'M'] },
  };

  it('replaces fields, removes with null, merges attributes key by key', () => {
    const { patch, errors } = validatePatch({
      price: '12.5',
      brand: null,
      description: ' New ',
      attributes: { color: null, material: 'wool', size: '' },
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(patch, {
      price: 12.5,
      brand: null,
      description: 'New',
      attributes: { color: null, material: 'wool', size: null },
    });
    assert.deepEqual(applyPatch(base, patch!).product, {
      id: 'p1',
      title: 'Hoodie',
      price: 12.5,
      description: 'New',
      attributes: { material: 'wool' },
    });
  });

  it('removes all attributes with attributes: null, and drops an emptied attribute object', () => {
    assert.equal(patchProduct(base, { attributes: null }).product!.attributes, undefined);
    assert.equal(
      patchProduct(base, { attributes: { color: null, size: null } }).product!.attributes,
      undefined,
    );
  });

  it('refuses to remove the title or change the id, and rejects unknown fields', () => {
    for (const title of [null, '', '  ']) {
      const { errors } = validatePatch({ title });
      assert.equal(errors[0]!.code, 'INVALID_FIELD');
      assert.equal(errors[0]!.field, 'title');
    }
    assert.equal(validatePatch({ id: 'other' }, { id: 'p1' }).errors[0]!.field, 'id');
    assert.deepEqual(validatePatch({ id: 'p1', price: 1 }, { id: 'p1' }).patch, { price: 1 });
    assert.equal(validatePatch({ prise: 1 }).errors[0]!.field, 'prise');
    assert.equal(validatePatch({ price: -1 }).errors[0]!.field, 'price');
    assert.equal(validatePatch({ attributes: { a: { b: 1 } } }).errors[0]!.field, 'attributes.a');
    assert.equal(validatePatch([]).errors[0]!.code, 'INVALID_FIELD');
  });

  it('names the patched product in errors', () => {
    const { errors } = patchProduct(base, { rating: 7 });
    assert.equal(errors[0]!.id, 'p1');
    assert.equal(errors[0]!.message, 'product "p1": field "rating" must be a number from 0 to 5, got 7');
  });
});

describe('productContentHash / canonicalProductJson', () => {
  it('covers exactly the schema fields, in schema order', () => {
    const full = Object.fromEntries(PRODUCT_FIELDS.map((field) => [field, field])) as unknown as Product;
    assert.deepEqual(Object.keys(JSON.parse(canonicalProductJson(full)) as object), [...PRODUCT_FIELDS]);
  });

  it('ignores key order and unknown fields, and sees every content change', () => {
    const a: Product = { id: '1', title: 'T', price: 2, attributes: { b: 1, a: 'x' } };
    const b = { attributes: { a: 'x', b: 1 }, price: 2, title: 'T', id: '1', extra: 5 } as Product;
    assert.equal(productContentHash(a), productContentHash(b));
    assert.equal(canonicalProductJson(a), '{"id":"1","title":"T","price":2,"attributes":{"a":"x","b":1}}');
    assert.notEqual(productContentHash(a), productContentHash({ ...a, price: 3 }));
    assert.notEqual(productContentHash(a), productContentHash({ ...a, attributes: { a: 'x', b: '1' } }));
    assert.match(productContentHash(a), /^[0-9a-f]{40}$/);
  });

  it('stores -0 as 0, as its JSON copy has it', () => {
    const { product } = validateProduct({
      id: 'z',
      title: 'Zero',
      price: -0,
      rating: -0,
      reviews: -0,
      attributes: { offset: -0, sizes: [-0, 1] },
    });
    assert.ok(product);
    for (const value of [product.price, product.rating, product.reviews, product.attributes?.offset]) {
      assert.ok(Object.is(value, 0), `${String(value)} is +0`);
    }
    assert.ok(Object.is((product.attributes?.sizes as number[])[0], 0));
    assert.deepEqual(JSON.parse(canonicalProductJson(product)), product);
  });

  it('is the same for any permutation of keys (property)', () => {
    fc.assert(
      fc.property(arbitraryRawProduct(), fc.integer(), (raw, seed) => {
        const product = validateProduct(raw).product;
        if (!product) return;
        const shuffled = shuffleKeys(product, seed) as Product;
        assert.equal(productContentHash(shuffled), productContentHash(product));
        assert.deepEqual(JSON.parse(canonicalProductJson(product)), product);
      }),
    );
  });
});

function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  let state = seed;
  for (let i = entries.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const j = state % (i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, shuffleKeys(item, seed)]));
}

function arbitraryRawProduct() {
  const text = fc.string({ maxLength: 12 });
  const attributeValue = fc.oneof(
    text,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.array(fc.oneof(text, fc.integer()), { maxLength: 3 }),
  );
  return fc.record(
    {
      id: fc.oneof(text, fc.integer()),
      title: text,
      description: text,
      brand: text,
      category: fc.oneof(text, fc.array(text, { maxLength: 3 })),
      categories: fc.array(fc.array(text, { maxLength: 3 }), { maxLength: 2 }),
      price: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), text),
      currency: text,
      image: text,
      images: fc.array(text, { maxLength: 3 }),
      attributes: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), attributeValue, { maxKeys: 4 }),
      rating: fc.double({ min: 0, max: 5, noNaN: true }),
      reviews: fc.nat(),
      lang: fc.constantFrom('en', 'zh', 'zh-Hant'),
    },
    { requiredKeys: ['id', 'title'] },
  );
}
