import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG, type SoukConfig } from '../config.ts';
import { SoukError } from '../errors.ts';
import type { SearchRequest } from '../types.ts';

/**
 * The second configuration of `souk eval --compare <file>`: a JSON object mixing request fields, applied to
 * every search, and engine configuration sections (a partial SoukConfig), for which the engine is opened again
 * on the same data directory with those overrides:
 *
 *   {"name": "no typos", "mode": "hybrid", "ranker": "none", "weights": {"text": 0.5},
 *    "search": {"typos": false}, "fields": {"title": {"boost": 4}}, "fusion": {"k": 60}}
 *
 * Everything it does not name is the baseline's. Unknown keys are errors (a misspelt key would otherwise
 * compare a configuration with itself).
 */
export interface CompareConfig {
  name?: string;
  request: CompareRequest;
  /** Engine configuration overrides; undefined when the file names none. */
  engine: SoukConfig | undefined;
}

export type CompareRequest = Pick<
  SearchRequest,
  'mode' | 'ranker' | 'weights' | 'prefix' | 'typos' | 'filter'
>;

const EVAL_MODES = ['keyword', 'semantic', 'hybrid'] as const;
const REQUEST_KEYS = ['mode', 'ranker', 'weights', 'prefix', 'typos', 'filter'] as const;
const ENGINE_KEYS = ['fields', 'k1', 'search', 'embedding', 'vector', 'fusion', 'crossLingual'] as const;
const WEIGHT_KEYS = ['lexical', 'text', 'image'];

export function readCompareConfig(file: string): CompareConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SoukError('FILE_NOT_FOUND', `cannot read ${file}`, { file }, { cause: error });
  }
  return parseCompareConfig(text, file);
}

export function parseCompareConfig(text: string, file = '(compare config)'): CompareConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SoukError('INVALID_JSON', `${file}: invalid JSON: ${(error as Error).message}`, { file });
  }
  const fail = (field: string, message: string): SoukError =>
    new SoukError('INVALID_FIELD', `${file}: field "${field}": ${message}`, { file, field });
  if (!isPlainObject(raw)) throw fail('(root)', 'expected a JSON object');

  const request: CompareRequest = {};
  const engine: Record<string, unknown> = {};
  let name: string | undefined;
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'name') {
      if (typeof value !== 'string') throw fail(key, 'expected a string');
      name = value;
    } else if (key === 'mode') {
      if (!EVAL_MODES.includes(value as (typeof EVAL_MODES)[number])) {
        throw fail(key, `expected one of ${EVAL_MODES.join(', ')}`);
      }
      request.mode = value as (typeof EVAL_MODES)[number];
    } else if (key === 'ranker' || key === 'filter') {
      if (typeof value !== 'string' || value === '') throw fail(key, 'expected a non-empty string');
      request[key] = value;
    } else if (key === 'prefix' || key === 'typos') {
      if (typeof value !== 'boolean') throw fail(key, 'expected true or false');
      request[key] = value;
    } else if (key === 'weights') {
      if (!isPlainObject(value)) throw fail(key, 'expected an object like {"lexical": 1, "text": 0.3}');
      for (const [source, weight] of Object.entries(value)) {
        if (!WEIGHT_KEYS.includes(source))
          throw fail(`weights.${source}`, `expected one of ${WEIGHT_KEYS.join(', ')}`);
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
          throw fail(`weights.${source}`, 'expected a non-negative number');
        }
      }
      request.weights = value as SearchRequest['weights'];
    } else if ((ENGINE_KEYS as readonly string[]).includes(key)) {
      checkShape(value, (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key], key, fail);
      engine[key] = value;
    } else {
      throw fail(
        key,
        `unknown key; expected request fields (${REQUEST_KEYS.join(', ')}), engine configuration ` +
          `(${ENGINE_KEYS.join(', ')}) or name`,
      );
    }
  }
  return {
    ...(name === undefined ? {} : { name }),
    request,
    engine: Object.keys(engine).length === 0 ? undefined : (engine as SoukConfig),
  };
}

/** The override must have the shape of the default it replaces: known keys, same kinds of values. */
function checkShape(
  value: unknown,
  fallback: unknown,
  path: string,
  fail: (field: string, message: string) => SoukError,
): void {
  if (fallback === undefined || fallback === null) return;
  if (isPlainObject(fallback)) {
    if (!isPlainObject(value)) throw fail(path, 'expected an object');
    for (const [key, inner] of Object.entries(value)) {
      if (!(key in fallback)) {
        throw fail(`${path}.${key}`, `unknown setting; expected one of ${Object.keys(fallback).join(', ')}`);
      }
      checkShape(inner, fallback[key], `${path}.${key}`, fail);
    }
    return;
  }
  const kind = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v);
  if (kind(value) !== kind(fallback)) throw fail(path, `expected ${article(kind(fallback))}`);
  if (typeof value === 'number' && !Number.isFinite(value)) throw fail(path, 'expected a finite number');
}

function article(kind: string): string {
  return kind === 'array' ? 'an array' : `a ${kind}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
