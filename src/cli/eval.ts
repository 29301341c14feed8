import { basename, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SoukConfig } from '../config.ts';
import { SoukError } from '../errors.ts';
import { readCompareConfig, type CompareConfig, type CompareRequest } from '../eval/compare-config.ts';
import {
  compareRuns,
  judgedNotInCatalogue,
  RESULT_KEYS,
  runEvaluation,
  type Comparison,
  type EvaluationOptions,
  type EvaluationRun,
} from '../eval/evaluate.ts';
import { readQrels, readQueries } from '../eval/judgment-files.ts';
import { DEFAULT_PERMUTATIONS, DEFAULT_SEED } from '../eval/significance.ts';
import type { SearchMode } from '../types.ts';
import { dataConfig, withEngine } from './options.ts';

interface EvalFlags {
  data: string;
  queries: string;
  qrels: string;
  mode?: SearchMode;
  ranker?: string;
  relevantGrade: number;
  rerankJudged?: boolean;
  prefix: boolean;
  typos: boolean;
  compare?: string;
  json?: boolean;
}

/** Queries run untimed before the measured pass, so p50/p99 leave out JIT and lazy loading. */
const WARMUP_QUERIES = 10;
const PLAIN_INTERVAL_MS = 2000;

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('measure ranking quality (NDCG, recall, MRR, precision, F1) and latency on judged queries')
    .requiredOption('-d, --data <dir>', 'data directory holding the ingested catalogue')
    .requiredOption('--queries <file>', 'queries, one "qid<TAB>text" per line')
    .requiredOption('--qrels <file>', 'judgments, TREC "qid 0 docid grade" lines')
    .addOption(
      new Option('--mode <mode>', 'retrieval mode (default: hybrid once products are embedded)').choices([
        'keyword',
        'semantic',
        'hybrid',
      ]),
    )
    .option('--ranker <ranker>', 'learned ranker: none, active or a model version', parseRanker)
    .option('--relevant-grade <g>', 'grade from which a product counts as relevant', parseGrade, 1)
    .option('--rerank-judged', "rank only each query's judged products (re-ranking quality)")
    .option('--no-prefix', 'do not treat the last query word as a prefix')
    .option('--no-typos', 'disable typo tolerance')
    .option('--compare <config>', 'JSON file naming a second configuration to compare with, with p-values')
    .option('--json', 'print the metrics as one JSON object')
    .action(async (flags: EvalFlags) => {
      const queriesFile = resolve(flags.queries);
      const qrelsFile = resolve(flags.qrels);
      const queries = readQueries(queriesFile);
      const qrels = readQrels(qrelsFile);
      const compare = flags.compare === undefined ? undefined : readCompareConfig(resolve(flags.compare));
      if (![...queries.keys()].some((qid) => qrels.has(qid))) {
        throw new SoukError(
          'INVALID_FIELD',
          `no query in ${flags.queries} has judgments in ${flags.qrels} (the query ids do not match)`,
          { file: qrelsFile },
        );
      }

      const baselineRequest: CompareRequest = {};
      if (flags.mode !== undefined) baselineRequest.mode = flags.mode;
      if (flags.ranker !== undefined) baselineRequest.ranker = flags.ranker;
      // Only when turned off: a request-level `true` would override an engine override in --compare.
      if (!flags.prefix) baselineRequest.prefix = false;
      if (!flags.typos) baselineRequest.typos = false;
      const options = (request: CompareRequest, label: string): EvaluationOptions => ({
        relevantGrade: flags.relevantGrade,
        rerankJudged: flags.rerankJudged === true,
        request,
        warmup: WARMUP_QUERIES,
        onProgress: progressBar(label),
      });

      const baseline = await withEngine(dataConfig(flags.data), async (engine) => {
        const run = await runEvaluation(engine, queries, qrels, options(baselineRequest, 'eval'));
        const catalogue = await judgedNotInCatalogue(
          engine,
          qrels,
          run.perQuery.map((q) => q.qid),
        );
        return { run, catalogue };
      });

      if (compare === undefined) {
        reportWarnings(baseline.run);
        if (flags.json) process.stdout.write(JSON.stringify(baseline.run.result) + '\n');
        else process.stdout.write(formatRun(baseline.run, flags) + '\n');
        writeNotes(baseline.run, baseline.catalogue, flags, flags.json === true);
        return;
      }

      const otherRequest: CompareRequest = { ...baselineRequest, ...compare.request };
      // The second engine must not overwrite the data directory's snapshot with its own settings.
      const otherConfig: SoukConfig = { ...compare.engine, snapshot: { enabled: false } };
      const maxLimit = compare.engine?.search?.maxLimit;
      const other = await withEngine(dataConfig(flags.data, otherConfig), (engine) =>
        runEvaluation(engine, queries, qrels, {
          ...options(otherRequest, 'eval other'),
          ...(maxLimit !== undefined && maxLimit < 100 ? { limit: maxLimit } : {}),
        }),
      );
      const comparison = compareRuns(baseline.run, other);
      reportWarnings(baseline.run, 'baseline');
      reportWarnings(other, 'other');
      if (flags.json) process.stdout.write(JSON.stringify(comparison) + '\n');
      else {
        const otherName = compare.name ?? basename(flags.compare!);
        process.stdout.write(
          formatComparison(
            comparison,
            baseline.run,
            other,
            flags,
            otherName,
            describeOther(compare),
            otherRequest.ranker,
          ) + '\n',
        );
      }
      writeNotes(baseline.run, baseline.catalogue, flags, flags.json === true);
    });
}

function parseGrade(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('expected a grade greater than 0');
  }
  return value;
}

function parseRanker(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('expected none, active or a model version');
  return text.trim();
}

/** A bar on a terminal; on pipes and CI logs an occasional plain line instead. */
function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  if (!stream.isTTY) {
    let last = Date.now();
    return (done: number, total: number): void => {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS || done === total) return;
      last = now;
      stream.write(`${label}: ${done}/${total} queries\n`);
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {value}/{total} queries | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return (done: number, total: number): void => {
    if (!started) {
      bar.start(Math.max(total, 1), done);
      started = true;
    } else bar.update(done);
    if (done >= total) bar.stop();
  };
}

function reportWarnings(run: EvaluationRun, label?: string): void {
  for (const warning of run.warnings) {
    process.stderr.write(`warning${label ? ` (${label})` : ''}: ${warning}\n`);
  }
}

function describeBaseline(run: EvaluationRun, flags: EvalFlags): string {
  const parts = [`${run.modes.join('/') || flags.mode || 'default'} mode`];
  parts.push(rankerText(run, flags.ranker));
  if (flags.rerankJudged) parts.push('re-ranking judged products only');
  if (!flags.prefix) parts.push('no prefix');
  if (!flags.typos) parts.push('no typos');
  return parts.join('; ');
}

/** The ranker versions that ordered the hits (response.ranker), and what was asked when that differs. */
function rankerText(run: EvaluationRun, asked: string | undefined): string {
  const applied = run.rankers.length > 0 ? run.rankers.join(', ') : 'none applied';
  const differs = asked !== undefined && asked !== 'none' && !run.rankers.includes(asked);
  return `ranker: ${applied}${differs ? ` (asked for ${asked})` : ''}`;
}

function describeOther(compare: CompareConfig): string {
  const changes: string[] = [];
  for (const [key, value] of Object.entries(compare.request)) changes.push(`${key}=${JSON.stringify(value)}`);
  const flatten = (value: unknown, path: string): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) flatten(inner, `${path}.${key}`);
    } else changes.push(`${path}=${JSON.stringify(value)}`);
  };
  for (const [key, value] of Object.entries(compare.engine ?? {})) flatten(value, key);
  return changes.length === 0 ? 'same as the baseline' : changes.join(', ');
}

function formatValue(key: string, value: number): string {
  if (key === 'queries') return String(value);
  if (key.endsWith('_ms')) return value.toFixed(3);
  return value.toFixed(4);
}

function formatRun(run: EvaluationRun, flags: EvalFlags): string {
  const lines = [
    `${run.result.queries} queries (${describeBaseline(run, flags)}; relevant from grade ${flags.relevantGrade})`,
  ];
  const width = Math.max(...RESULT_KEYS.map((key) => key.length));
  for (const key of RESULT_KEYS) {
    if (key === 'queries') continue;
    lines.push(`${key.padEnd(width)}  ${formatValue(key, run.result[key]).padStart(9)}`);
  }
  return lines.join('\n');
}

function formatComparison(
  comparison: Comparison,
  baseline: EvaluationRun,
  other: EvaluationRun,
  flags: EvalFlags,
  otherName: string,
  otherChanges: string,
  otherRanker: string | undefined,
): string {
  const lines = [
    `${comparison.baseline.queries} queries, relevant from grade ${flags.relevantGrade}`,
    `baseline: ${describeBaseline(baseline, flags)}`,
    `other (${otherName}): ${otherChanges}; ${other.modes.join('/')} mode; ${rankerText(other, otherRanker)}`,
    '',
  ];
  const rows: string[][] = [['metric', 'baseline', 'other', 'difference', 'p']];
  for (const key of RESULT_KEYS) {
    const diff = comparison.difference[key];
    const p = comparison.p_value[key];
    rows.push([
      key,
      formatValue(key, comparison.baseline[key]),
      formatValue(key, comparison.other[key]),
      (diff > 0 ? '+' : '') + formatValue(key, diff),
      p === null ? '' : p.toFixed(4) + (p < 0.05 ? ' *' : ''),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) {
    lines.push(
      row
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('  ')
        .trimEnd(),
    );
  }
  lines.push(
    '',
    `p: two-sided paired randomisation test on the per-query values (sign flips; exact for few queries, ` +
      `else ${DEFAULT_PERMUTATIONS.toLocaleString('en')} permutations, seed ${DEFAULT_SEED}); * p < 0.05`,
  );
  return lines.join('\n');
}

/** Facts about the inputs worth knowing when reading the numbers: on stdout in text mode, stderr with --json. */
function writeNotes(
  run: EvaluationRun,
  catalogue: { judged: number; missing: number },
  flags: EvalFlags,
  json: boolean,
): void {
  const notes: string[] = [];
  if (catalogue.missing > 0) {
    notes.push(
      `${catalogue.missing} of ${catalogue.judged} judged products are not in the catalogue ` +
        `(they count in the ideal DCG and as relevant products not found)`,
    );
  }
  if (run.unjudgedQueries > 0) {
    notes.push(`${plural(run.unjudgedQueries, 'query')} in ${flags.queries} without judgments: skipped`);
  }
  if (run.judgmentsWithoutQuery > 0) {
    notes.push(
      `${plural(run.judgmentsWithoutQuery, 'judged query', 'judged queries')} without query text: skipped`,
    );
  }
  if (run.withoutRelevant > 0) {
    notes.push(
      `${plural(run.withoutRelevant, 'query', 'queries')} without a judged product graded ≥ ${flags.relevantGrade} ` +
        `(they score 0 on every metric)`,
    );
  }
  const text = notes.map((note) => `note: ${note}\n`).join('');
  if (text === '') return;
  if (json) process.stderr.write(text);
  else process.stdout.write(text);
}

function plural(n: number, one: string, many = `${one === 'query' ? 'queries' : one + 's'}`): string {
  return `${n} ${n === 1 ? one : many}`;
}
