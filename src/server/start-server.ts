import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { resolveConfig, type ResolvedConfig, type SoukConfig } from '../config.ts';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import { createApp, type AppOptions } from './app.ts';
import { errorBody } from './error-status.ts';

export interface StartServerOptions {
  /** Interface to bind; defaults to `config.server.host` (127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one (read it back from the result). Defaults to `config.server.port`. */
  port?: number;
  config?: SoukConfig | ResolvedConfig;
  onServerError?: AppOptions['onServerError'];
  /** Request log (pino); none by default. */
  logger?: AppOptions['logger'];
  /** How long `close()` waits for in-flight requests before cutting their connections. */
  closeTimeoutMs?: number;
}

export interface RunningServer {
  /** Base URL with the port actually bound, e.g. `http://127.0.0.1:7700`. */
  url: string;
  host: string;
  port: number;
  /** Stops accepting connections and resolves once in-flight requests have finished. Does not close the engine. */
  close(): Promise<void>;
}

export async function startServer(engine: Engine, options: StartServerOptions = {}): Promise<RunningServer> {
  const config: ResolvedConfig = resolveConfig(options.config);
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const app = createApp(engine, {
    config,
    ...(options.onServerError ? { onServerError: options.onServerError } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: app.fetch, hostname: host, port }) as Server;
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
    created.once('error', onError);
    created.once('listening', () => {
      created.off('error', onError);
      resolve(created);
    });
  });

  server.on('clientError', answerClientError);

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // Keep-alive connections that go idle after their last response would otherwise hold close() open.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
        server.close((error) => {
          clearInterval(sweep);
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * Requests Node's HTTP parser refuses before they reach the app (a request line or headers over 16 KB, a
 * malformed request, a header timeout) get the same JSON error body as every other refusal, instead of
 * Node's bare status line, so clients can rely on `error.code` for every 4xx.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          'The request line or headers are larger than 16 KB; send long filters in a POST /search body',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request headers did not arrive in time']
        : [400, 'Bad Request', `Malformed HTTP request (${error.code ?? 'parse error'})`];
  const body = JSON.stringify(errorBody(new SoukError('INVALID_REQUEST', message, { httpStatus: status })));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=UTF-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): SoukError {
  const where = `${host}:${port}`;
  if (error.code === 'EADDRINUSE') {
    return new SoukError(
      'INVALID_REQUEST',
      `Address ${where} is already in use; choose another with --port`,
      {
        host,
        port,
      },
    );
  }
  if (error.code === 'EACCES') {
    return new SoukError('INVALID_REQUEST', `Not allowed to listen on ${where}; use a port above 1023`, {
      host,
      port,
    });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new SoukError('INVALID_REQUEST', `Cannot listen on ${where}: no such local address`, {
      host,
      port,
    });
  }
  return new SoukError(
    'INTERNAL',
    `Cannot listen on ${where}: ${error.message}`,
    { host, port },
    { cause: error },
  );
}
