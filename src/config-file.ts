/**
 * Configuration from a JSON file and environment variables for `souk serve` (see README "Configuration").
 * Precedence: command-line flags > environment variables > config file > defaults. A file is a partial
 * SoukConfig; every field is checked against the defaults' shape and a wrong one is named
 * (`server.port must be an integer from 0 to 65535`, `unknown field search.limt`).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG, type SoukConfig } from './config.ts';
import { SoukError } from './errors.ts';

function invalid(field: string, message: string): SoukError {
  return new SoukError('INVALID_REQUEST', `Invalid configuration: ${field} ${message}`, { field });
}

/** Fields whose default is unset (undefined) and the type a value must have. */
const UNSET_FIELD_TYPES: Record<string, 'string' | 'number'> = {
  'server.adminKey': 'string',
  'embedding.text.model': 'string',
  'embedding.text.url': 'string',
  'embedding.text.apiKey': 'string',
  'embedding.text.pooling': 'string',
  'embedding.text.queryPrefix': 'string',
  'embedding.text.documentPrefix': 'string',
  'embedding.text.dims': 'number',
  'embedding.image.model': 'string',
  'embedding.cacheDir': 'string',
};

/** Checks a partial config against the defaults' shape; throws INVALID_REQUEST naming the first bad field. */
export function validateConfig(value: unknown, path = ''): SoukConfig {
  check(value, DEFAULT_CONFIG, path);
  if (!isObject(value)) throw invalid(path || 'config', 'must be a JSON object');
  const server = value.server;
  if (isObject(server) && server.port !== undefined) {
    const port = server.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw invalid('server.port', 'must be an integer from 0 to 65535');
    }
  }
  return value as SoukConfig;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function check(value: unknown, model: unknown, path: string): void {
  const name = path || 'config';
  if (path === 'dataDir' || path === 'store.url') {
    if (value !== null && typeof value !== 'string') throw invalid(name, 'must be a string or null');
    return;
  }
  if (model === undefined) {
    const type = UNSET_FIELD_TYPES[path];
    if (type === undefined) throw invalid(name, 'is not a known field');
    if (typeof value !== type) throw invalid(name, `must be a ${type}`);
    return;
  }
  if (Array.isArray(model)) {
    if (!Array.isArray(value) || value.length !== model.length || value.some((v) => typeof v !== 'number')) {
      throw invalid(name, `must be an array of ${model.length} numbers`);
    }
    return;
  }
  if (isObject(model)) {
    if (!isObject(value)) throw invalid(name, 'must be an object');
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!Object.hasOwn(model, key) && UNSET_FIELD_TYPES[childPath] === undefined) {
        throw invalid(childPath, 'is not a known field');
      }
      check(child, model[key], childPath);
    }
    return;
  }
  if (typeof model === 'number') {
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(name, 'must be a number');
    return;
  }
  if (typeof value !== typeof model) throw invalid(name, `must be a ${typeof model}`);
}

/** Reads and validates a JSON config file; a relative `dataDir` is taken from the file's folder. */
export function loadConfigFile(file: string): SoukConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SoukError('FILE_NOT_FOUND', `Cannot read config file ${file}`, { file }, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SoukError(
      'INVALID_REQUEST',
      `Config file ${file} is not valid JSON: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  try {
    const config = validateConfig(parsed);
    if (typeof config.dataDir === 'string') config.dataDir = resolve(dirname(file), config.dataDir);
    return config;
  } catch (error) {
    if (error instanceof SoukError) {
      throw new SoukError('INVALID_REQUEST', `${file}: ${error.message}`, { ...error.details, file });
    }
    throw error;
  }
}

/** Environment variables of `souk serve`. */
export interface EnvSettings {
  port?: number;
  host?: string;
  data?: string;
  store?: string;
  adminKey?: string;
  logLevel?: string;
  config?: string;
}

/**
 * Reads SOUK_PORT, SOUK_HOST, SOUK_DATA, SOUK_STORE, SOUK_ADMIN_KEY, SOUK_LOG_LEVEL and SOUK_CONFIG
 * (empty = unset).
 */
export function envSettings(env: NodeJS.ProcessEnv = process.env): EnvSettings {
  const settings: EnvSettings = {};
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const port = get('SOUK_PORT');
  if (port !== undefined) {
    const value = Number(port);
    if (!/^\d+$/.test(port.trim()) || value > 65535) {
      throw new SoukError('INVALID_REQUEST', 'SOUK_PORT must be an integer from 0 to 65535', {
        field: 'SOUK_PORT',
      });
    }
    settings.port = value;
  }
  const host = get('SOUK_HOST');
  if (host !== undefined) settings.host = host;
  const data = get('SOUK_DATA');
  if (data !== undefined) settings.data = data;
  const store = get('SOUK_STORE');
  if (store !== undefined) settings.store = store;
  const adminKey = get('SOUK_ADMIN_KEY');
  if (adminKey !== undefined) settings.adminKey = adminKey;
  const logLevel = get('SOUK_LOG_LEVEL');
  if (logLevel !== undefined) settings.logLevel = logLevel;
  const config = get('SOUK_CONFIG');
  if (config !== undefined) settings.config = config;
  return settings;
}
