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
  if (column !== undefined) parts.push(`column "${column}"`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}
