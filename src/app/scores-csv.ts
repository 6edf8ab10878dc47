/** A score as CSV text: nine significant digits, enough to give back the float32 exactly. */
export function formatScore(score: number): string {
  return String(Number(score.toPrecision(9)));
}

export function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The CSV `netae score` writes: `row,score,flag` and `label` when the records have one; rows
 * numbered from 1, flag 1 when the score is ≥ the threshold.
 */
export function scoresHeader(labelled: boolean): string {
  return `row,score,flag${labelled ? ',label' : ''}\n`;
}

/** The lines of rows `firstRow`, `firstRow + 1`, … (a chunk of a longer file). */
export function scoreLines(scores: ArrayLike<number>, threshold: number, labels: ArrayLike<unknown> | null, firstRow = 1): string {
  const lines = new Array<string>(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const flag = scores[i] >= threshold ? 1 : 0;
    lines[i] = `${firstRow + i},${formatScore(scores[i])},${flag}${labels ? `,${csvField(labels[i])}` : ''}`;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function scoresCsv(scores: ArrayLike<number>, threshold: number, labels: ArrayLike<unknown> | null): string {
  return scoresHeader(labels !== null) + scoreLines(scores, threshold, labels);
}
