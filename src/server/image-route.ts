import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import { localImagePath } from './image-urls.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/** Photos change only when the product is rewritten, and revalidation is cheap thanks to the ETag. */
const CACHE_CONTROL = 'public, max-age=3600';

/**
 * `GET /products/:id/images/:slot`. The file is looked up through the stored product, never taken from the
 * request, and only files with an image extension are served, so the route cannot be turned into a way of
 * reading arbitrary files even by a product written with a strange path.
 */
export function imageHandler(engine: Engine) {
  return async (c: Context): Promise<Response> => {
    const id = c.req.param('id') ?? '';
    const slot = c.req.param('slot') ?? '';
    const product = await engine.get(id);
    if (product === undefined) throw new SoukError('PRODUCT_NOT_FOUND', `No product with id "${id}"`, { id });

    const path = localImagePath(product, slot);
    const contentType = path === undefined ? undefined : CONTENT_TYPES[extname(path).toLowerCase()];
    if (path === undefined || contentType === undefined) throw noImage(id, slot);

    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) throw noImage(id, slot);

    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const headers = new Headers({
      'Content-Type': contentType,
      'Cache-Control': CACHE_CONTROL,
      ETag: etag,
      'Last-Modified': info.mtime.toUTCString(),
      'X-Content-Type-Options': 'nosniff',
    });
    if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });

    headers.set('Content-Length', String(info.size));
    if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers });
    const stream = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    return new Response(stream, { status: 200, headers });
  };
}

function noImage(id: string, slot: string): SoukError {
  return new SoukError('NOT_FOUND', `Product "${id}" has no local image ${slot}`, { id, slot });
}
