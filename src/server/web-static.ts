import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { packageRoot } from '../cli/package-root.ts';

/**
 * The shopper web page: plain files in the package's `web/` folder (HTML, CSS, ES modules; no build
 * step), served at `/` and `/web/{file}`. Only flat names with a known extension are served, so a path
 * can never leave the folder; files are read once and kept in memory with an ETag.
 */

export const WEB_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: http: https:; " +
  "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json; charset=utf-8',
};

const FILE_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|json)$/;

interface CachedFile {
  body: Buffer;
  type: string;
  etag: string;
}

export interface WebRoutesOptions {
  /** Folder holding the page; default: `web/` in the souk package. */
  dir?: string;
}

export function webRoutes(app: Hono, options: WebRoutesOptions = {}): void {
  const dir = options.dir ?? join(packageRoot(), 'web');
  const cache = new Map<string, Promise<CachedFile | undefined>>();
  const load = (name: string): Promise<CachedFile | undefined> => {
    let entry = cache.get(name);
    if (entry === undefined) {
      entry = readFile(join(dir, name)).then(
        (body) => ({
          body,
          type: CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
          etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
        }),
        () => undefined,
      );
      cache.set(name, entry);
    }
    return entry;
  };

  const serve = async (name: string, request: Request): Promise<Response | undefined> => {
    if (!FILE_NAME.test(name)) return undefined;
    const file = await load(name);
    if (file === undefined) return undefined;
    const headers = new Headers({
      'Content-Type': file.type,
      'Cache-Control': 'no-cache',
      ETag: file.etag,
    });
    if (file.type.startsWith('text/html')) headers.set('Content-Security-Policy', WEB_PAGE_CSP);
    if (request.headers.get('if-none-match') === file.etag)
      return new Response(null, { status: 304, headers });
    return new Response(new Uint8Array(file.body), { status: 200, headers });
  };

  app.get('/', async (c, next) => (await serve('index.html', c.req.raw)) ?? next());
  app.get('/web/:file', async (c, next) => (await serve(c.req.param('file'), c.req.raw)) ?? next());
}
