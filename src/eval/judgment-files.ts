import { readFileSync } from 'node:fs';
import { SoukError } from '../errors.ts';

/**
 * Readers for evaluation inputs. A bad line fails the whole file with `INVALID_FIELD`, its file and 1-based
 * line number (blank lines count, so the number is the one an editor shows), like catalogue errors:
 * `queries.tsv:3: expected "qid<TAB>query text"`.
 */

/** Reads `qid<TAB>query text` lines (no header; blank lines skipped). */
export function readQueries(file: string): Map<string, string> {
  const queries = new Map<string, string>();
  const firstLine = new Map<string, number>();
  for (const { text: line, number } of readLines(file)) {
    const tab = line.indexOf('\t');
    const qid = tab < 0 ? '' : line.slice(0, tab).trim();
    const text = tab < 0 ? '' : line.slice(tab + 1).trim();
    if (qid === '' || text === '') {
      throw lineError(file, number, 'expected "qid<TAB>query text"', qid === '' ? 'qid' : 'text');
    }
    const earlier = queries.get(qid);
    if (earlier !== undefined && earlier !== text) {
      throw lineError(
        file,
        number,
        `query ${qid} was already given another text on line ${firstLine.get(qid)}`,
        'qid',
      );
    }
    if (earlier === undefined) firstLine.set(qid, number);
    queries.set(qid, text);
  }
  return queries;
}

/**
 * Reads TREC qrels `qid 0 docid grade` (whitespace-separated; the second column, the TREC iteration, is
 * ignored) into qid → (docid → grade). Grades are numbers; 0 and below mean "not relevant". Repeating a
 * judgment with the same grade is harmless; with another grade it is an error.
 */
export function readQrels(file: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  const firstLine = new Map<string, number>();
  for (const { text: line, number } of readLines(file)) {
    const parts = line.trim().split(/\s+/);
    const grade = parts.length === 4 && parts[3] !== '' ? Number(parts[3]) : NaN;
    if (parts.length !== 4) throw lineError(file, number, 'expected "qid 0 docid grade"');
    if (!Number.isFinite(grade)) {
      throw lineError(file, number, `expected a numeric grade, got "${parts[3]}"`, 'grade');
    }
    const [qid, , docid] = parts as [string, string, string, string];
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    const earlier = judged.get(docid);
    const key = `${qid}\u0000${docid}`;
    if (earlier !== undefined && earlier !== grade) {
      throw lineError(
        file,
        number,
        `${docid} is judged ${earlier} for query ${qid} on line ${firstLine.get(key)} and ${grade} here`,
        'grade',
      );
    }
    if (earlier === undefined) firstLine.set(key, number);
    judged.set(docid, grade);
  }
  return qrels;
}

function lineError(file: string, line: number, message: string, field?: string): SoukError {
  return new SoukError('INVALID_FIELD', `${file}:${line}: ${message}`, {
    file,
    line,
    ...(field === undefined ? {} : { field }),
  });
}

function readLines(file: string): Array<{ text: string; number: number }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SoukError('FILE_NOT_FOUND', `cannot read ${file}`, { file }, { cause: error });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines: Array<{ text: string; number: number }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') lines.push({ text: line, number: i + 1 });
  });
  return lines;
}
