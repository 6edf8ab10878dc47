import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reporter } from '../../src/app/cli/progress';

/** A stream that keeps what is written to it, a terminal or not. */
function captured(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: tty, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => text };
}

describe('reporter', () => {
  it('counts the rows of each step on a terminal, one count after another, each left with its last figure', () => {
    const { stream, text } = captured(true);
    const progress = reporter(false, stream);
    progress.rows('read', 1000);
    progress.rows('read', 250_000);
    progress.rows('read again', 40);
    progress.rows('read again', 90_000);
    progress.stop();
    const plain = text().replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
    expect(plain).toContain('read 250000 rows');
    expect(plain).toContain('read again 90000 rows');
    expect(plain.indexOf('read 250000 rows')).toBeLessThan(plain.indexOf('read again 90000 rows'));
  });

  it('writes no counts when quiet or when standard error is not a terminal', () => {
    for (const [quiet, tty] of [[true, true], [false, false]]) {
      const { stream, text } = captured(tty);
      const progress = reporter(quiet, stream);
      progress.rows('read', 5000);
      progress.stop();
      expect(text()).toBe('');
    }
  });
});
