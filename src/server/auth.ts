import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { SoukError } from '../errors.ts';

/**
 * Guards write routes with `Authorization: Bearer <adminKey>`. Both sides are hashed before comparing so
 * the comparison takes the same time whatever the length of the guess, and runs before the body is read
 * so an unauthenticated client cannot make the server buffer anything.
 */
export function requireAdminKey(adminKey: string | undefined): MiddlewareHandler {
  const expected = adminKey ? digest(adminKey) : undefined;
  return async (c, next) => {
    if (expected === undefined) {
      throw new SoukError(
        'UNAUTHORIZED',
        'Writes are disabled because no admin key is configured; start the server with --admin-key <key> ' +
          'or set the SOUK_ADMIN_KEY environment variable',
      );
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    const given = match?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="souk"');
      throw new SoukError(
        'UNAUTHORIZED',
        given === undefined
          ? 'This request changes the catalogue and needs the header "Authorization: Bearer <admin key>"'
          : 'The admin key in the Authorization header is wrong',
      );
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
