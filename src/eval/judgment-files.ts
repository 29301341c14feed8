import { readFileSync } from 'node:fs';
import { SoukError } from '../errors.ts';

/** Reads `qid<TAB>query text` lines (no header). */
export function readQueries(file: string): Map<string, string> {
  const queries = new Map<string, string>();
  readLines(file).forEach((line, i) => {
    const tab = line.indexOf('\t');
    if (tab <= 0) {
      throw new SoukError('INVALID_REQUEST', `${file}:${i + 1}: expected "qid<TAB>query text"`, {
        file,
        line: i + 1,
      });
    }
    queries.set(line.slice(0, tab), line.slice(tab + 1).trim());
  });
  return queries;
}

/** Reads TREC qrels `qid 0 docid grade` into qid → (docid → grade). */
export function readQrels(file: string): Map<string, Map<string, number>> {
  const qrels = new Map<string, Map<string, number>>();
  readLines(file).forEach((line, i) => {
    const parts = line.trim().split(/\s+/);
    const grade = Number(parts[3]);
    if (parts.length !== 4 || !Number.isFinite(grade)) {
      throw new SoukError('INVALID_REQUEST', `${file}:${i + 1}: expected "qid 0 docid grade"`, {
        file,
        line: i + 1,
      });
    }
    let judged = qrels.get(parts[0]!);
    if (!judged) qrels.set(parts[0]!, (judged = new Map()));
    judged.set(parts[2]!, grade);
  });
  return qrels;
}

function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SoukError('FILE_NOT_FOUND', `cannot read ${file}`, { file }, { cause: error });
  }
  return text.split('\n').filter((line) => line.trim() !== '');
}
