import { SoukError } from '../errors.ts';

/**
 * Reads a request body as UTF-8 text, refusing it as soon as it grows past `maxBytes`: a declared
 * Content-Length is checked before reading, and the running byte count while streaming, so an oversized or
 * chunked body is never buffered whole.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const bytes = await readBodyBytes(request, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new SoukError('INVALID_JSON', 'Request body is not valid UTF-8', {}, { cause: error });
  }
}

/** The request body's bytes, refused past `maxBytes` (see readBodyText). */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(request, maxBytes);
  if (text.trim() === '') throw new SoukError('INVALID_JSON', 'Request body is empty; expected JSON');
  return parseJson(text);
}

export function parseJson(text: string, details: { line?: number } = {}): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const where = details.line === undefined ? 'Request body' : `Line ${details.line}`;
    throw new SoukError('INVALID_JSON', `${where} is not valid JSON: ${reason}`, details, { cause: error });
  }
}

/** True for the JSON Lines media types a batch upload may use instead of a JSON array. */
export function isJsonLines(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return (
    type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines'
  );
}

function tooLarge(maxBytes: number): SoukError {
  return new SoukError(
    'PAYLOAD_TOO_LARGE',
    `Request body is larger than the limit of ${maxBytes} bytes; split the batch into smaller requests`,
    { limit: maxBytes },
  );
}
