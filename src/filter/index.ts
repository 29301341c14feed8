/** Filters, per-document values, facets and sort keys: the pure core the search engine calls. */
export {
  ATTRIBUTE_PREFIX,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  NUMERIC_FIELDS,
  STRING_FIELDS,
  filterFromJSON,
  formatFilter,
  isNumericField,
  parseFilter,
  resolveFieldName,
} from './filter-parser.ts';
export type { CompareOp, FilterNode, FilterValue } from './filter-parser.ts';
export { DocValues } from './doc-values.ts';
export type { DocPredicate, DocValuesStats, FacetOptions } from './doc-values.ts';
export { normalizeValue, parseNumber } from './normalize-value.ts';
export { niceBoundaries } from './numeric-buckets.ts';
