import { readFile, stat } from 'node:fs/promises';
import { SoukError } from '../errors.ts';

/** Photos larger than this are not read (a product photo is rarely above a few MB). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const URL_SCHEME = /^https?:\/\//i;

/**
 * The bytes of a product photo: a local file (catalogue paths are resolved to absolute paths at ingest)
 * or an http(s) URL, bounded in size and, for URLs, in time.
 */
export async function readImageBytes(ref: string, timeoutMs = 15_000): Promise<Uint8Array> {
  if (URL_SCHEME.test(ref)) {
    let response: Response;
    try {
      response = await fetch(ref, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new SoukError('INVALID_IMAGE', `image ${ref} could not be fetched: ${(error as Error).message}`, {
        image: ref,
      });
    }
    if (!response.ok) {
      throw new SoukError('INVALID_IMAGE', `image ${ref} answered ${response.status}`, { image: ref });
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_IMAGE_BYTES) throw tooLarge(ref);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > MAX_IMAGE_BYTES) throw tooLarge(ref);
    return bytes;
  }
  const info = await stat(ref).catch(() => undefined);
  if (!info?.isFile()) {
    throw new SoukError('INVALID_IMAGE', `image file ${ref} does not exist`, { image: ref });
  }
  if (info.size > MAX_IMAGE_BYTES) throw tooLarge(ref);
  return new Uint8Array(await readFile(ref));
}

function tooLarge(ref: string): SoukError {
  return new SoukError('INVALID_IMAGE', `image ${ref} is larger than ${MAX_IMAGE_BYTES} bytes`, {
    image: ref,
  });
}
