import type { Command } from 'commander';
import { isSoukError } from '../errors.ts';
import type { EmbedReport, LineError } from '../types.ts';
import { embedWithProgress, printEmbedReport } from './embed.ts';
import { EXIT_DATA_ERROR, EXIT_OK } from './exit-codes.ts';
import { addStoreOptions, storeConfig, withEngine, type StoreFlags } from './options.ts';
import { formatLineErrors } from './output.ts';
import { createProgressReporter } from './progress.ts';

interface IngestFlags extends StoreFlags {
  strict?: boolean;
  json?: boolean;
  embed?: boolean;
}

export function registerIngest(program: Command): void {
  addStoreOptions(
    program
      .command('ingest')
      .description('load a JSONL or CSV catalogue into a data directory (unchanged products are skipped)')
      .argument('<file>', 'catalogue file: .jsonl, .ndjson, .json or .csv'),
  )
    .option('--strict', 'load nothing if any line is invalid')
    .option('--json', 'print the ingest report as JSON')
    .option('--embed', 'also compute text and image vectors for new and changed products')
    .addHelpText(
      'after',
      '\nExit status: 0 when every line loaded, 65 when some lines were rejected (the rest are loaded unless --strict).',
    )
    .action(async (file: string, flags: IngestFlags) => {
      process.exitCode = await runIngest(file, flags);
    });
}

async function runIngest(file: string, flags: IngestFlags): Promise<number> {
  const progress = createProgressReporter('ingest');
  let embedded: EmbedReport | undefined;
  const report = await withEngine(
    storeConfig(flags),
    async (engine) => {
      try {
        const loaded = await engine.ingest(file, {
          strict: flags.strict === true,
          onProgress: (p) => progress.update(p),
        });
        progress.stop();
        if (flags.embed) embedded = await embedWithProgress(engine);
        return loaded;
      } catch (error) {
        // A strict load that fails still owes the user the list of lines that made it fail.
        if (isSoukError(error) && Array.isArray(error.details.errors)) {
          progress.stop();
          printRejections(error.details.errors as LineError[], file);
        }
        throw error;
      } finally {
        progress.stop();
      }
    },
    { create: true },
  );

  if (flags.json) {
    process.stdout.write(JSON.stringify(embedded ? { ...report, embedding: embedded } : report) + '\n');
  } else {
    printRejections(report.errors, file);
    process.stdout.write(
      `loaded ${report.loaded}, unchanged ${report.unchanged}, rejected ${report.rejected}\n`,
    );
    if (embedded) printEmbedReport(embedded, false);
  }
  return report.rejected > 0 || (embedded?.failed ?? 0) > 0 ? EXIT_DATA_ERROR : EXIT_OK;
}

function printRejections(errors: readonly LineError[], file: string): void {
  for (const line of formatLineErrors(errors, file)) process.stderr.write(line + '\n');
}
