/**
 * A small HTTP/1.1 client on `node:http` with one keep-alive agent, for tests that send thousands of
 * requests to a `souk serve` child (load, fuzz, batch checks) without opening a connection per request.
 * Every request has a timeout, so a hung server fails the test instead of hanging it.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Client-side latency: request written to last byte of the response read, in milliseconds. */
  ms: number;
}

export interface RequestOptions {
  body?: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class KeepAliveClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, { maxSockets = 64 }: { maxSockets?: number } = {}) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<HttpReply> {
    const started = performance.now();
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.base.hostname.replace(/^\[|\]$/g, ''),
          port: this.base.port,
          method,
          // Sent exactly as given, so tests can send malformed percent-encoding.
          path,
          headers,
          agent: this.agent,
          timeout: options.timeoutMs ?? 10_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
        },
      );
      request.on('timeout', () =>
        request.destroy(new Error(`${method} ${path} timed out after ${options.timeoutMs ?? 10_000} ms`)),
      );
      request.on('error', reject);
      request.end(options.body);
    });
  }

  async json<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: T; ms: number }> {
    const reply = await this.request(method, path, options);
    try {
      return { status: reply.status, body: JSON.parse(reply.text) as T, ms: reply.ms };
    } catch {
      throw new Error(
        `${method} ${path} answered ${reply.status} with a body that is not JSON: ${reply.text}`,
      );
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `work` over `items` with at most `concurrency` calls in flight; resolves with results in order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(runners);
  return results;
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (Linux); undefined elsewhere. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
