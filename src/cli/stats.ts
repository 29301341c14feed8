import type { Command } from 'commander';
import type { EngineStats } from '../types.ts';
import { addStoreOptions, storeConfig, withEngine, type StoreFlags } from './options.ts';

export function registerStats(program: Command): void {
  addStoreOptions(program.command('stats').description('show what a data directory holds'))
    .option('--json', 'print the statistics as JSON')
    .action(async (flags: StoreFlags & { json?: boolean }) => {
      const stats = await withEngine(storeConfig(flags), (engine) => engine.stats());
      process.stdout.write((flags.json ? JSON.stringify(stats) : formatStats(stats)) + '\n');
    });
}

function formatStats(stats: EngineStats): string {
  const rows: Array<[string, string]> = [
    ['products', String(stats.products)],
    ['terms', String(stats.terms)],
    [
      'change seq',
      stats.appliedSeq === stats.seq ? String(stats.seq) : `${stats.appliedSeq} of ${stats.seq}`,
    ],
    ['store', stats.store],
    ['feedback events', String(stats.feedback)],
    ['deleted (pending vacuum)', String(stats.deletedPendingVacuum)],
    ['index size', formatBytes(stats.indexBytes)],
    ['data dir', stats.dataDir ?? '(in memory)'],
  ];
  for (const [name, space] of Object.entries(stats.vectors)) {
    const waiting = space.backlog > 0 ? `, ${space.backlog} waiting (run souk embed)` : '';
    const model = space.embedder ? ` by ${space.embedder}` : '';
    rows.push([`${name} vectors`, `${space.vectors}${model}, ${formatBytes(space.bytes)}${waiting}`]);
  }
  const fields = Object.entries(stats.fields);
  if (fields.length > 0) rows.push(['field boosts', fields.map(([name, n]) => `${name} ${n}`).join(', ')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
