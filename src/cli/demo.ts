import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { createProgressReporter } from './progress.ts';
import { packageRoot } from './package-root.ts';
import { addServerOptions, serveUntilSignal, serverConfig, type ServeFlags } from './serve.ts';
import { withEngine } from './options.ts';
import { embedWithProgress, printEmbedReport } from './embed.ts';

const DEMO_PORT = 7700;

export function registerDemo(program: Command): void {
  addServerOptions(
    program
      .command('demo')
      .description('load the Luma sample catalogue (191 products with photos) and serve it')
      .option('-d, --data <dir>', 'data directory (default: .souk-data/demo in the souk package)'),
    DEMO_PORT,
  ).action(async (flags: Partial<ServeFlags>) => {
    // Resolved from the package, not the cwd, so `souk demo` works from any directory.
    const root = packageRoot();
    const catalogue = join(root, 'examples', 'luma', 'products.jsonl');
    const config = serverConfig(flags.data ?? join(root, '.souk-data', 'demo'), flags);

    await withEngine(
      config,
      async (engine) => {
        const progress = createProgressReporter('demo');
        const report = await engine
          .ingest(catalogue, { onProgress: (p) => progress.update(p) })
          .finally(() => progress.stop());
        process.stdout.write(
          `demo: loaded ${report.loaded}, unchanged ${report.unchanged}, rejected ${report.rejected} ` +
            `from ${relative(root, catalogue)} into ${config.dataDir}\n`,
        );
        // Text and photo vectors for semantic, hybrid and image search (cached: a second run embeds nothing).
        const embedded = await embedWithProgress(engine);
        printEmbedReport(embedded, false);
        await serveUntilSignal(engine, config, flags, {
          defaultPort: DEMO_PORT,
          afterListen: (url) =>
            process.stdout.write(`try ${url}/search?q=hoodie or open ${url}/ in a browser\n`),
        });
      },
      { create: true },
    );
  });
}
