import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CsvRecordParser, type CsvRecord } from './csv-records.ts';

function parse(chunks: string[]): CsvRecord[] {
  const parser = new CsvRecordParser();
  const out: CsvRecord[] = [];
  for (const chunk of chunks) parser.push(chunk, out);
  parser.end(out);
  return out;
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) || field === '' ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Splits text at the given (sorted, deduplicated) positions. */
function split(text: string, cuts: number[]): string[] {
  const positions = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const position of positions) {
    chunks.push(text.slice(from, position));
    from = position;
  }
  chunks.push(text.slice(from));
  return chunks;
}

describe('CsvRecordParser', () => {
  it('parses quoted fields, doubled quotes, empty fields and every line ending', () => {
    const records = parse(['a,"b,c","d""e",\r\nx,,"multi\r\nline"\ny\rz']);
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b,c', 'd"e', ''] },
      { line: 2, fields: ['x', '', 'multi\nline'] },
      { line: 4, fields: ['y'] },
      { line: 5, fields: ['z'] },
    ]);
  });

  it('reports a bad closing quote and resumes at the next line', () => {
    const records = parse(['1,"a"b,c\n2,ok\n']);
    assert.equal(records[0]!.line, 1);
    assert.match(records[0]!.error!, /after a closing quote/);
    assert.deepEqual(records[1], { line: 2, fields: ['2', 'ok'] });
  });

  it('gives the same records and start lines however the input is chunked (property)', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', '中'),
      maxLength: 8,
    });
    const row = fc.array(field, { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 8 }),
        (rows, newline, cuts) => {
          const lines = rows.map((fields) => fields.map(quote).join(','));
          const text = lines.join(newline) + newline;
          const expected: CsvRecord[] = [];
          let line = 1;
          rows.forEach((fields, index) => {
            expected.push({ line, fields: fields.map((f) => f.replace(/\r\n/g, '\n')) });
            line += (lines[index]!.match(/\r\n|\n/g) ?? []).length + 1;
          });
          assert.deepEqual(parse(split(text, cuts)), expected);
        },
      ),
    );
  });
});
