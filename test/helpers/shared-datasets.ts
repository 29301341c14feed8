import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';

/** The shared development datasets beside the repository (CI always has them). */
export const SHARED_DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');

/** The Luma demo catalogue shipped inside the repository. */
export const LUMA_CATALOGUE = resolve(import.meta.dirname, '../../examples/luma/products.jsonl');

/** True when ../shared/datasets exists; otherwise notes in the test output that the test was skipped. */
export function haveSharedDatasets(t: TestContext): boolean {
  if (existsSync(SHARED_DATASETS)) return true;
  t.diagnostic(`skipped: ${SHARED_DATASETS} not found`);
  return false;
}
