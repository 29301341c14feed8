import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AdapterReport, TrainAdapterProgress } from '../embed/query-adapter.ts';
import type { Engine } from '../engine-api.ts';
import { SoukError } from '../errors.ts';
import { evaluate, type EvaluationResult } from '../eval/evaluate.ts';
import { readQrels, readQueries } from '../eval/judgment-files.ts';
import type { PairSearchMode } from '../eval/training-pairs.ts';
import { seededRandom } from '../util/seeded-random.ts';
import { shuffleInPlace } from '../vector/embedding-adapter.ts';
import { dataConfig, parseInteger, withEngine } from './options.ts';

interface TrainAdapterFlags {
  data: string;
  queries?: string;
  qrels?: string;
  remove?: boolean;
  relevantGrade: number;
  negatives: number;
  mode?: PairSearchMode;
  epochs: number;
  holdout: number;
  seed: number;
  learningRate?: number;
  identityWeight?: number;
  json?: boolean;
}

const PLAIN_INTERVAL_MS = 2000;

function parseFraction(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value >= 1)
    throw new InvalidArgumentError('expected 0 ≤ x < 1');
  return value;
}

function parsePositive(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expected a positive number');
  return value;
}

export function registerTrainAdapter(program: Command): void {
  program
    .command('train-adapter')
    .description(
      'train a query adapter for the text model on judged queries (a linear map on query vectors), ' +
        'and report semantic relevance on held-out queries before and after',
    )
    .requiredOption('-d, --data <dir>', 'data directory holding the ingested and embedded catalogue')
    .option('--queries <file>', 'queries, one "qid<TAB>text" per line')
    .option('--qrels <file>', 'judgments, TREC "qid 0 docid grade" lines')
    .option('--remove', "drop the text model's adapter (queries are embedded as the model makes them)")
    .option('--relevant-grade <g>', 'grade from which a judged product is a positive', parseInteger(0), 1)
    .option('--negatives <n>', 'hard negatives per pair', parseInteger(0, 1000), 5)
    .addOption(
      new Option('--mode <mode>', 'search the hard negatives come from (default: semantic)')
        .choices(['keyword', 'semantic', 'hybrid'])
        .default('semantic'),
    )
    .option(
      '--epochs <n>',
      'most passes over the pairs (early stopping may end sooner)',
      parseInteger(1, 1000),
      10,
    )
    .option(
      '--holdout <share>',
      'share of the judged queries kept out of training and measured',
      parseFraction,
      0.2,
    )
    .option('--seed <n>', 'seed of the holdout split and the training order', parseInteger(0), 1)
    .option('--learning-rate <x>', 'Adam step size (default 0.0003)', parsePositive)
    .option(
      '--identity-weight <x>',
      'weight of the pull towards the identity map (default 0.01)',
      parsePositive,
    )
    .option('--json', 'print the training report and the measurements as JSON')
    .action(async (flags: TrainAdapterFlags) => {
      if (flags.remove) {
        const removed = await withEngine(dataConfig(flags.data), (engine) => engine.removeAdapter());
        process.stdout.write(removed ? 'removed the query adapter\n' : 'no query adapter to remove\n');
        return;
      }
      if (!flags.queries || !flags.qrels) {
        throw new SoukError('INVALID_REQUEST', 'train-adapter needs --queries and --qrels (or --remove)');
      }
      const queries = readQueries(resolve(flags.queries));
      const qrels = readQrels(resolve(flags.qrels));
      const judged = [...queries.keys()].filter((qid) => qrels.has(qid)).sort();
      shuffleInPlace(judged, seededRandom(flags.seed));
      const held = new Set(judged.slice(0, Math.floor(judged.length * flags.holdout)));
      const trainQueries = new Map([...queries].filter(([qid]) => qrels.has(qid) && !held.has(qid)));
      const holdoutQueries = new Map([...queries].filter(([qid]) => held.has(qid)));
      const measure = async (engine: Engine, label: string) =>
        holdoutQueries.size === 0
          ? undefined
          : evaluate(engine, holdoutQueries, qrels, {
              relevantGrade: flags.relevantGrade,
              request: { mode: 'semantic', ranker: 'none' },
              onProgress: plainProgress(`measure ${label}`),
            });

      // Before: the model's own query vectors (an adapter stored earlier is left out).
      let before: EvaluationResult | undefined;
      const report = await withEngine(
        dataConfig(flags.data, { embedding: { adapter: false } }),
        async (engine) => {
          before = await measure(engine, 'before');
          const progress = trainingProgress();
          return engine.trainAdapter(
            { queries: trainQueries, qrels },
            {
              relevantGrade: flags.relevantGrade,
              negatives: flags.negatives,
              mode: flags.mode,
              epochs: flags.epochs,
              seed: flags.seed,
              ...(flags.learningRate !== undefined ? { learningRate: flags.learningRate } : {}),
              ...(flags.identityWeight !== undefined ? { identityWeight: flags.identityWeight } : {}),
              onProgress: progress,
            },
          );
        },
      );
      // After: a fresh engine reads the stored adapter, as every later search will.
      const after = await withEngine(dataConfig(flags.data), (engine) => measure(engine, 'after'));
      if (flags.json) {
        process.stdout.write(
          JSON.stringify({ report, holdout: { queries: holdoutQueries.size, before, after } }) + '\n',
        );
        return;
      }
      process.stdout.write(formatReport(report, holdoutQueries.size, before, after) + '\n');
    });
}

function plainProgress(label: string): (done: number, total: number) => void {
  let last = Date.now();
  return (done, total) => {
    if (Date.now() - last < PLAIN_INTERVAL_MS && done < total) return;
    last = Date.now();
    process.stderr.write(`${label}: ${done}/${total} queries\n`);
  };
}

function trainingProgress(): (progress: TrainAdapterProgress) => void {
  let last = 0;
  return (p) => {
    const epochDone = p.epochDone === true;
    if (!epochDone && Date.now() - last < PLAIN_INTERVAL_MS && p.done < p.total) return;
    last = Date.now();
    if (p.phase !== 'training') {
      const what = p.phase === 'pairs' ? 'hard negatives' : 'embedding queries';
      process.stderr.write(`${what}: ${p.done}/${p.total}\n`);
    } else if (epochDone) {
      const validation =
        p.validationLoss === undefined ? '' : `, validation loss ${p.validationLoss.toFixed(4)}`;
      process.stderr.write(`epoch ${p.epoch}: train loss ${p.trainLoss!.toFixed(4)}${validation}\n`);
    } else {
      process.stderr.write(
        `epoch ${p.epoch}: ${p.done}/${p.total} batches, loss ${p.trainLoss!.toFixed(4)}\n`,
      );
    }
  };
}

function formatReport(
  report: AdapterReport,
  holdout: number,
  before: EvaluationResult | undefined,
  after: EvaluationResult | undefined,
): string {
  const lines = [
    `adapter for ${report.embedder}: ${report.pairs} pairs from ${report.queries} queries` +
      (report.skippedPairs > 0 ? ` (${report.skippedPairs} without a product vector skipped)` : '') +
      `; ${report.trainExamples} trained, ${report.validationExamples} for early stopping`,
    `epochs ${report.epochs}, kept epoch ${report.bestEpoch}${report.stoppedEarly ? ' (stopped early)' : ''}` +
      (report.validation
        ? `; validation loss ${report.validation.before.loss.toFixed(4)} → ${report.validation.after.loss.toFixed(4)}`
        : ''),
  ];
  if (before && after) {
    const row = (metric: 'mrr@10' | 'ndcg@10'): string =>
      `${metric.toUpperCase()} ${before[metric].toFixed(4)} → ${after[metric].toFixed(4)}`;
    lines.push(`holdout (${holdout} queries, semantic): ${row('mrr@10')}, ${row('ndcg@10')}`);
  }
  return lines.join('\n');
}
