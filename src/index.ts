/** souk's library API. */
export { createEngine } from './engine.ts';
export type { EngineParts } from './engine.ts';
export type {
  EmbedderId,
  EmbedKind,
  ImageBytes,
  ImageEmbedder,
  ImageTextReader,
  TextEmbedder,
} from './embed/embedder.ts';
export type { VectorIndex, VectorHit, VectorSearchOptions } from './vector/vector-index.ts';
export type { Engine, IngestOptions, EmbedOptions, SimilarOptions } from './engine-api.ts';
export { validateRules } from './rank/rules.ts';
export type {
  MerchandisingRule,
  OneWaySynonym,
  Pin,
  QueryPattern,
  Rules,
  ScoreAdjustment,
  SynonymEntry,
  SynonymGroup,
} from './rank/rules.ts';
export { resolveConfig, DEFAULT_CONFIG } from './config.ts';
export type { SoukConfig, ResolvedConfig, FieldName, FieldConfig, SearchDefaults } from './config.ts';
export { SoukError, isSoukError, ERROR_CODES } from './errors.ts';
export type { SoukErrorCode, SoukErrorDetails } from './errors.ts';
export type * from './types.ts';
export { collectTrainingPairs, forEachTrainingPair } from './eval/training-pairs.ts';
export type {
  PairSearchMode,
  TrainingPair,
  TrainingPairOptions,
  TrainingPairSummary,
} from './eval/training-pairs.ts';
export { readQrels, readQueries } from './eval/judgment-files.ts';
export type {
  AdapterReport,
  AdapterTrainingInput,
  TrainAdapterOptions,
  TrainAdapterProgress,
} from './embed/query-adapter.ts';
