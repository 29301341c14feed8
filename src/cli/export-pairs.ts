import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  forEachTrainingPair,
  type PairSearchMode,
  type TrainingPairSummary,
} from '../eval/training-pairs.ts';
import { readQrels, readQueries } from '../eval/judgment-files.ts';
import { dataConfig, parseInteger, withEngine } from './options.ts';

interface ExportPairsFlags {
  data: string;
  queries: string;
  qrels: string;
  relevantGrade: number;
  negatives: number;
  mode?: PairSearchMode;
  depth?: number;
  withIds?: boolean;
  out?: string;
}

const PLAIN_INTERVAL_MS = 2000;

export function registerExportPairs(program: Command): void {
  program
    .command('export-pairs')
    .description(
      'write training pairs for embedding models as JSON Lines: {"query","positive","negatives":[…]}, ' +
        "hard negatives from souk's own search",
    )
    .requiredOption('-d, --data <dir>', 'data directory holding the ingested catalogue')
    .requiredOption('--queries <file>', 'queries, one "qid<TAB>text" per line')
    .requiredOption('--qrels <file>', 'judgments, TREC "qid 0 docid grade" lines')
    .option('--relevant-grade <g>', 'grade from which a judged product is a positive', parseInteger(0), 1)
    .option('--negatives <n>', 'hard negatives per pair', parseInteger(0, 1000), 5)
    .addOption(
      new Option('--mode <mode>', 'search the negatives come from (default: hybrid once embedded)').choices([
        'keyword',
        'semantic',
        'hybrid',
      ]),
    )
    .option(
      '--depth <n>',
      'hits looked at per query for negatives (default: max(30, 3 × negatives))',
      parseInteger(1, 1000),
    )
    .option('--with-ids', 'also write qid, positiveId and negativeIds')
    .option('--out <file>', 'write the pairs to this file (default: stdout)')
    .action(async (flags: ExportPairsFlags) => {
      const queries = readQueries(resolve(flags.queries));
      const qrels = readQrels(resolve(flags.qrels));
      const out: WriteStream | NodeJS.WriteStream = flags.out
        ? createWriteStream(resolve(flags.out))
        : process.stdout;
      let last = Date.now();
      let pairs = 0;
      const summary = await withEngine(dataConfig(flags.data), (engine) =>
        forEachTrainingPair(
          engine,
          queries,
          qrels,
          {
            relevantGrade: flags.relevantGrade,
            negatives: flags.negatives,
            mode: flags.mode,
            ...(flags.depth !== undefined ? { depth: flags.depth } : {}),
            withIds: flags.withIds === true,
            onProgress: (done, total) => {
              if (Date.now() - last < PLAIN_INTERVAL_MS && done < total) return;
              last = Date.now();
              process.stderr.write(`export-pairs: ${done}/${total} queries, ${pairs} pairs\n`);
            },
          },
          async (pair) => {
            pairs++;
            if (!out.write(JSON.stringify(pair) + '\n')) await once(out, 'drain');
          },
        ),
      );
      if (flags.out) {
        (out as WriteStream).end();
        await once(out, 'finish');
      }
      // With the pairs on stdout, the summary goes to stderr so the output stays pure JSON Lines.
      (flags.out ? process.stdout : process.stderr).write(formatSummary(summary, flags) + '\n');
    });
}

function formatSummary(summary: TrainingPairSummary, flags: ExportPairsFlags): string {
  const short =
    summary.shortOfNegatives > 0 ? `, ${summary.shortOfNegatives} with fewer than ${flags.negatives}` : '';
  const missing =
    summary.missingProducts > 0 ? `; ${summary.missingProducts} relevant ids not in the catalogue` : '';
  return (
    `pairs ${summary.pairs} from ${summary.queriesWithPairs} of ${summary.queries} judged queries, ` +
    `negatives ${summary.negatives}${short} (from ${summary.mode ?? 'no'} search)${missing}` +
    (flags.out ? ` → ${flags.out}` : '')
  );
}
