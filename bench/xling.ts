/**
 * Cross-lingual relevance on the Shopee zh-Hant ↔ en development splits (../shared/datasets/xling-zh-en),
 * keyword path, with the bridge on and off: `node --import tsx bench/xling.ts [--config '{"k1":1.2}']`.
 * Prints a markdown table on stdout; progress goes to stderr.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SoukConfig } from '../src/config.ts';
import { createEngine } from '../src/engine.ts';
import type { Engine } from '../src/engine-api.ts';
import { evaluate, type EvaluationResult } from '../src/eval/evaluate.ts';
import { readQrels, readQueries } from '../src/eval/judgment-files.ts';
import { DATASETS_DIR } from './relevance.ts';

export const XLING_DIR = join(DATASETS_DIR, 'xling-zh-en');

export const XLING_SETS = {
  zh2en: { folder: 'zh2en', products: 'products_en.jsonl' },
  'zh2en-hard': { folder: 'zh2en-hard', products: 'products_en.jsonl' },
  en2zh: { folder: 'en2zh', products: 'products_zh.jsonl' },
} as const;

export type XlingSet = keyof typeof XLING_SETS;

export interface XlingRow {
  set: XlingSet;
  bridge: boolean;
  result: EvaluationResult;
}

const progress = (message: string): void => {
  process.stderr.write(`[xling] ${message}\n`);
};

/** Evaluates one split on an engine that already holds its catalogue. */
export async function evaluateXlingSet(engine: Engine, set: XlingSet): Promise<EvaluationResult> {
  const dir = join(XLING_DIR, XLING_SETS[set].folder);
  return evaluate(engine, readQueries(join(dir, 'queries.tsv')), readQrels(join(dir, 'qrels.txt')));
}

/**
 * MRR@10 / Recall@10 of every split with `config` as given and with the bridge turned off (the config's
 * other settings kept), so the lead can compare any engine configuration. Catalogues are ingested once per
 * setting and shared by the splits that search them.
 */
export async function measureCrossLingual(config: SoukConfig = {}): Promise<XlingRow[]> {
  const rows: XlingRow[] = [];
  for (const bridge of [false, true]) {
    const crossLingual = bridge
      ? { enabled: true, pinyin: true, ...config.crossLingual }
      : { enabled: false, pinyin: false };
    for (const products of ['products_en.jsonl', 'products_zh.jsonl'] as const) {
      const engine = await createEngine({ ...config, dataDir: null, crossLingual });
      try {
        progress(`bridge ${bridge ? 'on' : 'off'}: ingesting ${products}`);
        await engine.ingest(join(XLING_DIR, products));
        for (const set of Object.keys(XLING_SETS) as XlingSet[]) {
          if (XLING_SETS[set].products !== products) continue;
          const result = await evaluateXlingSet(engine, set);
          progress(`bridge ${bridge ? 'on' : 'off'}: ${set} MRR@10 ${result['mrr@10']}`);
          rows.push({ set, bridge, result });
        }
      } finally {
        await engine.close();
      }
    }
  }
  return rows;
}

export function formatXlingTable(rows: readonly XlingRow[]): string {
  const lines = [
    '| split | queries | MRR@10 off | MRR@10 on | Recall@10 off | Recall@10 on | p50 ms on | p99 ms on |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const set of Object.keys(XLING_SETS) as XlingSet[]) {
    const off = rows.find((row) => row.set === set && !row.bridge)?.result;
    const on = rows.find((row) => row.set === set && row.bridge)?.result;
    if (!off || !on) continue;
    const f = (value: number): string => value.toFixed(4);
    lines.push(
      `| ${set} | ${on.queries} | ${f(off['mrr@10'])} | ${f(on['mrr@10'])} | ${f(off['recall@10'])} | ` +
        `${f(on['recall@10'])} | ${on.p50_ms.toFixed(2)} | ${on.p99_ms.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!existsSync(XLING_DIR)) {
    console.log(`skipped: ${XLING_DIR} not found`);
    process.exit(0);
  }
  const configIndex = process.argv.indexOf('--config');
  const config = configIndex > 0 ? (JSON.parse(process.argv[configIndex + 1]!) as SoukConfig) : {};
  console.log(formatXlingTable(await measureCrossLingual(config)));
}
