/** souk's library API. */
export { createEngine } from './engine.ts';
export type { Engine, IngestOptions } from './engine-api.ts';
export { resolveConfig, DEFAULT_CONFIG } from './config.ts';
export type { SoukConfig, ResolvedConfig, FieldName, FieldConfig, SearchDefaults } from './config.ts';
export { SoukError, isSoukError, ERROR_CODES } from './errors.ts';
export type { SoukErrorCode, SoukErrorDetails } from './errors.ts';
export type * from './types.ts';
