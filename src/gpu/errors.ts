/** A tensor shape that an op cannot take, found before any GPU work is encoded. */
export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}

export interface Shaped {
  readonly rows: number;
  readonly cols: number;
  readonly label: string;
}

export function describe(t: Shaped): string {
  return `${t.label} [${t.rows}×${t.cols}]`;
}

export function expectShape(op: string, t: Shaped, rows: number, cols: number, why: string): void {
  if (t.rows !== rows || t.cols !== cols) {
    throw new ShapeError(op, `${describe(t)} should be [${rows}×${cols}] ${why}`);
  }
}
