import { InvalidArgumentError, type Command } from 'commander';
import { SoukError } from '../errors.ts';
import { readQrels, readQueries } from '../eval/judgment-files.ts';
import type { SearchMode } from '../types.ts';
import { EXIT_OK } from './exit-codes.ts';
import { dataConfig, parseInteger, withEngine } from './options.ts';

interface TrainFlags {
  data: string;
  queries?: string;
  qrels?: string;
  feedback?: boolean;
  update?: boolean;
  mode?: SearchMode;
  holdout?: number;
  trees?: number;
  activate: boolean;
  json?: boolean;
}

function parseShare(text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value < 1)) throw new InvalidArgumentError('expected a share from 0 to below 1');
  return value;
}

/** Progress on stderr, one line every couple of seconds (pipes and CI logs stay readable). */
function stageProgress(): (stage: string, done: number, total: number, detail?: string) => void {
  let last = 0;
  let lastStage = '';
  return (stage, done, total, detail) => {
    const now = Date.now();
    if (now - last < 2000 && done < total && stage === lastStage) return;
    last = now;
    lastStage = stage;
    process.stderr.write(`${stage}: ${done}/${total}${detail ? `, ${detail}` : ''}\n`);
  };
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a learned ranker (LambdaMART) from relevance judgments; it becomes the active one')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .option('--queries <file>', 'queries, TSV: qid<TAB>text (with --qrels)')
    .option('--qrels <file>', 'judgments, TREC: qid 0 docid grade')
    .option('--feedback', 'train from the logged feedback (clicks, carts, purchases) instead of judgments')
    .option('--update', 'online update: add trees to the active model for the feedback since the last update')
    .option('--mode <mode>', 'retrieval mode the candidates come from: keyword, semantic, hybrid')
    .option(
      '--holdout <share>',
      'share of queries kept out of training (early stopping, online guard)',
      parseShare,
    )
    .option('--trees <n>', 'most boosting rounds', parseInteger(1, 5000))
    .option('--no-activate', 'store the model without making it active')
    .option('--json', 'print the training report as JSON')
    .action(async (flags: TrainFlags) => {
      const sources = [
        flags.queries !== undefined || flags.qrels !== undefined,
        flags.feedback,
        flags.update,
      ];
      if (sources.filter(Boolean).length !== 1) {
        throw new SoukError('INVALID_REQUEST', 'give --queries and --qrels, or --feedback, or --update');
      }
      if (flags.update) {
        const report = await withEngine(dataConfig(flags.data), (engine) => engine.updateRanker());
        if (!report) throw new SoukError('RANKER_NOT_FOUND', 'no active ranker to update (souk train first)');
        if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
        else
          process.stdout.write(
            report.accepted
              ? `ranker ${report.version} (active): ${report.addedTrees} trees added to ${report.base} from ` +
                  `${report.queries} queries; holdout NDCG@10 ${report.holdoutNdcgBefore.toFixed(4)} → ` +
                  `${report.holdoutNdcgAfter.toFixed(4)}\n`
              : `update rejected, ${report.base} stays active: ${report.reason}\n`,
          );
        return;
      }
      if (!flags.feedback && (flags.queries === undefined || flags.qrels === undefined)) {
        throw new SoukError('INVALID_REQUEST', 'training from judgments needs both --queries and --qrels');
      }
      const options = {
        ...(flags.mode ? { request: { mode: flags.mode } } : {}),
        ...(flags.holdout !== undefined ? { holdout: flags.holdout } : {}),
        ...(flags.trees !== undefined ? { trees: flags.trees } : {}),
        activate: flags.activate,
        onProgress: stageProgress(),
      };
      const judgments = flags.feedback
        ? undefined
        : { queries: readQueries(flags.queries!), qrels: readQrels(flags.qrels!) };
      const report = await withEngine(dataConfig(flags.data), (engine) =>
        judgments
          ? engine.trainRanker({ ...judgments, ...options })
          : engine.trainRankerFromFeedback(options),
      );
      if (flags.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
      } else {
        const holdout =
          report.holdoutQueries > 0
            ? `; holdout NDCG@10 ${report.holdoutNdcgBefore.toFixed(4)} → ${report.holdoutNdcgAfter.toFixed(4)}`
            : '';
        process.stdout.write(
          `ranker ${report.version}${report.active ? ' (active)' : ''}: ${report.trees} trees from ` +
            `${report.trainQueries} queries (${report.rows} rows), ${report.associations} term associations, ` +
            `${report.holdoutQueries} held out${holdout}\n`,
        );
      }
      process.exitCode = EXIT_OK;
    });

  const ranker = program
    .command('ranker')
    .description('list stored learned-ranker versions, switch between them');
  ranker
    .command('list')
    .description('stored versions, the active one marked *')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .option('--json', 'print as JSON')
    .action(async (flags: { data: string; json?: boolean }) => {
      const { active, models } = await withEngine(dataConfig(flags.data), async (engine) =>
        engine.rankerModels(),
      );
      if (flags.json) {
        process.stdout.write(JSON.stringify({ active: active ?? null, models }) + '\n');
        return;
      }
      if (models.length === 0) process.stdout.write('no ranker trained yet (souk train)\n');
      for (const model of models) {
        const metrics = Object.entries(model.metrics)
          .map(([name, value]) => `${name} ${value.toFixed(4)}`)
          .join(', ');
        process.stdout.write(
          `${model.version === active ? '*' : ' '} ${model.version}  ${model.createdAt}  ${model.source}` +
            `${model.parent ? ` from ${model.parent}` : ''}, ${model.trees} trees${metrics ? `, ${metrics}` : ''}\n`,
        );
      }
    });
  ranker
    .command('activate <version>')
    .description('make a stored version the active ranker ("none" turns learned ranking off)')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .action(async (version: string, flags: { data: string }) => {
      await withEngine(dataConfig(flags.data), (engine) => engine.activateRanker(version));
      process.stdout.write(version === 'none' ? 'learned ranking off\n' : `active ranker: ${version}\n`);
    });
}
