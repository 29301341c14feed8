import type { Command } from 'commander';
import { isSoukError } from '../errors.ts';
import type { LineError } from '../types.ts';
import { EXIT_DATA_ERROR, EXIT_OK } from './exit-codes.ts';
import { dataConfig, withEngine } from './options.ts';
import { formatLineErrors } from './output.ts';
import { createProgressReporter } from './progress.ts';

interface ImportFlags {
  data: string;
  strict?: boolean;
  json?: boolean;
}

/** `souk feedback import`: behaviour events (impressions, clicks, carts, purchases) into the feedback log. */
export function registerFeedback(program: Command): void {
  const feedback = program
    .command('feedback')
    .description('behaviour feedback (impressions, clicks, add-to-carts, purchases) for learned ranking');
  feedback
    .command('import')
    .description('append a JSONL or CSV file of feedback events to a data directory')
    .argument('<file>', 'events file: .jsonl, .ndjson or .csv')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .option('--strict', 'import nothing if any line is invalid')
    .option('--json', 'print the import report as JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 when every line was imported, 65 when some lines were rejected (the rest are imported unless --strict).',
    )
    .action(async (file: string, flags: ImportFlags) => {
      process.exitCode = await runImport(file, flags);
    });
}

async function runImport(file: string, flags: ImportFlags): Promise<number> {
  const progress = createProgressReporter('feedback import');
  const report = await withEngine(
    dataConfig(flags.data),
    async (engine) => {
      try {
        return await engine.importFeedback(file, {
          strict: flags.strict === true,
          onProgress: (p) => progress.update(p),
        });
      } catch (error) {
        if (isSoukError(error) && Array.isArray(error.details.errors)) {
          progress.stop();
          printRejections(error.details.errors as LineError[], file, Number(error.details.rejected ?? 0));
        }
        throw error;
      } finally {
        progress.stop();
      }
    },
    { create: true },
  );
  if (flags.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    printRejections(report.errors, file, report.rejected);
    process.stdout.write(`loaded ${report.loaded}, rejected ${report.rejected}\n`);
  }
  return report.rejected > 0 ? EXIT_DATA_ERROR : EXIT_OK;
}

function printRejections(errors: readonly LineError[], file: string, total: number): void {
  // A line can have several errors; `total` counts lines, so only the listed errors are summarised.
  const lines = formatLineErrors(errors, file, Math.max(errors.length, total));
  for (const line of lines) process.stderr.write(line + '\n');
}
