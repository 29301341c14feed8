import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createEngine } from '../engine.ts';
import type { Engine } from '../engine-api.ts';
import type { SoukConfig } from '../config.ts';
import { SoukError } from '../errors.ts';
import { describeUrl, isPostgresUrl } from '../store/postgres-url.ts';

/** Option-value parsers shared by commands; commander turns their errors into usage errors (exit 2). */

export function parseInteger(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

export function parseList(text: string): string[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}

/** `--data` and `--store` of a command that can work on either (see storeConfig). */
export interface StoreFlags {
  data?: string;
  store?: string;
}

/** Adds `-d, --data` and `--store` (a PostgreSQL URL; then `--data` is optional and holds snapshots). */
export function addStoreOptions(command: Command): Command {
  return command
    .option('-d, --data <dir>', "data directory holding the store (with --store: this replica's snapshots)")
    .option(
      '--store <url>',
      'postgres://… URL of a PostgreSQL store shared by replicas (or SOUK_STORE); --data is then optional',
    );
}

/**
 * Config from `--data` / `--store` (falling back to SOUK_STORE): a data directory, a PostgreSQL store,
 * or both. Neither is a usage error naming both options.
 */
export function storeConfig(
  flags: StoreFlags,
  extra: Omit<SoukConfig, 'dataDir'> = {},
  env: NodeJS.ProcessEnv = process.env,
): SoukConfig {
  const url = flags.store ?? (env.SOUK_STORE || undefined);
  if (url !== undefined && !isPostgresUrl(url)) {
    throw new SoukError(
      'INVALID_REQUEST',
      `--store must be a postgres:// URL, got ${JSON.stringify(describeUrl(url))}`,
      {
        field: 'store',
      },
    );
  }
  if (flags.data === undefined && url === undefined) {
    throw new SoukError(
      'INVALID_REQUEST',
      'Pass --data <dir> (SQLite) or --store postgres://… (PostgreSQL)',
      {
        field: 'data',
      },
    );
  }
  const store = url === undefined ? extra.store : { ...extra.store, url };
  return {
    ...extra,
    ...(store ? { store } : {}),
    dataDir: flags.data === undefined ? null : resolve(flags.data),
  };
}

/** Config for a command that works on a data directory; relative paths are taken from the cwd. */
export function dataConfig(dataDir: string, extra: Omit<SoukConfig, 'dataDir'> = {}): SoukConfig {
  return { ...extra, dataDir: resolve(dataDir) };
}

/**
 * Opens an engine, runs `work` and always closes the engine again, so a failing command still releases
 * the store (and flushes what was written) before the process exits. Commands that only read refuse a
 * missing data directory instead of silently creating an empty one (usually a mistyped `--data`).
 */
export async function withEngine<T>(
  config: SoukConfig,
  work: (engine: Engine) => Promise<T>,
  { create = false }: { create?: boolean } = {},
): Promise<T> {
  const dir = config.dataDir;
  if (typeof dir === 'string') {
    // With a PostgreSQL store the directory only caches this replica's snapshots.
    if (create || config.store?.url) {
      await mkdir(dir, { recursive: true });
    } else if (!existsSync(dir)) {
      throw new SoukError(
        'FILE_NOT_FOUND',
        `No data directory at ${dir}; load a catalogue first with: souk ingest <file> --data ${dir}`,
        { file: dir },
      );
    }
  }
  const engine = await createEngine(config);
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}
