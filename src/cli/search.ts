import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SORT_ORDERS } from '../server/search-params.ts';
import type { SearchMode, SearchRequest, SortOrder } from '../types.ts';
import {
  addStoreOptions,
  parseInteger,
  parseList,
  storeConfig,
  withEngine,
  type StoreFlags,
} from './options.ts';
import { formatSearch } from './output.ts';

interface SearchFlags extends StoreFlags {
  filter?: string;
  facets?: string[];
  sort?: SortOrder;
  limit?: number;
  offset?: number;
  prefix: boolean;
  typos: boolean;
  json?: boolean;
  mode?: SearchMode;
  image?: string;
  ranker?: string;
  user?: string;
}

export function registerSearch(program: Command): void {
  addStoreOptions(
    program
      .command('search')
      .description('search a data directory and print the results')
      .argument('[query]', 'query text; empty lists the (filtered) catalogue', ''),
  )
    .option('-f, --filter <expr>', 'filter expression, e.g. "brand = Nike AND price 10 TO 50"')
    .option('--facets <fields>', 'comma-separated fields to count, e.g. brand,color,price', parseList)
    .addOption(new Option('--sort <order>', 'result order').choices(SORT_ORDERS))
    .option('-n, --limit <n>', 'number of results', parseInteger(1))
    .option('--offset <n>', 'results to skip', parseInteger(0))
    .option('--no-prefix', 'do not treat the last word as a prefix')
    .option('--no-typos', 'disable typo tolerance')
    .addOption(
      new Option('--mode <mode>', 'retrieval mode (default: hybrid once products are embedded)').choices([
        'keyword',
        'semantic',
        'hybrid',
        'image',
      ]),
    )
    .option('--image <path>', 'search by a photo (alone, or with the query text)')
    .option('--ranker <version>', 'learned ranker: active (default), none, or a stored version')
    .option('--user <id>', 'shopper id: personalise with their own feedback')
    .option('--json', 'print the search response as JSON')
    .action(async (query: string, flags: SearchFlags) => {
      const request: SearchRequest = { q: query, prefix: flags.prefix, typos: flags.typos };
      if (flags.filter !== undefined) request.filter = flags.filter;
      if (flags.facets !== undefined) request.facets = flags.facets;
      if (flags.sort !== undefined) request.sort = flags.sort;
      if (flags.limit !== undefined) request.limit = flags.limit;
      if (flags.offset !== undefined) request.offset = flags.offset;
      if (flags.mode !== undefined) request.mode = flags.mode;
      if (flags.image !== undefined) request.image = resolve(flags.image);
      if (flags.ranker !== undefined) request.ranker = flags.ranker;
      if (flags.user !== undefined) request.userId = flags.user;
      // Terminals do not render <mark>, and JSON consumers asked for the engine's response as it is.
      if (!flags.json) request.highlight = false;
      const response = await withEngine(storeConfig(flags), (engine) => engine.search(request));
      process.stdout.write((flags.json ? JSON.stringify(response) : formatSearch(response)) + '\n');
    });
}
