/** Where in the input a problem is: file, 1-based line (or record, for Arrow), column. */
export interface InputLocation {
  file?: string;
  line?: number;
  unit?: 'line' | 'row';
  column?: string;
}

/** Bad input: the message starts with the file, line and column it concerns. */
export class InputError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: string | undefined;
  /** The message without its location. */
  readonly reason: string;

  constructor(where: InputLocation, message: string) {
    super(`${formatLocation(where)}${message}`);
    this.name = 'InputError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.reason = message;
  }
}

function formatLocation({ file, line, unit = 'line', column }: InputLocation): string {
  const parts: string[] = [];
  if (file !== undefined) parts.push(file);
  if (line !== undefined) parts.push(`${unit} ${line}`);
  if (column !== undefined) parts.push(`column ${quote(column)}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

/** The most characters of input a message quotes. */
export const QUOTE_CHARS = 80;

/**
 * Text from the input as an error message quotes it: in double quotes; control characters and
 * bidirectional overrides escaped (`\n`, `\t`, `\x00`, `\u202e`), so the message stays one line
 * that a terminal prints as it is; cut after `max` characters and followed by its full length,
 * so a 10 MB field is not echoed whole.
 */
export function quote(value: unknown, max = QUOTE_CHARS): string {
  const text = String(value);
  let out = '';
  let shown = 0;
  for (const char of text) {
    if (out.length >= max) break;
    out += escapeChar(char);
    shown += char.length;
  }
  return shown < text.length ? `"${out}…" (${text.length.toLocaleString('en-US')} characters)` : `"${out}"`;
}

/**
 * Text from a file as netae prints it for people (a model's column names and training source, a
 * label value): whole, without quotes, its control characters and bidirectional overrides escaped
 * as `quote` escapes them, so that it cannot move the cursor, recolour the terminal or start a line.
 */
export function printable(value: unknown): string {
  let out = '';
  for (const char of String(value)) out += escapeChar(char);
  return out;
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string): string {
  const code = char.codePointAt(0)!;
  const control = code < 0x20 || (code >= 0x7f && code < 0xa0) || code === 0x2028 || code === 0x2029
    || code === 0x200e || code === 0x200f || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
  if (!control) return char;
  return NAMED_ESCAPES[char] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
}
