import { Hono } from 'hono';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import { isJsonLines, parseJson, readBodyText, readJsonBody } from './body.ts';
import { rewriteProduct } from './image-urls.ts';
import { checkBatch, checkPatch, checkProduct, type BatchItem } from './product-input.ts';

export interface ProductRoutesOptions {
  engine: Engine;
  maxBodyBytes: number;
}

/**
 * `/products` resource. Writes are guarded by the admin-key middleware mounted in front of this router;
 * reads are open.
 */
export function productRoutes({ engine, maxBodyBytes }: ProductRoutesOptions): Hono {
  const app = new Hono();

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const product = await engine.get(id);
    if (product === undefined) throw notFound(id);
    return c.json(rewriteProduct(product));
  });

  app.put('/:id', async (c) => {
    const id = c.req.param('id');
    const body = expectObject(await readJsonBody(c.req.raw, maxBodyBytes), 'product');
    if (body.id === undefined || body.id === null) body.id = id;
    // Compared after validation, which normalises ids (a numeric 17 is the product "17").
    const product = checkProduct(body);
    if (product.id !== id) {
      throw new SoukError(
        'INVALID_FIELD',
        `The product id in the body ("${product.id}") does not match the id in the URL ("${id}")`,
        { field: 'id', id },
      );
    }
    return c.json(await engine.upsert(product));
  });

  app.patch('/:id', async (c) => {
    const id = c.req.param('id');
    const body = expectObject(await readJsonBody(c.req.raw, maxBodyBytes), 'patch');
    const product = await engine.patch(id, checkPatch(body, id));
    return c.json(rewriteProduct(product));
  });

  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    const result = await engine.delete(id);
    if (result.count === 0) throw notFound(id);
    return c.json(result);
  });

  app.post('/', async (c) => {
    const text = await readBodyText(c.req.raw, maxBodyBytes);
    const items = isJsonLines(c.req.header('content-type')) ? jsonLinesItems(text) : jsonItems(text);
    const { products, errors } = checkBatch(items);
    // Valid products are written even when others in the batch are rejected, as `souk ingest` does.
    const result =
      products.length > 0 ? await engine.upsert(products) : { seq: (await engine.stats()).seq, count: 0 };
    return c.json({ seq: result.seq, count: result.count, errors });
  });

  return app;
}

function jsonItems(text: string): BatchItem[] {
  if (text.trim() === '') throw new SoukError('INVALID_JSON', 'Request body is empty; expected JSON');
  const body = parseJson(text);
  if (Array.isArray(body)) return body.map((raw: unknown) => ({ raw }));
  if (typeof body === 'object' && body !== null && 'products' in body) {
    const products = (body as { products: unknown }).products;
    if (Array.isArray(products)) return products.map((raw: unknown) => ({ raw }));
  }
  throw new SoukError(
    'INVALID_REQUEST',
    'POST /products takes a JSON array of products, {"products": [...]}, or JSON Lines with Content-Type: application/x-ndjson',
    { field: 'body' },
  );
}

function jsonLinesItems(text: string): BatchItem[] {
  const items: BatchItem[] = [];
  text.split('\n').forEach((content, i) => {
    if (content.trim() === '') return;
    const line = i + 1;
    try {
      items.push({ raw: parseJson(content, { line }), line });
    } catch (error) {
      if (!(error instanceof SoukError)) throw error;
      items.push({ raw: error, line });
    }
  });
  return items;
}

function expectObject(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SoukError('INVALID_REQUEST', `The request body must be a JSON object (one ${what})`, {
      field: 'body',
    });
  }
  return body as Record<string, unknown>;
}

function notFound(id: string): SoukError {
  return new SoukError('PRODUCT_NOT_FOUND', `No product with id "${id}"`, { id });
}
