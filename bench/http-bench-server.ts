/**
 * Server side of bench/http-bench.ts, a child process (IPC channel): opens an engine on a data directory and
 * serves it on a loopback port, timing every request inside the server (the fetch handler), so the load
 * generator runs in another process and does not share the server's event loop. The config is argv[2].
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { SoukConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import { createApp } from '../src/server/app.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as SoukConfig;
const send = (message: unknown) => process.send!(message);
const engine = await createEngine(config);
const app = createApp(engine, { config });
let times: number[] = [];
const server = await new Promise<Server>((resolve) => {
  const created = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request: Request) => {
      const started = performance.now();
      const response = await app.fetch(request);
      // The JSON body is built before fetch resolves; this is the server's time for the answer.
      times.push(performance.now() - started);
      return response;
    },
  }) as Server;
  created.once('listening', () => resolve(created));
});

process.on('message', async (message: { type: string }) => {
  if (message.type === 'reset') {
    times = [];
    send({ type: 'reset' });
  } else if (message.type === 'times') {
    send({ type: 'times', times });
  } else if (message.type === 'close') {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await engine.close();
    send({ type: 'closed' });
    process.disconnect();
  }
});
const stats = await engine.stats();
send({
  type: 'ready',
  port: (server.address() as AddressInfo).port,
  products: stats.products,
  vectors: stats.vectors.text?.vectors ?? 0,
});
