/**
 * A small streaming RFC 4180 record parser. It exists (rather than using csv-parse) because catalogue errors
 * must name the physical line a record starts on, multi-line quoted fields and CRLF files included, and a
 * malformed record must not stop the rest of the file from loading: after a quoting error the parser skips
 * to the end of that physical line and carries on.
 *
 * Leniency: a quote inside an unquoted field is kept literally (`5" screen`); CRLF, LF and lone CR all end
 * a line; CRLF inside a quoted field becomes LF. Blank lines are skipped.
 */

export interface CsvRecord {
  /** Physical line (1-based) the record starts on. */
  line: number;
  fields: string[];
  /** Set when the record is malformed; `fields` is then incomplete. */
  error?: string;
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  SkipLine,
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvRecordParser {
  private readonly delimiter: number;
  private state = State.FieldStart;
  private fields: string[] = [];
  private field = '';
  private started = false;
  private line = 1;
  private recordLine = 1;
  private error: string | undefined;
  /** The previous chunk ended with CR: a leading LF belongs to it. */
  private skipLf = false;

  constructor(delimiter = ',') {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /**
   * Parses a chunk, appending every completed record to `out`. Runs of ordinary characters are found with
   * a tight char-code loop and appended as one slice: building fields a character at a time made CSV
   * reading an order of magnitude slower than JSON Lines.
   */
  push(text: string, out: CsvRecord[]): void {
    const delimiter = this.delimiter;
    const n = text.length;
    let i = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (n > 0 && text.charCodeAt(0) === LF) i = 1;
    }
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
        case State.Unquoted:
          if (c === QUOTE && this.state === State.FieldStart) {
            this.state = State.Quoted;
            this.started = true;
          } else if (c === delimiter) {
            this.endField();
            this.started = true;
          } else if (c === LF || c === CR) {
            i = this.newlineAt(text, i);
            this.endRecord(out);
          } else {
            // A quote after the first character of an unquoted field is kept literally.
            let j = i + 1;
            while (j < n) {
              const k = text.charCodeAt(j);
              if (k === delimiter || k === LF || k === CR) break;
              j++;
            }
            this.field += text.slice(i, j);
            this.state = State.Unquoted;
            this.started = true;
            i = j - 1;
          }
          break;
        case State.Quoted: {
          const quote = text.indexOf('"', i);
          const end = quote === -1 ? n : quote;
          let from = i;
          for (let j = i; j < end; j++) {
            const k = text.charCodeAt(j);
            if (k !== LF && k !== CR) continue;
            // Line breaks inside a quoted field count towards line numbers and are stored as "\n".
            this.field += text.slice(from, j) + '\n';
            this.line++;
            j = this.newlineAt(text, j);
            from = j + 1;
          }
          this.field += text.slice(from, end);
          if (quote === -1) {
            i = n;
          } else {
            this.state = State.QuoteInQuoted;
            i = quote;
          }
          break;
        }
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
          } else if (c === delimiter) {
            this.endField();
          } else if (c === LF || c === CR) {
            i = this.newlineAt(text, i);
            this.endRecord(out);
          } else {
            this.error =
              `unexpected character ${JSON.stringify(text[i])} after a closing quote ` +
              '(a quote inside a quoted field must be doubled: "")';
            this.state = State.SkipLine;
          }
          break;
        case State.SkipLine:
          if (c === LF || c === CR) {
            i = this.newlineAt(text, i);
            this.endRecord(out);
          }
          break;
      }
    }
  }

  /**
   * Index of the last character of the line break starting at `i`: CRLF counts once, so its LF is consumed
   * here, or at the start of the next chunk when the CR ends this one.
   */
  private newlineAt(text: string, i: number): number {
    if (text.charCodeAt(i) !== CR) return i;
    if (i + 1 < text.length) return text.charCodeAt(i + 1) === LF ? i + 1 : i;
    this.skipLf = true;
    return i;
  }

  /** Flushes the last record (a file need not end with a newline). */
  end(out: CsvRecord[]): void {
    if (this.state === State.Quoted) {
      this.error = `a quoted field opened on line ${this.recordLine} is never closed`;
      this.fields.push(this.field);
      out.push({ line: this.recordLine, fields: this.fields, error: this.error });
    } else if (this.started || this.error !== undefined) {
      this.fields.push(this.field);
      const record: CsvRecord = { line: this.recordLine, fields: this.fields };
      if (this.error !== undefined) record.error = this.error;
      out.push(record);
    }
    this.reset();
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endRecord(out: CsvRecord[]): void {
    if (this.started || this.error !== undefined) {
      this.fields.push(this.field);
      const record: CsvRecord = { line: this.recordLine, fields: this.fields };
      if (this.error !== undefined) record.error = this.error;
      out.push(record);
    }
    this.reset();
    this.line++;
    this.recordLine = this.line;
  }

  private reset(): void {
    this.fields = [];
    this.field = '';
    this.started = false;
    this.error = undefined;
    this.state = State.FieldStart;
  }
}
