import type { Command } from 'commander';
import type { Engine } from '../engine-api.ts';
import type { EmbedReport } from '../types.ts';
import { EXIT_DATA_ERROR, EXIT_OK } from './exit-codes.ts';
import { dataConfig, parseList, withEngine } from './options.ts';
import { createEmbedProgressReporter } from './progress.ts';

interface EmbedFlags {
  data: string;
  spaces?: string[];
  json?: boolean;
}

export function registerEmbed(program: Command): void {
  program
    .command('embed')
    .description('compute text and image vectors for products that changed (unchanged ones are skipped)')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .option('--spaces <names>', 'only these vector spaces: text, image', parseList)
    .option('--json', 'print the embedding report as JSON')
    .action(async (flags: EmbedFlags) => {
      const report = await withEngine(dataConfig(flags.data), (engine) =>
        embedWithProgress(engine, flags.spaces),
      );
      process.exitCode = printEmbedReport(report, flags.json === true);
    });
}

export async function embedWithProgress(engine: Engine, spaces?: string[]): Promise<EmbedReport> {
  const progress = createEmbedProgressReporter();
  try {
    return await engine.embed({
      onProgress: (p) => progress.update(p),
      ...(spaces ? { spaces: spaces as Array<'text' | 'image'> } : {}),
    });
  } finally {
    progress.stop();
  }
}

/** Prints the report; exit 65 when some products could not be embedded (their photo was unreadable …). */
export function printEmbedReport(report: EmbedReport, json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    for (const error of report.errors)
      process.stderr.write(`${error.id}: ${error.message} [${error.code}]\n`);
    const spaces = Object.entries(report.spaces)
      .map(([name, s]) => `${name}: ${s.vectors} vectors${s.backlog > 0 ? `, ${s.backlog} waiting` : ''}`)
      .join('; ');
    process.stdout.write(
      `embedded ${report.embedded}, from cache ${report.cached}, failed ${report.failed} (${spaces})\n`,
    );
  }
  return report.failed > 0 ? EXIT_DATA_ERROR : EXIT_OK;
}
