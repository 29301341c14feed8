import type { Command } from 'commander';
import type { Engine } from '../engine-api.ts';
import type { SoukConfig } from '../config.ts';
import { startServer } from '../server/start-server.ts';
import { EXIT_INTERRUPTED } from './exit-codes.ts';
import { dataConfig, parseInteger, withEngine } from './options.ts';

export interface ServeFlags {
  data: string;
  port?: number;
  host?: string;
  adminKey?: string;
  /** Commander's `--no-embed`: false turns background embedding of written products off. */
  embed?: boolean;
}

export function registerServe(program: Command): void {
  addServerOptions(
    program
      .command('serve')
      .description('serve a data directory over HTTP (search, products, images)')
      .requiredOption('-d, --data <dir>', 'data directory holding the store'),
  ).action(async (flags: ServeFlags) => {
    const config = serverConfig(flags.data, flags);
    await withEngine(config, (engine) => serveUntilSignal(engine, config, flags), { create: true });
  });
}

export function addServerOptions(command: Command, defaultPort?: number): Command {
  return command
    .option(
      '-p, --port <port>',
      `port to listen on, 0 for any free port (default: ${defaultPort ?? 'from config, 7700'})`,
      parseInteger(0, 65535),
    )
    .option('--host <host>', 'interface to bind (default: 127.0.0.1, this machine only)')
    .option('--no-embed', 'do not embed new and changed products in the background')
    .option(
      '--admin-key <key>',
      'key that writes must send as "Authorization: Bearer <key>"; prefer the SOUK_ADMIN_KEY environment ' +
        'variable, which other users cannot see in the process list',
    );
}

export function serverConfig(dataDir: string, flags: Omit<ServeFlags, 'data'>): SoukConfig {
  const adminKey = flags.adminKey || process.env.SOUK_ADMIN_KEY || undefined;
  // A server stays fresh: products written through it are embedded in the background.
  return dataConfig(dataDir, {
    server: { adminKey },
    embedding: { auto: flags.embed !== false },
    cache: { enabled: true },
  });
}

/**
 * Serves until SIGINT or SIGTERM, then stops taking requests, lets in-flight ones (including writes)
 * finish, and returns so the caller closes the engine. A second signal gives up waiting.
 */
export async function serveUntilSignal(
  engine: Engine,
  config: SoukConfig,
  flags: Omit<ServeFlags, 'data'>,
  { defaultPort, afterListen }: { defaultPort?: number; afterListen?: (url: string) => void } = {},
): Promise<void> {
  const port = flags.port ?? defaultPort;
  const server = await startServer(engine, {
    config,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  if (config.server?.adminKey === undefined) {
    process.stdout.write('writes are disabled: set SOUK_ADMIN_KEY or pass --admin-key to enable them\n');
  }
  afterListen?.(server.url);
  // Printed last: scripts and tests wait for this line, and everything above is then already out.
  process.stdout.write(`souk listening on ${server.url}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const giveUp = () => {
    process.stderr.write('souk: interrupted again, exiting without waiting\n');
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', giveUp);
  process.once('SIGTERM', giveUp);
  process.stderr.write(`souk: ${signal} received, finishing in-flight requests\n`);
  await server.close();
}
