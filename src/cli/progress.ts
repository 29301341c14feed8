import cliProgress from 'cli-progress';
import type { EmbedProgress, IngestProgress } from '../types.ts';

export interface ProgressReporter {
  update(progress: IngestProgress): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 2000;

/**
 * Ingest progress on stderr: a live bar on a terminal, and on pipes and CI logs an occasional plain line
 * instead, because redrawn bars turn into thousands of lines of noise there.
 */
export function createProgressReporter(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  return stream.isTTY ? barReporter(label, stream) : plainReporter(label, stream);
}

function barReporter(label: string, stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {lines} lines, {loaded} loaded, {rejected} rejected | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const payload = { lines: progress.linesRead, loaded: progress.loaded, rejected: progress.rejected };
      // Lines are the unit when the size is unknown (stdin, compressed input): the bar then just counts.
      const total = progress.totalBytes ?? 0;
      const value = total > 0 ? progress.bytesRead : progress.linesRead;
      if (!started) {
        bar.start(total > 0 ? total : Math.max(value, 1), value, payload);
        started = true;
      } else {
        if (total <= 0) bar.setTotal(Math.max(value, 1));
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainReporter(label: string, stream: NodeJS.WriteStream): ProgressReporter {
  let last = Date.now();
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS) return;
      last = now;
      const percent =
        progress.totalBytes && progress.totalBytes > 0
          ? ` (${Math.floor((100 * progress.bytesRead) / progress.totalBytes)}%)`
          : '';
      stream.write(
        `${label}: ${progress.linesRead} lines${percent}, ${progress.loaded} loaded, ${progress.rejected} rejected\n`,
      );
    },
    stop() {},
  };
}

export interface EmbedProgressReporter {
  update(progress: EmbedProgress): void;
  stop(): void;
}

/** Embedding progress on stderr, one bar (or plain line) per vector space. */
export function createEmbedProgressReporter(
  stream: NodeJS.WriteStream = process.stderr,
): EmbedProgressReporter {
  if (!stream.isTTY) {
    let last = 0;
    return {
      update(p) {
        const now = Date.now();
        if (now - last < PLAIN_INTERVAL_MS && p.done < p.total) return;
        last = now;
        stream.write(
          `embed ${p.space}: ${p.done}/${p.total}, ${p.embedded} embedded, ${p.cached} cached, ${p.failed} failed\n`,
        );
      },
      stop() {},
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  let space = '';
  return {
    update(p) {
      const payload = { space: p.space, embedded: p.embedded, cached: p.cached, failed: p.failed };
      if (p.space !== space) {
        bar?.stop();
        space = p.space;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format:
              'embed {space} [{bar}] {value}/{total} | {embedded} embedded, {cached} cached, {failed} failed | ETA {eta_formatted}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(p.total, 1), p.done, payload);
        return;
      }
      bar?.setTotal(Math.max(p.total, 1));
      bar?.update(p.done, payload);
    },
    stop() {
      bar?.stop();
    },
  };
}
