import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import { formatFilter, parseFilter } from '../filter/index.ts';
import type { SearchRequest } from '../types.ts';
import { readJsonBody } from './body.ts';

/**
 * Search keys: created and revoked by the admin (`POST/GET/DELETE /keys`), kept in the store's metadata
 * with only a salted SHA-256 of their secret (the secret is 32 random bytes, so a slow hash adds nothing),
 * optionally scoped to a filter that is ANDed into every search made with them, and optionally
 * rate-limited (token bucket, in memory). A key reads `souk_<id>_<secret>` so it is found by id and
 * compared in constant time.
 */

export interface RateLimit {
  /** Tokens added per minute. */
  perMinute: number;
  /** Bucket size: requests allowed at once (default `perMinute`). */
  burst?: number;
}

export interface ApiKeyInfo {
  id: string;
  scope: 'search';
  name?: string;
  filter?: string;
  rateLimit?: RateLimit;
  createdAt: string;
}

interface StoredKey extends ApiKeyInfo {
  salt: string;
  hash: string;
}

const META_KEY = 'api-keys';
const KEY_PATTERN = /^souk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_NAME_LENGTH = 200;
const MAX_KEYS = 10_000;
const KEY_FIELDS = new Set(['scope', 'name', 'filter', 'rateLimit']);

function secretHash(salt: string, secret: string): Buffer {
  return createHash('sha256').update(salt, 'utf8').update('\0').update(secret, 'utf8').digest();
}

function publicInfo(key: StoredKey): ApiKeyInfo {
  const info: ApiKeyInfo = { id: key.id, scope: key.scope, createdAt: key.createdAt };
  if (key.name !== undefined) info.name = key.name;
  if (key.filter !== undefined) info.filter = key.filter;
  if (key.rateLimit !== undefined) info.rateLimit = { ...key.rateLimit };
  return info;
}

/** The keys, read once from the engine's metadata; every change is written back before it is answered. */
export class ApiKeys {
  private keys: Map<string, StoredKey> | undefined;
  private loading: Promise<Map<string, StoredKey>> | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly engine: Engine) {}

  private load(): Promise<Map<string, StoredKey>> {
    if (this.keys) return Promise.resolve(this.keys);
    this.loading ??= this.engine.getServerMeta(META_KEY).then((raw) => {
      const list = raw ? (JSON.parse(raw) as StoredKey[]) : [];
      this.keys = new Map(list.map((key) => [key.id, key]));
      return this.keys;
    });
    return this.loading;
  }

  /** Runs one change at a time on a copy and stores it; memory is updated only once the store has it. */
  private change<T>(apply: (keys: Map<string, StoredKey>) => T): Promise<T> {
    const run = this.writes.then(async () => {
      const next = new Map(await this.load());
      const result = apply(next);
      await this.engine.setServerMeta(META_KEY, JSON.stringify([...next.values()]));
      this.keys = next;
      return result;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  async list(): Promise<ApiKeyInfo[]> {
    return [...(await this.load()).values()].map(publicInfo);
  }

  async create(input: Omit<ApiKeyInfo, 'id' | 'createdAt' | 'scope'>): Promise<ApiKeyInfo & { key: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16).toString('hex');
    const stored: StoredKey = {
      id,
      scope: 'search',
      createdAt: new Date().toISOString(),
      ...input,
      salt,
      hash: secretHash(salt, secret).toString('hex'),
    };
    await this.change((keys) => {
      if (keys.size >= MAX_KEYS) {
        throw new SoukError('INVALID_REQUEST', `At most ${MAX_KEYS} keys; revoke some first`, {
          limit: MAX_KEYS,
        });
      }
      keys.set(id, stored);
    });
    return { ...publicInfo(stored), key: `souk_${id}_${secret}` };
  }

  /** False when there is no such key. */
  revoke(id: string): Promise<boolean> {
    return this.change((keys) => keys.delete(id));
  }

  /** The key's record when `token` is a live key, else undefined. */
  async verify(token: string): Promise<ApiKeyInfo | undefined> {
    const match = KEY_PATTERN.exec(token);
    const key = match ? (await this.load()).get(match[1] ?? '') : undefined;
    if (!match || !key) return undefined;
    const expected = Buffer.from(key.hash, 'hex');
    const given = secretHash(key.salt, match[2] ?? '');
    return expected.length === given.length && timingSafeEqual(expected, given) ? key : undefined;
  }
}

/** Token buckets by name (key id or client address); the least recently used are forgotten past `maxEntries`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds until one is available. */
  take(name: string, limit: RateLimit): number {
    const capacity = Math.max(1, limit.burst ?? limit.perMinute);
    const perMs = limit.perMinute / 60_000;
    const at = this.now();
    const bucket = this.buckets.get(name) ?? { tokens: capacity, at };
    this.buckets.delete(name);
    bucket.tokens = Math.min(capacity, bucket.tokens + (at - bucket.at) * perMs);
    bucket.at = at;
    if (this.buckets.size >= this.maxEntries) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return perMs > 0 ? Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) : 3600;
  }

  forget(name: string): void {
    this.buckets.delete(name);
  }
}

/** The scope filter of the search being answered (set by `searchAccess`, read by `scopedEngine`). */
const currentScope = new AsyncLocalStorage<string | undefined>();

/** `(<scope>) AND (<request>)` built on the parsed trees, so no request text can reach outside the scope. */
export function scopeFilter(scope: string | undefined, filter: string | undefined): string | undefined {
  if (scope === undefined) return filter;
  const inner = filter === undefined ? { type: 'all' as const } : parseFilter(filter);
  if (inner.type === 'all') return scope;
  return formatFilter({ type: 'and', children: [parseFilter(scope), inner] });
}

function scoped(request: SearchRequest): SearchRequest {
  const scope = currentScope.getStore();
  if (scope === undefined) return request;
  const filter = scopeFilter(scope, request.filter);
  return filter === undefined ? request : { ...request, filter };
}

/**
 * The engine as search routes see it: searches made with a scoped key get the key's filter ANDed in, and
 * their suggestions are only titles of products inside the scope (popular queries span every shop).
 */
export function scopedEngine(engine: Engine): Engine {
  const overrides: Partial<Engine> = {
    search: (request: SearchRequest) => engine.search(scoped(request)),
    searchBatch: (requests: readonly SearchRequest[]) => engine.searchBatch(requests.map(scoped)),
    similar: (id: string, options: Parameters<Engine['similar']>[1] = {}) => {
      const scope = currentScope.getStore();
      if (scope === undefined) return engine.similar(id, options);
      const filter = scopeFilter(scope, options.filter);
      return engine.similar(id, filter === undefined ? options : { ...options, filter });
    },
    suggest: async (prefix: string, options: Parameters<Engine['suggest']>[1] = {}) => {
      const scope = currentScope.getStore();
      if (scope === undefined) return engine.suggest(prefix, options);
      const limit = options.limit ?? 10;
      if (prefix.trim() === '') return [];
      const response = await engine.search({ q: prefix, filter: scope, limit: limit * 3, highlight: false });
      const top = response.hits[0]?.score ?? 1;
      const seen = new Set<string>();
      const out: Array<{ text: string; source: 'product'; score: number }> = [];
      for (const hit of response.hits) {
        if (seen.has(hit.title) || out.length >= limit) continue;
        seen.add(hit.title);
        out.push({ text: hit.title, source: 'product', score: top > 0 ? Math.min(1, hit.score / top) : 1 });
      }
      return out;
    },
  };
  return new Proxy(engine, {
    get(target, name) {
      if (typeof name === 'string' && name in overrides) return overrides[name as keyof Engine];
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function bearer(c: Context): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec((c.req.header('authorization') ?? '').trim());
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}

export interface SearchAccessOptions {
  keys: ApiKeys;
  limiter: RateLimiter;
  adminKey: string | undefined;
  searchKeyRequired: boolean;
  anonymousRateLimit: RateLimit | undefined;
}

/**
 * Guards search routes: the admin key passes unlimited; a search key passes within its rate limit and
 * scope; a wrong or revoked key is refused (401) even where search is public; no key passes only when
 * `server.searchKeyRequired` is false (then within `server.anonymousRateLimit` per client address).
 */
export function searchAccess(options: SearchAccessOptions): MiddlewareHandler {
  const admin = options.adminKey ? digest(options.adminKey) : undefined;
  const limited = (c: Context, retryAfter: number, who: string) => {
    c.header('Retry-After', String(retryAfter));
    return new SoukError('RATE_LIMITED', `Too many requests for ${who}; retry in ${retryAfter} s`, {
      retryAfter,
    });
  };
  return async (c, next) => {
    const token = bearer(c);
    if (token === undefined) {
      if (options.searchKeyRequired) {
        c.header('WWW-Authenticate', 'Bearer realm="souk"');
        throw new SoukError(
          'UNAUTHORIZED',
          'Search needs a key on this server: send "Authorization: Bearer <search key>"',
        );
      }
      if (options.anonymousRateLimit) {
        const wait = options.limiter.take(`ip:${clientAddress(c)}`, options.anonymousRateLimit);
        if (wait > 0) throw limited(c, wait, 'this client address');
      }
      await next();
      return;
    }
    if (admin !== undefined && timingSafeEqual(digest(token), admin)) {
      await next();
      return;
    }
    const key = await options.keys.verify(token);
    if (key === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="souk"');
      throw new SoukError('UNAUTHORIZED', 'The key in the Authorization header is wrong or was revoked');
    }
    if (key.rateLimit) {
      const wait = options.limiter.take(`key:${key.id}`, key.rateLimit);
      if (wait > 0) throw limited(c, wait, `key ${key.id}`);
    }
    await currentScope.run(key.filter, next);
  };
}

function invalid(field: string, message: string): SoukError {
  return new SoukError('INVALID_REQUEST', message, { field });
}

function rateLimitFromBody(value: unknown): RateLimit {
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= 1_000_000;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('rateLimit', 'Field "rateLimit" must be an object {"perMinute": n, "burst"?: n}');
  }
  const { perMinute, burst, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw invalid(`rateLimit.${extra}`, `Unknown field "rateLimit.${extra}"`);
  if (!ok(perMinute)) throw invalid('rateLimit.perMinute', '"rateLimit.perMinute" must be a number > 0');
  if (burst !== undefined && !(ok(burst) && Number.isInteger(burst))) {
    throw invalid('rateLimit.burst', '"rateLimit.burst" must be a positive integer');
  }
  return burst === undefined
    ? { perMinute: perMinute as number }
    : { perMinute: perMinute as number, burst: burst as number };
}

/** `POST /keys`, `GET /keys`, `DELETE /keys/:id`; mount behind the admin-key guard. */
export function keyRoutes(keys: ApiKeys, limiter: RateLimiter, maxBodyBytes: number): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    const body = await readJsonBody(c.req.raw, Math.min(maxBodyBytes, 64 * 1024));
    const fields = body === null || body === undefined ? {} : body;
    if (typeof fields !== 'object' || Array.isArray(fields)) {
      throw invalid('body', 'POST /keys takes a JSON object {"filter"?, "rateLimit"?, "name"?}');
    }
    const record = fields as Record<string, unknown>;
    for (const name of Object.keys(record)) {
      if (!KEY_FIELDS.has(name)) {
        throw invalid(name, `Unknown key field "${name}"; known: ${[...KEY_FIELDS].join(', ')}`);
      }
    }
    if (record.scope !== undefined && record.scope !== 'search') {
      throw invalid('scope', 'Field "scope" must be "search" (the admin key is the only write key)');
    }
    const input: Omit<ApiKeyInfo, 'id' | 'createdAt' | 'scope'> = {};
    if (record.name !== undefined) {
      if (typeof record.name !== 'string' || record.name.length > MAX_NAME_LENGTH) {
        throw invalid('name', `Field "name" must be a string of at most ${MAX_NAME_LENGTH} characters`);
      }
      input.name = record.name;
    }
    if (record.filter !== undefined && record.filter !== null) {
      if (typeof record.filter !== 'string')
        throw invalid('filter', 'Field "filter" must be a filter expression');
      const tree = parseFilter(record.filter);
      if (tree.type !== 'all') input.filter = formatFilter(tree);
    }
    if (record.rateLimit !== undefined && record.rateLimit !== null) {
      input.rateLimit = rateLimitFromBody(record.rateLimit);
    }
    return c.json(await keys.create(input), 201);
  });
  app.get('/', async (c) => c.json({ keys: await keys.list() }));
  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await keys.revoke(id))) {
      throw new SoukError('NOT_FOUND', `No key with id "${id}"`, { id });
    }
    limiter.forget(`key:${id}`);
    return c.json({ revoked: id });
  });
  return app;
}
