import type { Command } from 'commander';
import type { Engine } from '../engine-api.ts';
import type { SoukConfig } from '../config.ts';
import { envSettings, loadConfigFile } from '../config-file.ts';
import { SoukError } from '../errors.ts';
import { createLogger, LOG_LEVELS, type LogLevel } from '../server/request-log.ts';
import { startServer } from '../server/start-server.ts';
import { EXIT_INTERRUPTED } from './exit-codes.ts';
import { dataConfig, parseInteger, storeConfig, withEngine } from './options.ts';

export interface ServeFlags {
  data: string;
  /** PostgreSQL store URL (also SOUK_STORE, `store.url` in the file). */
  store?: string;
  /** JSON file with a partial SoukConfig (flags > environment > file > defaults). */
  config?: string;
  /** pino level; also SOUK_LOG_LEVEL (default info). */
  logLevel?: string;
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
      .option('-d, --data <dir>', 'data directory holding the store (or SOUK_DATA, or dataDir in --config)')
      .option(
        '--store <url>',
        'postgres://… URL of a PostgreSQL store shared by replicas (or SOUK_STORE, or store.url in --config); ' +
          "--data then only holds this replica's snapshots",
      )
      .option('-c, --config <file>', 'JSON file with a partial configuration (or SOUK_CONFIG)'),
  ).action(async (flags: Partial<ServeFlags>) => {
    const { config, flags: resolved } = layeredServeConfig(flags);
    await withEngine(config, (engine) => serveUntilSignal(engine, config, resolved), { create: true });
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
      '--log-level <level>',
      `request and lifecycle log level: ${LOG_LEVELS.join(', ')} (default: info)`,
    )
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
 * `souk serve` configuration from flags > environment (SOUK_PORT, SOUK_HOST, SOUK_DATA, SOUK_ADMIN_KEY,
 * SOUK_LOG_LEVEL, SOUK_CONFIG) > config file > defaults. Returns the config and the flags with host, port
 * and log level resolved.
 */
export function layeredServeConfig(
  flags: Partial<ServeFlags>,
  env: NodeJS.ProcessEnv = process.env,
): { config: SoukConfig; flags: Omit<ServeFlags, 'data'> } {
  const fromEnv = envSettings(env);
  const configFile = flags.config ?? fromEnv.config;
  const file = configFile !== undefined ? loadConfigFile(configFile) : {};
  const dataDir = flags.data ?? fromEnv.data ?? file.dataDir ?? undefined;
  const storeUrl = flags.store ?? fromEnv.store ?? file.store?.url ?? undefined;
  if (dataDir === undefined && storeUrl === undefined) {
    throw new SoukError(
      'INVALID_REQUEST',
      'No data directory: pass --data <dir>, set SOUK_DATA, or give dataDir in the --config file ' +
        '(or a PostgreSQL store: --store postgres://…, SOUK_STORE, store.url)',
      { field: 'dataDir' },
    );
  }
  const host = flags.host ?? fromEnv.host ?? file.server?.host;
  const port = flags.port ?? fromEnv.port ?? file.server?.port;
  const adminKey = flags.adminKey || fromEnv.adminKey || file.server?.adminKey || undefined;
  const logLevel = flags.logLevel ?? fromEnv.logLevel;
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new SoukError('INVALID_REQUEST', `log level must be one of ${LOG_LEVELS.join(', ')}`, {
      field: flags.logLevel !== undefined ? '--log-level' : 'SOUK_LOG_LEVEL',
    });
  }
  const { dataDir: _ignored, ...rest } = file;
  void _ignored;
  const config = storeConfig(
    { data: dataDir, store: storeUrl },
    {
      ...rest,
      server: {
        ...file.server,
        adminKey,
        ...(host !== undefined ? { host } : {}),
        ...(port !== undefined ? { port } : {}),
      },
      // A server stays fresh (background embedding) and caches result pages unless the file says otherwise.
      embedding: { ...file.embedding, auto: flags.embed === false ? false : (file.embedding?.auto ?? true) },
      cache: { enabled: true, ...file.cache },
    },
  );
  const resolved: Omit<ServeFlags, 'data'> = {};
  if (host !== undefined) resolved.host = host;
  if (port !== undefined) resolved.port = port;
  if (adminKey !== undefined) resolved.adminKey = adminKey;
  if (logLevel !== undefined) resolved.logLevel = logLevel;
  if (flags.embed !== undefined) resolved.embed = flags.embed;
  return { config, flags: resolved };
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
  const logger = createLogger((flags.logLevel ?? process.env.SOUK_LOG_LEVEL ?? 'info') as LogLevel);
  const server = await startServer(engine, {
    config,
    logger,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  if (config.server?.adminKey === undefined) {
    process.stdout.write('writes are disabled: set SOUK_ADMIN_KEY or pass --admin-key to enable them\n');
  }
  logger.info({ url: server.url, dataDir: config.dataDir ?? null, pid: process.pid }, 'started');
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
  logger.info({ signal }, 'shutting down');
  await server.close();
  logger.info('stopped');
}
