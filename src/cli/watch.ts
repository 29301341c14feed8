import { watch as watchFs, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { Engine } from '../engine-api.ts';
import type { CatalogDiff } from '../feed/catalog-diff.ts';
import {
  applyDiff,
  checkWatchPath,
  exportState,
  readExport,
  storedHashes,
  type ApplyReport,
} from '../feed/file-feed.ts';
import type { EmbedReport } from '../types.ts';
import { embedWithProgress, printEmbedReport } from './embed.ts';
import { EXIT_DATA_ERROR, EXIT_DISK_FULL, EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.ts';
import { dataConfig, parseInteger, withEngine } from './options.ts';
import { formatLineErrors } from './output.ts';

interface WatchFlags {
  data: string;
  interval: number;
  once?: boolean;
  /** Commander's --delete-missing / --no-delete-missing; undefined (neither given) means delete. */
  deleteMissing?: boolean;
  embed?: boolean;
  json?: boolean;
}

/** One applied pass, as `--json` prints it. */
export interface WatchPassReport {
  pass: number;
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  rejected: number;
  /** Stored products whose line is bad: kept unchanged, not deleted. */
  kept: number;
  /** Products missing from the export that were not deleted (see warnings for why). */
  heldBack: number;
  files: number;
  ms: number;
  errors: CatalogDiff['errors'];
  warnings: string[];
  embedding?: EmbedReport;
}

const DEFAULT_INTERVAL_MS = 2000;
/** fs.watch events come in bursts (one per write); they only bring the next check forward. */
const HINT_DELAY_MS = 100;
/** `--once` gives an export that keeps changing this many tries before it gives up (exit 75). */
const ONCE_ATTEMPTS = 10;

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description(
      'follow a catalogue export (a JSONL/CSV file or a directory of them), applying only what changed',
    )
    .argument('<path>', 'catalogue file (.jsonl, .ndjson, .csv) or a directory of them (read in name order)')
    .requiredOption('-d, --data <dir>', 'data directory holding the store')
    .option(
      '--interval <ms>',
      `how often to check the export for changes (default: ${DEFAULT_INTERVAL_MS})`,
      parseInteger(10, 86_400_000),
    )
    .option('--once', 'apply the export once and exit (for cron)')
    .option(
      '--delete-missing',
      'delete stored products the export no longer lists (the default: a full export)',
    )
    .option('--no-delete-missing', 'never delete (an append-only feed)')
    .option('--embed', 'after each pass, also compute vectors for new and changed products')
    .option('--json', 'print one JSON object per pass')
    .addHelpText(
      'after',
      [
        '',
        'Each pass prints "pass N: +added ~changed -deleted =unchanged !rejected (ms)". Products are compared',
        'by content hash, so unchanged ones cost nothing. A bad line never deletes its product; a pass with a',
        'bad line whose id cannot be read, an unreadable file or an empty export deletes nothing.',
        'An export that changes while it is read is retried at the next check; a file that does not end',
        'with a line break is applied once it has not changed for one interval. Writing the export under a',
        'temporary name and renaming it into place avoids both waits.',
        '',
        'Stops cleanly on SIGINT/SIGTERM (exit 0). With --once: exit 0, or 65 when lines were rejected.',
      ].join('\n'),
    )
    .action(async (path: string, flags: WatchFlags) => {
      process.exitCode = await runWatch(path, flags);
    });
}

async function runWatch(path: string, flags: WatchFlags): Promise<number> {
  await checkWatchPath(path);
  const stop = new AbortController();
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      process.stderr.write('souk watch: interrupted again, exiting without waiting\n');
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(`souk watch: ${signal} received, stopping\n`);
    stop.abort();
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await withEngine(
      dataConfig(flags.data),
      (engine) =>
        new Watcher(engine, path, flags, stop.signal, (callback) => {
          wake = callback;
        }).run(),
      { create: true },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

class Watcher {
  private readonly interval: number;
  private known = new Map<string, string>();
  private pass = 0;
  /** State of the export last applied: a check that sees the same state reads nothing. */
  private appliedKey: string | undefined;
  /** An export skipped because a file does not end with a line break, and since when it looks like that. */
  private unterminated: { key: string; since: number } | undefined;
  private lastNotice: string | undefined;
  private attempts = 0;
  private hintTimer: NodeJS.Timeout | undefined;
  private sleeping: (() => void) | undefined;
  private fsWatcher: FSWatcher | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly path: string,
    private readonly flags: WatchFlags,
    private readonly signal: AbortSignal,
    onWake: (wake: () => void) => void,
  ) {
    this.interval = flags.interval ?? DEFAULT_INTERVAL_MS;
    onWake(() => this.sleeping?.());
  }

  async run(): Promise<number> {
    this.known = await storedHashes(this.engine);
    const state = await exportState(this.path);
    process.stderr.write(
      `souk watch: ${this.path} (${state.files.length} file(s)); the store holds ${this.known.size} products` +
        (this.flags.once ? '\n' : `; checking every ${this.interval} ms\n`),
    );
    if (!this.flags.once) await this.startHints();
    try {
      while (!this.signal.aborted) {
        const exitCode = await this.check();
        if (exitCode !== undefined) return exitCode;
        await this.sleep();
      }
      return EXIT_OK;
    } finally {
      clearTimeout(this.hintTimer);
      this.fsWatcher?.close();
    }
  }

  /** One check: read and apply the export if it changed. An exit status ends `--once`. */
  private async check(): Promise<number | undefined> {
    const state = await exportState(this.path);
    if (state.key === this.appliedKey) return undefined;
    const now = Date.now();
    const settled =
      this.unterminated !== undefined &&
      this.unterminated.key === state.key &&
      now - this.unterminated.since >= this.interval;
    const started = performance.now();
    const outcome = state.missing
      ? ({ status: 'unstable', reason: `${this.path} does not exist`, unterminated: false, state } as const)
      : await readExport(this.path, this.known, {
          deleteMissing: this.flags.deleteMissing !== false,
          acceptUnterminated: settled,
          signal: this.signal,
        });
    if (outcome.status === 'aborted') return undefined;
    if (outcome.status === 'unstable') {
      if (!outcome.unterminated) this.unterminated = undefined;
      else if (this.unterminated?.key !== outcome.state.key) {
        this.unterminated = { key: outcome.state.key, since: now };
      }
      const retry = outcome.unterminated ? 'applying it if unchanged at the next check' : 'retrying';
      this.notice(`souk watch: not applied, ${outcome.reason}; ${retry}`);
      if (this.flags.once && ++this.attempts >= ONCE_ATTEMPTS) {
        process.stderr.write(`souk watch: the export did not settle after ${ONCE_ATTEMPTS} tries\n`);
        return EXIT_DISK_FULL; // 75, EX_TEMPFAIL: try again later
      }
      return undefined;
    }
    this.unterminated = undefined;
    this.lastNotice = undefined;
    const { diff } = outcome;
    const applied = await applyDiff(this.engine, diff, this.known, { signal: this.signal });
    this.appliedKey = applied.complete ? outcome.state.key : undefined;
    const ms = Math.round(performance.now() - started);
    const report = this.report(diff, applied, outcome.state.files.length, ms);
    if (!this.flags.json) this.printPass(report);
    let embedding: EmbedReport | undefined;
    if (this.flags.embed && !this.signal.aborted) {
      embedding = await embedWithProgress(this.engine);
      if (!this.flags.json) printEmbedReport(embedding, false);
    }
    if (this.flags.json) {
      process.stdout.write(JSON.stringify(embedding ? { ...report, embedding } : report) + '\n');
    }
    if (!this.flags.once) return undefined;
    return report.rejected > 0 || (embedding?.failed ?? 0) > 0 ? EXIT_DATA_ERROR : EXIT_OK;
  }

  private report(diff: CatalogDiff, applied: ApplyReport, files: number, ms: number): WatchPassReport {
    return {
      pass: ++this.pass,
      added: diff.added,
      changed: diff.changed,
      deleted: applied.deleted,
      unchanged: diff.unchanged,
      rejected: diff.rejected,
      kept: diff.kept.length,
      heldBack: diff.heldBack,
      files,
      ms,
      errors: diff.errors,
      warnings: diff.warnings,
    };
  }

  private printPass(report: WatchPassReport): void {
    for (const line of formatLineErrors(report.errors, this.path)) process.stderr.write(line + '\n');
    for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(
      `pass ${report.pass}: +${report.added} ~${report.changed} -${report.deleted} =${report.unchanged} ` +
        `!${report.rejected} (${report.ms} ms)\n`,
    );
  }

  /** Skip notices on stderr, each once until something else happens. */
  private notice(message: string): void {
    if (message === this.lastNotice) return;
    this.lastNotice = message;
    process.stderr.write(message + '\n');
  }

  /** Waits one interval, or less when fs.watch reports a change or a signal arrives. */
  private sleep(): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.interval);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.sleeping = () => {
        this.sleeping = undefined;
        done();
      };
    });
  }

  /**
   * fs.watch on the watched directory (or the file's directory) as a hint that brings the next check
   * forward; polling stays the source of truth, since fs.watch misses events on some file systems.
   */
  private async startHints(): Promise<void> {
    try {
      const info = await stat(this.path);
      const dir = info.isDirectory() ? this.path : dirname(this.path);
      this.fsWatcher = watchFs(dir, { persistent: false }, () => {
        if (this.hintTimer !== undefined) return;
        this.hintTimer = setTimeout(() => {
          this.hintTimer = undefined;
          this.sleeping?.();
        }, HINT_DELAY_MS);
      });
      this.fsWatcher.on('error', () => {
        this.fsWatcher?.close();
        this.fsWatcher = undefined;
      });
    } catch {
      // No fs.watch here: polling alone.
    }
  }
}
