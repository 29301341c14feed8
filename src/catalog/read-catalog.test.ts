import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSoukError } from '../errors.ts';
import { readCatalog, readCatalogBatches, type CatalogRecord, type ReadProgress } from './read-catalog.ts';
import { haveSharedDatasets, LUMA_CATALOGUE, SHARED_DATASETS } from '../../test/helpers/shared-datasets.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
const temp = mkdtempSync(join(tmpdir(), 'souk-read-catalog-'));
after(() => rmSync(temp, { recursive: true, force: true }));

async function readAll(file: string, options?: Parameters<typeof readCatalog>[1]): Promise<CatalogRecord[]> {
  const records: CatalogRecord[] = [];
  for await (const record of readCatalog(file, options)) records.push(record);
  return records;
}

function writeTemp(name: string, content: string | Buffer): string {
  const file = join(temp, name);
  writeFileSync(file, content);
  return file;
}

/** [line, code, field] of every error, in file order. */
function errorSummary(records: CatalogRecord[]): Array<[number | undefined, string, string | undefined]> {
  return records.flatMap((record) =>
    record.errors.map((e) => [e.line, e.code, e.field] as [number | undefined, string, string | undefined]),
  );
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSoukError(error), `expected a SoukError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('readCatalog: JSON Lines', () => {
  it('loads good lines, normalising fields and resolving relative image paths', async () => {
    const records = await readAll(join(fixtures, 'catalog-good.jsonl'));
    assert.deepEqual(errorSummary(records), []);
    assert.deepEqual(
      records.map((record) => [record.line, record.product?.id]),
      [
        [1, 'g1'],
        [2, '42'],
        [4, 'g3'],
        [5, 'g4'],
      ],
    );
    const [g1, mug, lamp, phone] = records.map((record) => record.product!);
    assert.equal(g1!.image, join(fixtures, 'images/g1.jpg'));
    assert.deepEqual(g1!.images, [join(fixtures, 'images/g1.jpg'), 'https://cdn.example.com/g1b.jpg']);
    assert.deepEqual(g1!.attributes, { color: 'red', size: ['S', 'M'] });
    assert.deepEqual(mug, { id: '42', title: 'Blue Mug', category: ['Home', 'Kitchen', 'Mugs'], price: 7.5 });
    assert.deepEqual(lamp, {
      id: 'g3',
      title: 'Lamp',
      category: ['Home', 'Lighting'],
      categories: [
        ['Home', 'Lighting'],
        ['Sale', 'Lamps'],
      ],
      image: '/abs/lamp.jpg',
    });
    assert.deepEqual(phone!.attributes, { '5g': true, weight: 0.2, 内存: '8GB' });
  });

  it('reports each bad line with its line number, code and field, and loads the rest', async () => {
    const file = join(fixtures, 'catalog-bad.jsonl');
    const records = await readAll(file);
    assert.deepEqual(errorSummary(records), [
      [2, 'INVALID_JSON', undefined],
      [3, 'MISSING_FIELD', 'id'],
      [4, 'MISSING_FIELD', 'title'],
      [5, 'INVALID_FIELD', 'price'],
      [6, 'INVALID_FIELD', 'price'],
      [7, 'INVALID_FIELD', 'rating'],
      [8, 'INVALID_FIELD', 'attributes.dims'],
      [9, 'INVALID_JSON', undefined],
      [11, 'INVALID_FIELD', 'reviews'],
      [12, 'MISSING_FIELD', 'id'],
      [13, 'INVALID_FIELD', 'id'],
      [14, 'INVALID_FIELD', 'category'],
    ]);
    assert.deepEqual(
      records.filter((record) => record.product).map((record) => [record.line, record.product!.id]),
      [
        [1, 'b1'],
        [15, 'b15'],
      ],
    );
    const negative = records.find((record) => record.line === 6)!.errors[0]!;
    assert.deepEqual(negative, {
      code: 'INVALID_FIELD',
      message: 'catalog-bad.jsonl:6: field "price" must be a non-negative number, got -3',
      file,
      line: 6,
      field: 'price',
      id: 'b6',
    });
    assert.equal(records.find((record) => record.line === 4)!.errors[0]!.id, 'b4');
    assert.match(
      records.find((record) => record.line === 2)!.errors[0]!.message,
      /^catalog-bad\.jsonl:2: invalid JSON/,
    );
  });

  it('handles CRLF, a BOM, blank lines with spaces and a missing final newline', async () => {
    const file = writeTemp(
      'crlf.jsonl',
      '\uFEFF{"id":"a","title":"A"}\r\n   \r\n{"id":"b","title":"B"}\r\n{"id":"c"}',
    );
    const records = await readAll(file);
    assert.deepEqual(
      records.map((record) => [record.line, record.product?.id ?? record.errors[0]?.code]),
      [
        [1, 'a'],
        [3, 'b'],
        [4, 'MISSING_FIELD'],
      ],
    );
  });

  it('keeps multi-byte characters and line numbers intact across read chunks and long lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      lines.push(
        JSON.stringify({
          id: `z${i}`,
          title: `三星手机 Galaxy 第${i}号 🚀`,
          description: '描述'.repeat(i % 7),
        }),
      );
    }
    lines.splice(
      12_345,
      0,
      JSON.stringify({ id: 'huge', title: 'Huge', description: '长'.repeat(1_500_000) }),
    );
    const file = writeTemp('multibyte.jsonl', lines.join('\n') + '\n');
    let count = 0;
    for await (const record of readCatalog(file)) {
      assert.deepEqual(record.errors, []);
      const index = record.line - 1;
      if (index === 12_345) {
        assert.equal(record.product!.id, 'huge');
        assert.equal(record.product!.description!.length, 1_500_000);
      } else {
        const i = index > 12_345 ? index - 1 : index;
        assert.equal(record.product!.id, `z${i}`);
        assert.equal(record.product!.title, `三星手机 Galaxy 第${i}号 🚀`);
      }
      count++;
    }
    assert.equal(count, 30_001);
  });

  it('reports progress at most every ~1000 lines and once at the end', async () => {
    const lines = Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ id: `p${i}`, title: 'T' }));
    const content = lines.join('\n') + '\n';
    const file = writeTemp('progress.jsonl', content);
    const reports: ReadProgress[] = [];
    await readAll(file, { onProgress: (progress) => reports.push(progress) });
    assert.ok(reports.length >= 2 && reports.length <= 4, `got ${reports.length} reports`);
    const last = reports[reports.length - 1]!;
    assert.deepEqual(last, {
      linesRead: 2_500,
      bytesRead: Buffer.byteLength(content),
      totalBytes: Buffer.byteLength(content),
    });
    for (let i = 1; i < reports.length; i++) {
      assert.ok(reports[i]!.linesRead >= reports[i - 1]!.linesRead);
      assert.ok(reports[i]!.bytesRead >= reports[i - 1]!.bytesRead);
    }
  });

  it('resolves image paths against baseDir when given', async () => {
    const file = writeTemp(
      'images.ndjson',
      '{"id":"i","title":"I","image":"x/y.png","images":["//cdn/z.png","data:image/png;base64,AA"]}\n',
    );
    const [record] = await readAll(file, { baseDir: '/srv/shop' });
    assert.equal(record!.product!.image, '/srv/shop/x/y.png');
    assert.deepEqual(record!.product!.images, ['//cdn/z.png', 'data:image/png;base64,AA']);
  });
});

describe('readCatalog: JSON', () => {
  it('reads a JSON array, naming the line each element starts on', async () => {
    const records = await readAll(join(fixtures, 'catalog-array.json'));
    assert.deepEqual(
      records.map((record) => [
        record.line,
        record.product?.id ?? record.errors.map((e) => `${e.code}:${e.field ?? ''}`).join(),
      ]),
      [
        [2, 'j1'],
        [3, 'INVALID_FIELD:price'],
        [8, 'j3'],
        [9, 'INVALID_JSON:'],
      ],
    );
    assert.equal(records[2]!.product!.image, join(fixtures, 'pics/j3.png'));
  });

  it('reads a single object, and JSON Lines misnamed .json', async () => {
    assert.deepEqual((await readAll(writeTemp('one.json', '\n {"id":"o","title":"O"}')))[0], {
      line: 2,
      product: { id: 'o', title: 'O' },
      errors: [],
    });
    const lines = await readAll(writeTemp('lines.json', '{"id":"a","title":"A"}\n{"id":"b"}\n'));
    assert.deepEqual(
      lines.map((record) => [record.line, record.product?.id ?? record.errors[0]!.code]),
      [
        [1, 'a'],
        [2, 'MISSING_FIELD'],
      ],
    );
  });

  it('throws INVALID_JSON for a broken pretty-printed object instead of reading it as lines', async () => {
    const error = await rejection(
      readAll(writeTemp('pretty.json', '{\n  "id": "a",\n  "title": "A",,\n}\n')),
    );
    assert.equal(error.code, 'INVALID_JSON');
    assert.match(error.message, /^pretty\.json:3: /);
  });

  it('throws INVALID_JSON with the line for a broken array', async () => {
    const file = writeTemp('broken.json', '[\n  {"id": "a", "title": "A"},\n  {"id": "b" "title": "B"}\n]');
    const error = await rejection(readAll(file));
    assert.equal(error.code, 'INVALID_JSON');
    assert.match(error.message, /^broken\.json:3: invalid JSON/);
    const cut = await rejection(
      readAll(writeTemp('cut.json', '[\n  {"id": "a", "title": "A"},\n  {"id": "b"')),
    );
    assert.match(cut.message, /^cut\.json:3: invalid JSON/);
  });

  it('yields nothing for an empty file', async () => {
    assert.deepEqual(await readAll(writeTemp('empty.json', '  \n')), []);
    assert.deepEqual(await readAll(writeTemp('empty.jsonl', '')), []);
  });
});

describe('readCatalog: CSV', () => {
  it('reports each bad row with its line, code and field, and loads the good ones', async () => {
    const file = join(fixtures, 'catalog.csv');
    const records = await readAll(file);
    assert.deepEqual(errorSummary(records), [
      [5, 'INVALID_FIELD', 'price'],
      [6, 'INVALID_CSV', undefined],
      [7, 'INVALID_FIELD', 'price'],
      [8, 'INVALID_FIELD', 'rating'],
      [9, 'MISSING_FIELD', 'id'],
      [10, 'MISSING_FIELD', 'title'],
      [11, 'INVALID_CSV', undefined],
      [12, 'INVALID_FIELD', 'attributes'],
    ]);
    const good = records.filter((record) => record.product);
    assert.deepEqual(
      good.map((record) => [record.line, record.product!.id]),
      [
        [2, 'c1'],
        [3, 'c2'],
        [14, 'c11'],
      ],
    );
    assert.deepEqual(good[0]!.product, {
      id: 'c1',
      title: 'Shirt, red',
      description: 'Soft cotton',
      price: 19.99,
      category: ['Men', 'Tops'],
      categories: [['Men', 'Tops'], ['Sale']],
      images: [join(fixtures, 'img/c1.jpg'), 'https://cdn.example.com/c1b.jpg'],
      attributes: { color: ['red', 'blue'], material: 'cotton', size: 10 },
      rating: 4,
      brand: 'Acme',
    });
    assert.equal(good[1]!.product!.description, 'Multi-line\ndescription, with comma');
    assert.deepEqual(good[2]!.product, {
      id: 'c11',
      title: 'Last good',
      price: 0,
      category: ['A', 'B'],
      attributes: { color: 'green', size: '007' },
    });
    const columns = records.find((record) => record.line === 6)!.errors[0]!;
    assert.equal(columns.message, 'catalog.csv:6: row has 4 columns, the header has 12');
    assert.equal(columns.id, 'c4');
    assert.match(records.find((record) => record.line === 11)!.errors[0]!.message, /after a closing quote/);
  });

  it('counts lines correctly with CRLF and multi-line quoted fields', async () => {
    const file = writeTemp(
      'crlf.csv',
      'ID,Title,Price\r\n1,"two\r\nlines",1\r\n\r\n2,"x""y",-1\r\n3,"three\r\n\r\nlines",2\r\n4,unterminated "quote,3\r\n5,"never closed,4\r\n6,ok,5',
    );
    const records = await readAll(file);
    assert.deepEqual(
      records.map((record) => [record.line, record.product?.id ?? record.errors[0]!.code]),
      [
        [2, '1'],
        [5, 'INVALID_FIELD'],
        [6, '3'],
        [9, '4'],
        [10, 'INVALID_CSV'],
      ],
    );
    assert.equal(records[0]!.product!.title, 'two\nlines');
    assert.equal(records[3]!.product!.title, 'unterminated "quote');
    assert.match(records[4]!.errors[0]!.message, /opened on line 10 is never closed/);
  });

  it('accepts a BOM before a quoted header and ignores unknown columns', async () => {
    const records = await readAll(writeTemp('bom.csv', '\uFEFF"id","title","colour"\n1,One,red\n'));
    assert.deepEqual(records, [{ line: 2, product: { id: '1', title: 'One' }, errors: [] }]);
  });

  it('throws INVALID_CSV for a header without id or title, or with duplicate columns', async () => {
    assert.match(
      (await rejection(readAll(writeTemp('noid.csv', 'name,title\n1,x\n')))).message,
      /no "id" column/,
    );
    assert.equal(
      (await rejection(readAll(writeTemp('dup.csv', 'id,title,id\n1,x,2\n')))).code,
      'INVALID_CSV',
    );
  });
});

describe('readCatalog: files', () => {
  it('rejects unknown extensions with UNSUPPORTED_FORMAT and missing files with FILE_NOT_FOUND', async () => {
    assert.equal((await rejection(readAll(writeTemp('catalog.xml', '<x/>')))).code, 'UNSUPPORTED_FORMAT');
    const missing = join(temp, 'nope.jsonl');
    const error = await rejection(readAll(missing));
    assert.equal(error.code, 'FILE_NOT_FOUND');
    assert.ok(error.message.includes(missing));
    assert.equal((await rejection(readAll(join(temp)))).code, 'UNSUPPORTED_FORMAT');
    const directory = join(temp, 'folder.jsonl');
    mkdirSync(directory);
    assert.match((await rejection(readAll(directory))).message, /is a directory/);
  });

  it('stops reading when the consumer stops early', async () => {
    for await (const record of readCatalog(join(fixtures, 'catalog-good.jsonl'))) {
      assert.equal(record.line, 1);
      break;
    }
    const batches = readCatalogBatches(join(fixtures, 'catalog-good.jsonl'));
    assert.equal((await batches.next()).done, false);
    assert.equal((await batches.return(undefined)).done, true);
  });
});

describe('readCatalog: datasets', () => {
  it('loads all 191 Luma products with zero errors and existing absolute image paths', async () => {
    const records = await readAll(LUMA_CATALOGUE);
    assert.equal(records.length, 191);
    assert.deepEqual(errorSummary(records), []);
    let images = 0;
    for (const { product } of records) {
      for (const image of [product!.image, ...(product!.images ?? [])]) {
        if (image === undefined) continue;
        assert.ok(image.startsWith('/'), image);
        assert.ok(existsSync(image), `missing ${image}`);
        images++;
      }
    }
    assert.ok(images > 191);
  });

  it('reads and validates the 54,667-line Home Depot catalogue', async (t) => {
    if (!haveSharedDatasets(t)) return;
    const file = join(SHARED_DATASETS, 'homedepot/products.jsonl');
    const started = performance.now();
    let products = 0;
    let errors = 0;
    for await (const record of readCatalog(file)) {
      if (record.product) products++;
      errors += record.errors.length;
    }
    const ms = performance.now() - started;
    console.log(`homedepot: ${products} products read and validated in ${ms.toFixed(0)} ms`);
    assert.equal(products, 54_667);
    assert.equal(errors, 0);
  });
});
