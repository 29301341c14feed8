import { ACCEPTED_IMAGE_TYPES, sniffImageType } from '../embed/decode-image.ts';
import { SoukError } from '../errors.ts';
import type { SearchRequest } from '../types.ts';
import { readBodyBytes } from './body.ts';
import { searchRequestFromQuery, type SearchLimits } from './search-params.ts';

export interface ImageUploadLimits extends SearchLimits {
  /** Largest accepted photo, in bytes (the multipart body may be a little larger). */
  maxImageBytes: number;
}

/** Room for the multipart boundaries and the other form fields around the photo. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * `POST /search/image`: a multipart form with the photo in `image` (or the raw image bytes as the body,
 * with an `image/*` content type) and, optionally, the other search parameters as form fields (`q`,
 * `filter`, `facets`, `limit`, `mode`, …) or in the query string. The body is read bounded before it is
 * parsed, and the photo's type is checked from its bytes, not from what the client claims.
 */
export async function imageSearchRequest(
  request: Request,
  limits: ImageUploadLimits,
): Promise<SearchRequest> {
  const url = new URL(request.url);
  const contentType = request.headers.get('content-type') ?? '';
  const bytes = await readBodyBytes(request, limits.maxImageBytes + FORM_OVERHEAD_BYTES);
  let image: Uint8Array;
  let field: (name: string) => string | undefined = (name) => url.searchParams.get(name) ?? undefined;
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Request(url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: bytes,
      }).formData();
    } catch (error) {
      throw new SoukError(
        'INVALID_REQUEST',
        `The multipart form could not be read: ${(error as Error).message}`,
        {
          field: 'body',
        },
      );
    }
    const file = form.get('image');
    if (!(file instanceof Blob)) {
      throw new SoukError('INVALID_REQUEST', 'The form has no file field "image"', { field: 'image' });
    }
    image = new Uint8Array(await file.arrayBuffer());
    field = (name) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : (url.searchParams.get(name) ?? undefined);
    };
  } else if (contentType.toLowerCase().startsWith('image/')) {
    image = bytes;
  } else {
    throw new SoukError(
      'UNSUPPORTED_FORMAT',
      'Send the photo as multipart/form-data (field "image") or as the body with an image/* content type',
      { field: 'content-type' },
    );
  }
  if (image.length === 0)
    throw new SoukError('INVALID_IMAGE', 'The uploaded image is empty', { field: 'image' });
  if (image.length > limits.maxImageBytes) {
    throw new SoukError('PAYLOAD_TOO_LARGE', `The image is larger than ${limits.maxImageBytes} bytes`, {
      field: 'image',
      limit: limits.maxImageBytes,
    });
  }
  const type = sniffImageType(image);
  if (type === null || !(ACCEPTED_IMAGE_TYPES as readonly string[]).includes(type)) {
    throw new SoukError(
      'INVALID_IMAGE',
      `The upload is ${type === null ? 'not a recognised image' : `a ${type} image`}; accepted: ${ACCEPTED_IMAGE_TYPES.join(', ')}`,
      { field: 'image' },
    );
  }
  return { ...searchRequestFromQuery(field, limits), image };
}
