import Papa from 'papaparse';

interface SplitOptions {
  delimiter: string;
  /** Honour `"` quoting (RFC 4180). Zeek logs have none. */
  quoted: boolean;
}

/** Complete rows with the 1-based source line each starts on. */
export interface RowBatch {
  rows: string[][];
  lines: number[];
}

interface ParseOutput {
  data: string[][];
  meta: { cursor: number };
}

/**
 * Splits delimited text into rows incrementally (Papa Parse's low-level parser):
 * text is pushed in blocks of any size, a row cut by a block boundary is kept for the next push.
 * LF, CRLF and mixed line ends are accepted; quoted fields may span lines, and line numbers count them.
 */
export class RowSplitter {
  private readonly parser: Papa.Parser;
  private readonly quoted: boolean;
  private carry = '';
  private line: number;

  constructor(options: SplitOptions, firstLine = 1) {
    this.quoted = options.quoted;
    this.parser = new Papa.Parser({
      delimiter: options.delimiter,
      newline: '\n',
      quoteChar: '"',
      fastMode: options.quoted ? undefined : true,
    });
    this.line = firstLine;
  }

  push(text: string): RowBatch {
    return this.parse(this.carry.length > 0 ? this.carry + text : text, true);
  }

  end(): RowBatch {
    return this.parse(this.carry, false);
  }

  private parse(input: string, more: boolean): RowBatch {
    const result = this.parser.parse(input, 0, more) as ParseOutput;
    const rows = result.data;
    this.carry = more ? input.slice(result.meta.cursor) : '';
    const lines = new Array<number>(rows.length);
    const spansLines = this.quoted && input.indexOf('"') !== -1;
    let line = this.line;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      lines[r] = line;
      line += 1;
      if (spansLines) line += innerLineBreaks(row);
      const last = row.length - 1;
      const field = row[last];
      if (field.length > 0 && field.charCodeAt(field.length - 1) === 13) row[last] = field.slice(0, -1);
    }
    this.line = line;
    return { rows, lines };
  }
}

function innerLineBreaks(row: string[]): number {
  let count = 0;
  for (const field of row) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) count++;
  }
  return count;
}
