import { Command, CommanderError } from 'commander';
import { toSoukError } from '../errors.ts';
import { registerDemo } from './demo.ts';
import { registerEmbed } from './embed.ts';
import { registerExportPairs } from './export-pairs.ts';
import { registerEval } from './eval.ts';
import { registerFeedback } from './feedback.ts';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.ts';
import { registerIngest } from './ingest.ts';
import { packageVersion } from './package-root.ts';
import { registerRules } from './rules.ts';
import { registerSearch } from './search.ts';
import { registerServe } from './serve.ts';
import { registerStats } from './stats.ts';
import { registerTrain } from './train.ts';
import { registerTrainAdapter } from './train-adapter.ts';
import { registerWatch } from './watch.ts';

/**
 * Entry point of the `souk` command (run by bin/souk.js). Commands only parse and print; every failure
 * ends here as `error [CODE]: message` on stderr and an exit status from the exit-code table.
 */
export function buildProgram(): Command {
  const program = new Command('souk')
    .description('e-commerce product search: load catalogues, search them, serve them over HTTP')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      // One error format for usage errors and engine errors alike, so scripts can match a single pattern.
      outputError: (text, write) => write(text.replace(/^error: /, 'error [USAGE]: ')),
    })
    .showHelpAfterError('(run with --help for usage)');

  registerIngest(program);
  registerSearch(program);
  registerEmbed(program);
  registerServe(program);
  registerStats(program);
  registerFeedback(program);
  registerTrain(program);
  registerRules(program);
  registerExportPairs(program);
  registerTrainAdapter(program);
  registerEval(program);
  registerWatch(program);
  registerDemo(program);
  program.addHelpText('after', '\nRun `souk <command> --help` for the options of a command.');
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      // Commander has already printed help or the message; --help and --version exit 0.
      return thrown.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const error = toSoukError(thrown);
    process.stderr.write(`error [${error.code}]: ${error.message}\n`);
    if (process.env.SOUK_DEBUG && error.stack) {
      const cause = error.cause instanceof Error ? error.cause : error;
      process.stderr.write(`${cause.stack ?? ''}\n`);
    }
    return exitCodeFor(error.code);
  }
}

process.exitCode = await main();
