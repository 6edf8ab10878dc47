import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../../src/model/model';
import { printableLines, formatTable } from '../../src/app/format';
import { printable, quote } from '../../src/pipeline/errors';
import { ROOT, ourNotices, run, trainedOnSample } from './run';

const ESC = '\x1b';
let dir: string;
let model: string;

beforeAll(async () => {
  ({ dir, model } = await trainedOnSample('netae-terminal-', 1));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether text holds a control character other than the newlines between lines. */
function hasControl(text: string): boolean {
  return /[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(text);
}

describe('text from files, printed for people', () => {
  it('printable escapes control characters and bidirectional overrides as quote does, whole and without quotes', () => {
    expect(printable('a\x1b[31mb\nc\t\u202ed')).toBe('a\\x1b[31mb\\nc\\t\\u202ed');
    expect(quote('a\x1b[31mb')).toBe(`"${printable('a\x1b[31mb')}"`);
    expect(printable('x'.repeat(200))).toBe('x'.repeat(200));
    expect(printable(printable('\x07'))).toBe('\\x07');
    expect(printableLines(['one\ntwo', 'three'])).toBe('one\\ntwo\nthree\n');
    const table = formatTable([{ category: `att${ESC}[31mack`, rows: 3 }]);
    expect(hasControl(table)).toBe(false);
    expect(table).toContain('att\\x1b[31mack');
  });

  it('a table of hundreds of thousands of rows (eval on a label per record) is laid out, its columns as wide as their widest cell', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ category: `attack-${i}`, rows: i }));
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(300_002);
    expect(lines[2]).toBe(`${'attack-0'.padEnd(13)}  ${'0'.padStart(7)}`);
    expect(lines.at(-1)).toBe('attack-299999  299,999');
  });

  it('inspect prints a training source and column names with control characters escaped, each field on its own line', async () => {
    const edited = decodeModel(new Uint8Array(readFileSync(model)));
    const forged = join(dir, 'forged.safetensors');
    writeFileSync(forged, encodeModel({
      ...edited,
      meta: { ...edited.meta, training: { ...edited.meta.training, source: `x${ESC}[31mRED${ESC}[0m\nforged line` } },
    }));
    const r = await run(['inspect', forged]);
    expect(r.code, r.stderr).toBe(0);
    expect(hasControl(r.stdout)).toBe(false);
    expect(r.stdout).toContain('training   x\\x1b[31mRED\\x1b[0m\\nforged line: ');
    expect(r.stdout.split('\n').some((line) => line.startsWith('forged line'))).toBe(false);
  });

  it('train and inspect escape column names in the summary, the repairs and the warnings', async () => {
    const csv = join(dir, 'columns.csv');
    writeFileSync(csv, `by${ESC}[2Jtes,w${ESC}[31mide,pk\rts,label\n1,-1e308,2,normal\n3,1e308,,normal\n4,1,1,normal\n5,2,2,normal\n`);
    const out = join(dir, 'columns.safetensors');
    const trained = await run(['train', '--data', csv, '--label', 'label', '--normal', 'normal', '--out', out, '--epochs', '1', '--log1p', `by${ESC}[2Jtes`]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(hasControl(trained.stdout)).toBe(false);
    expect(trained.stdout).toContain('signed log1p on by\\x1b[2Jtes');
    expect(trained.stdout).toContain('pk\\rts: 1 missing');
    expect(hasControl(trained.stderr.replace(/^Warning: .*$/gm, ''))).toBe(false);
    expect(ourNotices(trained.stderr).some((n) => n.includes('w\\x1b[31mide: its values span'))).toBe(true);
    const inspected = await run(['inspect', out]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(hasControl(inspected.stdout)).toBe(false);
    expect(inspected.stdout).toContain('by\\x1b[2Jtes');
  });

  it('eval prints a label value with an escape sequence escaped in its category table', async () => {
    const lines = readFileSync(`${ROOT}data/sample/test.conn.log`, 'utf8').split('\n').slice(0, 200);
    const relabelled = lines.map((line) => {
      if (line.startsWith('#') || line === '') return line;
      const fields = line.split('\t');
      if (fields.at(-1) !== 'normal') fields[fields.length - 1] = `att${ESC}[31mack`;
      return fields.join('\t');
    });
    const data = join(dir, 'escaped-labels.log');
    writeFileSync(data, `${relabelled.join('\n')}\n`);
    const r = await run(['eval', '--model', model, '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(hasControl(r.stdout)).toBe(false);
    expect(r.stdout).toMatch(/^att\\x1b\[31mack +\d/m);
  });
});
