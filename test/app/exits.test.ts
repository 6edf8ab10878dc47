import { spawn } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';
import { BIN, ROOT, ourErrors, run, type Run, trainedOnSample } from './run';

/**
 * How `netae` ends when things go wrong: signals, full disks, closed pipes, outputs that would
 * replace inputs, models and files that are not what they claim. Each case asserts the exit
 * code, the one `netae:` line, no stack trace, and that no file is left behind.
 */

const TRAIN = `${ROOT}data/sample/train.conn.log`;
const TEST = `${ROOT}data/sample/test.conn.log`;
/** The header of `netae score` on a Zeek log: the scores, the label, and the columns kept by default. */
const HEADER = 'row,score,flag,label,uid,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p\n';
let dir: string;
let model: string;
let big: string;
/** Records without the model's columns: the error comes after the GPU is acquired and the output opened. */
let foreign: string;

beforeAll(async () => {
  ({ dir, model } = await trainedOnSample('netae-exits-', 2));
  const lines = readFileSync(TEST, 'utf8').trimEnd().split('\n');
  const body = lines.filter((l) => !l.startsWith('#')).join('\n');
  big = join(dir, 'big.conn.log');
  writeFileSync(big, `${lines.filter((l) => l.startsWith('#') && !l.startsWith('#close')).join('\n')}\n${Array(30).fill(body).join('\n')}\n`);
  foreign = join(dir, 'foreign.csv');
  writeFileSync(foreign, 'a,b\n1,2\n3,4\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files in the test folder whose names start with `prefix` (a temporary file is `name.PID.tmp`). */
const left = (prefix: string) => readdirSync(dir).filter((f) => f.startsWith(prefix));

/** The run ended with `code` and one `netae:` line matching `message`, and no trace of a crash. */
function expectEnd(r: Run, code: number, message: RegExp | string): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = ourErrors(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  if (typeof message === 'string') expect(lines[0]).toBe(`netae: ${message}`);
  else expect(lines[0]).toMatch(message);
  expectNoCrash(r.stderr);
}

function expectNoCrash(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(stderr).not.toMatch(/Unhandled|node:internal|ERR_STREAM|terminate called|Segmentation fault|Aborted/);
}

/** The fields of a model's netae header that the cases below spoil. */
interface Header {
  version: number;
  spec?: unknown;
  score?: unknown;
  threshold: { value: number };
  heldOut: unknown;
  features: {
    schema: Record<string, unknown>;
    features: { kind: string; clip: number; numeric: { scale: number; gain?: number }[]; categorical: { categories: string[]; gains?: number[] }[] };
  };
}

/** A model file with its netae header edited, or its tensors. */
function editedModel(name: string, edit: { header?: (netae: Header) => void; tensor?: (name: string, data: Float32Array) => void }): string {
  const file = decodeSafetensors(new Uint8Array(readFileSync(model)));
  const netae = JSON.parse(file.metadata.netae) as Header;
  edit.header?.(netae);
  const tensors = new Map([...file.tensors].map(([n, t]) => {
    const data = Float32Array.from(t.data);
    edit.tensor?.(n, data);
    return [n, { shape: t.shape, data }];
  }));
  const path = join(dir, name);
  writeFileSync(path, encodeSafetensors(tensors, { ...file.metadata, netae: JSON.stringify(netae) }));
  return path;
}

/** Starts `netae`, sends `signal` once `ready` says so, and gathers the end. */
function interrupt(args: string[], signal: NodeJS.Signals, ready: (stdoutBytes: number) => boolean): Promise<Run & { stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    let stdoutBytes = 0;
    let sent = false;
    const poll = setInterval(() => {
      if (!sent && ready(stdoutBytes)) {
        sent = true;
        child.kill(signal);
      }
    }, 20);
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      if (stdout.length < 1000) stdout += d;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr, stdoutBytes });
    });
  });
}

/** Runs the tasks at most `limit` at a time. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }));
  return results;
}

describe('signals: partial files removed, what was written said, exit 128 + the signal (cases 1, 28)', () => {
  for (const [signal, code, word] of [['SIGTERM', 143, 'terminated'], ['SIGHUP', 129, 'hung up'], ['SIGINT', 130, 'interrupted']] as const) {
    it(`${signal} during score --out`, async () => {
      const out = join(dir, `${signal}.csv`);
      const r = await interrupt(['score', '--model', model, '--data', big, '--out', out, '--chunk', '1024'], signal, () => left(`${signal}.csv.`).length > 0);
      expectEnd(r, code, `${word} (${signal}); nothing was written`);
      expect(left(`${signal}.csv`)).toEqual([]);
    });
  }

  it('SIGTERM while train copies standard input removes the copy', async () => {
    const tmp = join(dir, 'tmp-signal');
    mkdirSync(tmp);
    const r = await new Promise<Run>((resolve, reject) => {
      const args = [BIN, 'train', '--data', '-', '--preset', 'zeek-conn', '--out', join(dir, 'from-stdin.safetensors')];
      const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
      let stderr = '';
      const poll = setInterval(() => {
        if (readdirSync(tmp).length > 0) {
          clearInterval(poll);
          child.kill('SIGTERM');
        }
      }, 20);
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        clearInterval(poll);
        resolve({ code, stdout: '', stderr });
      });
      // Standard input stays open, so the copy is still being made when the signal comes; the
      // write fails with EPIPE if the process ends before it has taken every byte.
      child.stdin.on('error', () => undefined);
      child.stdin.write(readFileSync(TRAIN));
    });
    expectEnd(r, 143, 'terminated (SIGTERM); nothing was written');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('SIGINT while scoring to standard output says how much of the result went out', async () => {
    const r = await interrupt(['score', '--model', model, big, '--chunk', '1024'], 'SIGINT', (bytes) => bytes > 0);
    expectEnd(r, 130, /^netae: interrupted \(SIGINT\); (between [\d,]+ and )?[\d,]+ bytes of an incomplete result went to standard output$/);
    const said = /(?:between ([\d,]+) and )?([\d,]+) bytes/.exec(ourErrors(r.stderr)[0])!;
    const [least, most] = [said[1] ?? said[2], said[2]].map((n) => Number(n.replaceAll(',', '')));
    expect(least).toBeLessThanOrEqual(r.stdoutBytes);
    expect(most).toBeGreaterThanOrEqual(r.stdoutBytes);
    expect(r.stdout.startsWith(HEADER)).toBe(true);
  });
});

describe('write failures: a message naming the output, exit 1, nothing left (cases 2, 4, 5, 6, 23)', () => {
  it('a full disk, as a file and as standard output; train leaves no model when its summary cannot be written', async () => {
    expectEnd(await run(['score', '--model', model, '--data', TEST, '--out', '/dev/full']), 1, 'cannot write /dev/full: no space left on device');
    expectEnd(await run(`node ${BIN} score --model ${model} ${TEST} > /dev/full`), 1, 'cannot write standard output: no space left on device');
    const m = join(dir, 'full-summary.safetensors');
    const r = await run(`node ${BIN} train --data ${TRAIN} --preset zeek-conn --out ${m} --epochs 1 --json > /dev/full`);
    expectEnd(r, 1, 'cannot write standard output: no space left on device');
    expect(left('full-summary')).toEqual([]);
  });

  it('standard input that cannot be copied for train names the temporary folder and leaves nothing', async () => {
    const missing = join(dir, 'no-such-tmp');
    expectEnd(
      await run(`TMPDIR=${missing} node ${BIN} train --data - --preset zeek-conn --out ${join(dir, 'no-tmp.safetensors')} < ${TRAIN}`),
      1,
      `${missing}: no folder could be made there to hold standard input (no such file or folder); set TMPDIR to another folder`,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('no-tmp'))).toEqual([]);
  });

  it('a reader that stops early (| head) ends the command quietly with 141, as cat does', async () => {
    const r = await run(`node ${BIN} score --model ${model} ${big} | head -5`);
    expect(r.code, r.stderr).toBe(141);
    expect(r.stdout.split('\n')).toHaveLength(6);
    expect(ourErrors(r.stderr)).toEqual([]);
    expectNoCrash(r.stderr);
  });

  it('standard output closed (>&-) is refused before any work', async () => {
    expectEnd(await run(`node ${BIN} score --model ${model} ${TEST} >&-`), 1, /^netae: standard output is closed, so the results would be lost/);
  });

  it('an error after part of the result went to standard output says how many bytes did', async () => {
    const bad = join(dir, 'bad-end.conn.log');
    writeFileSync(bad, `${readFileSync(big, 'utf8')}1\t2\n`);
    const r = await run(`node ${BIN} score --model ${model} ${bad} --chunk 1024 > ${join(dir, 'bad-end.csv')}`);
    expect(r.code, r.stderr).toBe(1);
    const lines = ourErrors(r.stderr);
    expect(lines[0]).toMatch(/^netae: .*bad-end\.conn\.log, line \d+: expected \d+ fields/);
    const written = statSync(join(dir, 'bad-end.csv')).size;
    expect(written).toBeGreaterThan(0);
    expect(lines.slice(1)).toEqual([`netae: ${written.toLocaleString('en-US')} bytes of an incomplete result went to standard output`]);
    expectNoCrash(r.stderr);
  });

  it('an error after the output file is opened leaves the message alone and no file', async () => {
    const out = join(dir, 'foreign-scores.csv');
    const r = await run(['score', '--model', model, '--data', foreign, '--out', out]);
    expectEnd(r, 1, /foreign\.csv: the fitted features need column\(s\) the data lacks: "duration"/);
    expect(left('foreign-scores')).toEqual([]);
  });
});

describe('output paths: checked before any work, exit 2, inputs untouched (cases 3, 8, 16, 22, 24)', () => {
  it('a missing folder, a read-only folder, a folder, an empty path, standard output for a model', async () => {
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    const runs = await pool([
      () => run(['score', '--model', model, '--data', foreign, '--out', join(dir, 'nodir', 's.csv')]),
      () => run(['train', '--data', foreign, '--preset', 'zeek-conn', '--out', join(dir, 'nodir', 'sub', 'm.st')]),
      () => run(['eval', '--model', model, '--data', foreign, '--json', join(dir, 'nodir', 'm.json')]),
      () => run(['score', '--model', model, '--data', foreign, '--out', dir]),
      () => run(['score', '--model', model, '--data', foreign, '--out', '']),
      () => run(['train', '--data', foreign, '--preset', 'zeek-conn', '--out', '-']),
      () => run(['score', '--model', model, '--data', foreign, '--out', join(readOnly, 's.csv')]),
    ], 3);
    const expected = [
      `cannot write ${join(dir, 'nodir', 's.csv')}: no such folder ${join(dir, 'nodir')} (--out)`,
      `cannot write ${join(dir, 'nodir', 'sub', 'm.st')}: no such folder ${join(dir, 'nodir', 'sub')} (--out)`,
      `cannot write ${join(dir, 'nodir', 'm.json')}: no such folder ${join(dir, 'nodir')} (--json)`,
      `cannot write ${dir}: a folder, not a file (--out)`,
      '--out is empty: name a file to write',
      '--out -: a model is a binary file; name the .safetensors file to write',
      `cannot write ${join(readOnly, 's.csv')}: the folder ${readOnly} is read-only (mode 555) (--out)`,
    ];
    runs.forEach((r, i) => expectEnd(r, 2, expected[i]));
    expect(readdirSync(readOnly)).toEqual([]);
  });

  it('refuses to write over an input or the model, by path or by inode, for train, score and eval', async () => {
    const data = join(dir, 'input.conn.log');
    writeFileSync(data, readFileSync(TEST));
    const linked = join(dir, 'input-link.conn.log');
    linkSync(data, linked);
    const [before, modelBefore] = [readFileSync(data), readFileSync(model)];
    const runs = await pool([
      () => run(['train', '--data', data, '--preset', 'zeek-conn', '--out', data]),
      () => run(['score', '--model', model, '--data', data, '--out', model]),
      () => run(['score', '--model', model, '--data', data, '--out', linked]),
      () => run(['eval', '--model', model, '--data', data, '--json', model]),
      () => run(`node ${BIN} score --model ${model} ${data} >> ${data}`),
    ], 3);
    for (const r of runs) expectEnd(r, 2, /netae does not overwrite what it reads/);
    expect(ourErrors(runs[2].stderr)[0]).toMatch(/it is the same file as the --data input .*input\.conn\.log/);
    expect(readFileSync(data).equals(before)).toBe(true);
    expect(readFileSync(model).equals(modelBefore)).toBe(true);
  });

  it('refuses a read-only target and keeps the mode of a writable one', async () => {
    const locked = join(dir, 'locked.csv');
    writeFileSync(locked, 'keep\n');
    chmodSync(locked, 0o444);
    expectEnd(await run(['score', '--model', model, '--data', TEST, '--out', locked]), 2, `cannot write ${locked}: the file is read-only (mode 444) (--out)`);
    expect(readFileSync(locked, 'utf8')).toBe('keep\n');
    const own = join(dir, 'own.csv');
    writeFileSync(own, 'old\n');
    chmodSync(own, 0o600);
    const r = await run(['score', '--model', model, '--data', TEST, '--out', own]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(own).mode & 0o777).toBe(0o600);
    expect(readFileSync(own, 'utf8').startsWith(HEADER)).toBe(true);
  });
});

describe('models refused at load, naming the file and the tensor or field (cases 9, 10, 15, 17, 25)', () => {
  it('non-finite weights, feature values beyond float32, a bad featurizer, other format versions, a negative threshold', async () => {
    const bad = [
      [editedModel('nan.st', { tensor: (n, d) => n === 'encoder.0.weight' && (d[7] = Number.NaN) }), /nan\.st: tensor "encoder\.0\.weight" holds NaN at index 7; a model's weights must be finite$/],
      [editedModel('inf.st', { tensor: (n, d) => n === 'decoder.4.bias' && (d[0] = Infinity) }), /inf\.st: tensor "decoder\.4\.bias" holds Infinity at index 0/],
      [editedModel('clip.st', { header: (h) => (h.features.features.clip = 1e300) }), /clip\.st: not a netae feature pipeline: clip 1e\+300 is beyond float32's range/],
      [editedModel('scale.st', { header: (h) => (h.features.features.numeric[0].scale = 1e50) }), /scale\.st: not a netae feature pipeline: numeric encoder "[^"]+": scale 1e\+50 is beyond float32's range/],
      [editedModel('pipeline.st', { header: (h) => (h.features.features.kind = 'junk') }), /pipeline\.st: not a netae feature pipeline: kind is "junk"/],
      [editedModel('v0.st', { header: (h) => (h.version = 0) }), /v0\.st: model format 0 is not one netae writes/],
      [editedModel('v-1.st', { header: (h) => (h.version = -1) }), /v-1\.st: model format -1 is not one netae writes/],
      [editedModel('negative.st', { header: (h) => (h.threshold.value = -5) }), /negative\.st: threshold\.value is -5; a threshold on reconstruction errors cannot be negative/],
      [editedModel('held-null.st', { header: (h) => ((h.heldOut as { scores: unknown[] }).scores.fill(null)) }), /held-null\.st: heldOut\.scores must be finite, ≥ 0 and not rising with the ranks; found null at 0$/],
      [editedModel('held-text.st', { header: (h) => (h.heldOut = 'x') }), /held-text\.st: heldOut must hold rows, ranks and scores$/],
      [editedModel('held-empty.st', { header: (h) => (h.heldOut = { rows: 10, ranks: [], scores: [] }) }), /held-empty\.st: heldOut\.ranks and \.scores must be as many, and at least one$/],
      [editedModel('gain.st', { header: (h) => (h.features.features.numeric[0].gain = 1e300) }), /gain\.st: not a netae feature pipeline: numeric encoder "[^"]+": gain 1e\+300 takes its features beyond float32's range/],
      [editedModel('gains.st', { header: (h) => { const c = h.features.features.categorical[0]; c.gains = c.categories.map(() => 1).concat(1e300); } }), /gains\.st: not a netae feature pipeline: categorical encoder "[^"]+": gains must be \d+ positive numbers within float32's range/],
      [editedModel('scale0.st', { header: (h) => (h.features.features.numeric[0].scale = 0) }), /scale0\.st: not a netae feature pipeline: numeric encoder "[^"]+": scale must be > 0, found 0$/],
      [editedModel('tail.st', { header: (h) => (h.score = { kind: 'student-t', nu: 1e300, unit: 1e300 }) }), /tail\.st: score must be .* with ν and u > 0 and ν·u within float32's normal range$/],
      [editedModel('normal.st', { header: (h) => (h.features.schema.normal = 'normal') }), /normal\.st: not a netae schema: normal must be a list of label values$/],
      [editedModel('attack.st', { header: (h) => (h.features.schema.attack = '*Botnet*') }), /attack\.st: not a netae schema: attack must be a list of label values$/],
      [editedModel('preset.st', { header: (h) => (h.features.schema.preset = 'nope') }), /preset\.st: not a netae schema: preset "nope" is not one this netae knows/],
      [editedModel('roles.st', { header: (h) => (h.features.schema.features = null) }), /roles\.st: not a netae schema: features must be an object$/],
      [editedModel('spec.st', { header: (h) => delete h.spec }), /spec\.st: a layer spec needs widths \(a list of whole numbers\) and activations \(a list of names\)$/],
    ] as const;
    const runs = await pool([
      ...bad.map(([path]) => () => run(['score', '--model', path, TEST])),
      () => run(['eval', '--model', bad[0][0], '--data', TEST]),
    ], 3);
    runs.forEach((r, i) => expectEnd(r, 1, bad[i % bad.length][1]));
  });
});

describe('a model whose arithmetic overflows float32', () => {
  it('is refused when it scores rows as NaN, by score and eval, naming the file, with nothing written', async () => {
    const path = editedModel('huge.st', { tensor: (_, d) => d.forEach((_, i) => (d[i] = i % 2 === 0 ? 3e38 : -3e38)) });
    const out = join(dir, 'huge.csv');
    const message = /huge\.st scores rows as NaN: its arithmetic overflows float32 \(weights or feature factors far too large\), so it cannot score$/;
    expectEnd(await run(['score', '--model', path, '--data', TEST, '--out', out]), 1, message);
    expect(left('huge.csv')).toEqual([]);
    expectEnd(await run(['eval', '--model', path, '--data', TEST]), 1, message);
  });
});

describe('bad input files: a message naming the file, exit 1 (cases 12, 13, 14, 26, 29)', () => {
  it('quotes at most 80 characters of a 10 MB field, and escapes NUL bytes', async () => {
    const lines = readFileSync(TEST, 'utf8').split('\n');
    const first = lines.findIndex((l) => !l.startsWith('#'));
    const withField = (field: string) => lines.map((l, i) => (i === first + 5 ? l.replace(/^([^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\t[^\t]*\t)[^\t]*/, `$1${field}`) : l)).join('\n');
    writeFileSync(join(dir, 'huge-field.conn.log'), withField('x'.repeat(10_000_000)));
    writeFileSync(join(dir, 'nul-field.conn.log'), withField('\0'.repeat(1000)));
    const [huge, nul] = await pool([
      () => run(['score', '--model', model, join(dir, 'huge-field.conn.log'), '--out', join(dir, 'huge-scores.csv')]),
      () => run(['score', '--model', model, join(dir, 'nul-field.conn.log'), '--out', join(dir, 'nul-scores.csv')]),
    ], 2);
    const line = first + 6;
    expectEnd(huge, 1, `${join(dir, 'huge-field.conn.log')}, line ${line}, column "duration": expected a number, found "${'x'.repeat(80)}…" (10,000,000 characters)`);
    expect(huge.stderr.length).toBeLessThan(2000);
    expectEnd(nul, 1, `${join(dir, 'nul-field.conn.log')}, line ${line}, column "duration": expected a number, found "${'\\x00'.repeat(20)}…" (1,000 characters)`);
    expect(nul.stderr).not.toContain('\0');
  });

  it('a folder given as a file names the path and the flag', async () => {
    const [data, modelFolder] = await pool([
      () => run(['score', '--model', model, '--data', dir]),
      () => run(['score', '--model', dir, '--data', TEST]),
    ], 2);
    expectEnd(data, 1, `cannot read ${dir}: a folder, not a file (--data)`);
    expectEnd(modelFolder, 1, `cannot read ${dir}: a folder, not a file (--model)`);
  });

  it('one normal row, every feature constant, a UTF-16 file, a header of five million fields', async () => {
    const one = join(dir, 'one.csv');
    writeFileSync(one, 'a,b,label\n1,x,normal\n5,y,attack\n');
    const utf16 = join(dir, 'utf16.csv');
    writeFileSync(utf16, Buffer.from('\ufeffa,b,label\n1,2,normal\n3,4,attack\n', 'utf16le'));
    const wide = join(dir, 'wide.csv');
    writeFileSync(wide, `${Array.from({ length: 5_000_000 }, (_, i) => `c${i % 10}`).join(',')}\n1\n`);
    const runs = await pool([
      () => run(['train', '--data', one, '--label', 'label', '--normal', 'normal', '--out', join(dir, 'one.st')]),
      () => run(['train', '--data', utf16, '--label', 'label', '--normal', 'normal', '--out', join(dir, 'utf16.st')]),
      () => run(['train', '--data', wide, '--label', 'c0', '--normal', '1', '--out', join(dir, 'wide.st')]),
    ], 3);
    expectEnd(runs[0], 1, `every feature is constant in the one normal row of ${one}: nothing to learn`);
    expectEnd(runs[1], 1, `${utf16}: looks like UTF-16; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)`);
    expectEnd(runs[2], 1, `${wide}: the header row has more than 100,000 columns, the most netae reads`);
    expect(left('one.st').concat(left('utf16.st'), left('wide.st'))).toEqual([]);
  });
});

describe('eval on files it cannot measure: a message naming the file, exit 1', () => {
  it('every label missing names the file, the rows and the label column', async () => {
    const lines = readFileSync(TEST, 'utf8').trimEnd().split('\n').slice(0, 200);
    const unlabelled = (keep: number) => {
      let rows = 0;
      return lines.flatMap((l) => {
        if (l.startsWith('#')) return [l];
        return rows++ < keep ? [l.replace(/\t[^\t]*$/, '\t-')] : [];
      }).join('\n');
    };
    const all = join(dir, 'unlabelled.conn.log');
    writeFileSync(all, `${unlabelled(Infinity)}\n`);
    const one = join(dir, 'one-unlabelled.conn.log');
    writeFileSync(one, `${unlabelled(1)}\n`);
    const rows = lines.filter((l) => !l.startsWith('#')).length;
    const [allRun, oneRun, stdinRun] = await pool([
      () => run(['eval', '--model', model, '--data', all]),
      () => run(['eval', '--model', model, '--data', one]),
      () => run(['eval', '--model', model, '--data', '-'], { input: readFileSync(all, 'utf8') }),
    ], 2);
    expectEnd(allRun, 1, `${all}: all ${rows} rows have no label (-, empty or NA) in column "label", so there is nothing to evaluate against`);
    expectEnd(oneRun, 1, `${one}: its one row has no label (-, empty or NA) in column "label", so there is nothing to evaluate against`);
    expectEnd(stdinRun, 1, `stdin: all ${rows} rows have no label (-, empty or NA) in column "label", so there is nothing to evaluate against`);
  });
});

describe('flags that leave no feature or give a column two roles', () => {
  it('every feature dropped says so; the label dropped or one-hot encoded, or a column both, is refused with exit 2', async () => {
    const data = join(dir, 'three.csv');
    writeFileSync(data, 'a,b,c,label\n1,2,x,normal\n1,5,x,normal\n1,1,x,normal\n');
    const train = (...flags: string[]) => () => run(['train', '--data', data, '--label', 'label', '--normal', 'normal', '--out', join(dir, 'three.st'), ...flags]);
    const [all, constant, label, category, both] = await pool([
      train('--drop', 'a,b,c'), train('--drop', 'b'), train('--drop', 'label'), train('--category', 'label'), train('--drop', 'a', '--category', 'a'),
    ], 3);
    expectEnd(all, 1, `${data}: no column is left to be a feature: "label" is the label; "a", "b", "c" are dropped with --drop`);
    expectEnd(constant, 1, `every feature left is constant in the 3 normal rows of ${data}: nothing to learn ("b" is dropped with --drop)`);
    expectEnd(label, 2, '--drop "label": that column is the label (--label), which is never a feature; leave it out of --drop');
    expectEnd(category, 2, '--category "label": that column is the label (--label), which is never a feature; leave it out of --category');
    expectEnd(both, 2, '--category "a": that column is dropped (--drop); give it to one of the two');
    expect(left('three.st')).toEqual([]);
  });
});

describe('usage: exit 2 before any work (cases 18, 19, 20, 21)', () => {
  it('threshold flags that do not go together, layer specs that cannot be built, no subcommand', async () => {
    const train = (...more: string[]) => () => run(['train', '--data', TRAIN, '--preset', 'zeek-conn', '--out', join(dir, 'never.st'), ...more]);
    const runs = await pool([
      train('--threshold', '0.5', '--percentile', '90'),
      train('--threshold-mode', 'percentile', '--threshold', '3'),
      train('--threshold-mode', 'fixed', '--percentile', '90'),
      train('--layers', 'garbage'),
      train('--layers', '122-0-122'),
      train('--layers', '66-100000000-66'),
      () => run([]),
    ], 3);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(ourErrors(runs[0].stderr)).toEqual(['netae: --percentile and --threshold set two thresholds; give one']);
    expect(ourErrors(runs[1].stderr)).toEqual(['netae: --threshold-mode percentile does not take --threshold']);
    expect(ourErrors(runs[2].stderr)).toEqual(['netae: --threshold-mode fixed does not take --percentile']);
    expect(runs[3].stderr).toContain('"garbage" is not a width');
    expect(runs[4].stderr).toContain('layer widths must be whole numbers ≥ 1, got 122-0-122');
    expect(runs[5].stderr).toContain('make 13,300,000,066 parameters; netae builds at most 268,435,456');
    expect(runs[6].stderr).toMatch(/Usage: netae/);
    runs.forEach((r) => expectNoCrash(r.stderr));
    expect(left('never.st')).toEqual([]);
  });

  it('a model too large for the device is refused before anything is allocated, naming what is too large', async () => {
    const r = await run(['train', '--data', TRAIN, '--preset', 'zeek-conn', '--out', join(dir, 'huge.st'), '--layers', 'auto-2000000-auto', '--batch', '8192']);
    expectEnd(r, 1, /needs [\d,]+ bytes, more than the [\d,]+ this device allows in one buffer; use (narrower layers|a smaller batch)$/);
  });
});

describe('Dawn released on every exit path (case 7)', () => {
  it('exits 1 with the message every time, 50 runs of an error after the GPU is acquired', async () => {
    const runs = await pool(Array.from({ length: 50 }, () => () => run(['score', '--model', model, '--data', foreign])), 2);
    for (const r of runs) expectEnd(r, 1, /foreign\.csv: the fitted features need column\(s\) the data lacks/);
  }, 300_000);
});
