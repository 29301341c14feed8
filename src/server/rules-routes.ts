import { Hono } from 'hono';
import type { Engine } from '../engine-api.ts';
import type { Rules } from '../rank/rules.ts';
import { readJsonBody } from './body.ts';

export interface RulesRoutesOptions {
  engine: Engine;
  maxBodyBytes: number;
}

/**
 * `/rules`: the search rules (synonyms and merchandising). `GET` is open like other reads; `PUT` replaces
 * them and is guarded by the admin-key middleware mounted in front of this router.
 */
export function rulesRoutes({ engine, maxBodyBytes }: RulesRoutesOptions): Hono {
  const app = new Hono();
  app.get('/', async (c) => c.json(await engine.getRules()));
  app.put('/', async (c) => {
    // The engine validates the document and names the bad field (400 INVALID_REQUEST).
    const body = await readJsonBody(c.req.raw, maxBodyBytes);
    return c.json(await engine.setRules(body as Rules));
  });
  return app;
}
