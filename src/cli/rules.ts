import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SoukError } from '../errors.ts';
import type { Rules } from '../rank/rules.ts';
import { dataConfig, withEngine } from './options.ts';

/** `souk rules set <file.json>` and `souk rules show`: the search rules of a data directory. */
export function registerRules(program: Command): void {
  const rules = program
    .command('rules')
    .description('synonyms and merchandising rules (pin, hide, boost, bury) of a data directory');

  rules
    .command('set')
    .description('replace the rules with those in a JSON file (see README "Rules")')
    .argument('<file>', 'rules file: {"synonyms": [...], "merchandising": [...]}')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .option('--json', 'print the stored rules as JSON')
    .action(async (file: string, flags: { data: string; json?: boolean }) => {
      const input = await readRulesFile(resolve(file));
      const stored = await withEngine(dataConfig(flags.data), (engine) => engine.setRules(input));
      process.stdout.write(
        flags.json
          ? JSON.stringify(stored) + '\n'
          : `rules set: ${stored.synonyms.length} synonym entries, ${stored.merchandising.length} merchandising rules\n`,
      );
    });

  rules
    .command('show')
    .description('print the rules as JSON')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .action(async (flags: { data: string }) => {
      const stored = await withEngine(dataConfig(flags.data), (engine) => engine.getRules());
      process.stdout.write(JSON.stringify(stored, null, 2) + '\n');
    });
}

async function readRulesFile(file: string): Promise<Rules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SoukError(
      missing ? 'FILE_NOT_FOUND' : 'STORE_ERROR',
      missing ? `No rules file at ${file}` : `Cannot read ${file}: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as Rules;
  } catch (error) {
    throw new SoukError(
      'INVALID_JSON',
      `${file} is not valid JSON: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
}
