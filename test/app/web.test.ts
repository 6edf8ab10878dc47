import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/model/model';
import { buildWeb } from '../build-web';
import { chromiumArgs, chromiumPath } from '../chromium';
import { ROOT, run } from './run';
import { serveFolder, type Served } from './static-server';

const TEST_LOG = `${ROOT}data/sample/test.conn.log`;
const TRAIN_LOG = `${ROOT}data/sample/train.conn.log`;
const SHOTS = `${ROOT}test-results`;
const TRAINING = 240_000;

let served: Served;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  await buildWeb();
  served = await serveFolder(`${ROOT}dist/web`);
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  dir = mkdtempSync(join(tmpdir(), 'netae-web-'));
  mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh page that records console errors and uncaught exceptions. */
async function openPage(options: BrowserContextOptions, on: Browser = browser): Promise<{ page: Page; errors: string[] }> {
  const context = await on.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  await page.goto(served.url);
  return { page, errors };
}

async function ready(page: Page): Promise<void> {
  await page.waitForSelector('#adapter.ok', { timeout: 60_000 });
  await expect.poll(() => page.isEnabled('#train')).toBe(true);
}

async function train(page: Page, epochs: number): Promise<void> {
  await page.fill('#epochs', String(epochs));
  await page.click('#train');
  await page.waitForSelector('#scores-card:not([hidden])', { timeout: TRAINING });
  await expect.poll(() => page.isEnabled('#train')).toBe(true);
}

const text = async (page: Page, selector: string) => (await page.textContent(selector))?.trim() ?? '';

async function download(page: Page, button: string, to: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const path = join(dir, to);
  await file.saveAs(path);
  return path;
}

async function noHorizontalOverflow(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll).toBeLessThanOrEqual(width);
}

/** A real drop of a file on the drop zone, as a visitor's drag from the desktop ends. */
async function dropFile(page: Page, name: string, content: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(({ name, content }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], name, { type: 'text/plain' }));
    return transfer;
  }, { name, content });
  await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer });
  await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
}

/** The data lines of a Zeek log, each split into its fields by name. */
function zeekRecords(path: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  return lines.filter((l) => !l.startsWith('#')).map((l) => {
    const fields = l.split('\t');
    return Object.fromEntries(names.map((n, j) => [n, fields[j]]));
  });
}

const count = (text: string) => Number(text.replace(/[^\d]/g, ''));

/** The model downloaded in the first test, loaded again in a later one. */
let savedModel: string | null = null;

interface ScoreRow {
  row: string;
  score: number;
  flag: string;
  label: string;
}

function readScores(path: string): { header: string; rows: ScoreRow[] } {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return {
    header,
    rows: lines.map((line) => {
      const [row, score, flag, label] = line.split(',');
      return { row, score: Number(score), flag, label };
    }),
  };
}

describe('the web page', () => {
  it('trains on the synthetic traffic at 1280×800, and its model scores the same in the CLI', async () => {
    const { page, errors } = await openPage({ viewport: { width: 1280, height: 800 } });
    await ready(page);
    const started = performance.now();
    await page.fill('#epochs', '20');
    await page.click('#train');
    await page.waitForFunction(() => /^≈ \d/.test(document.querySelector('#stat-left')?.textContent ?? ''), null, { timeout: TRAINING });
    expect(await text(page, '#status')).toBe('Training on 6,600 normal rows of sample train.conn.log (1,000 more held out for validation)…');
    await page.waitForSelector('#scores-card:not([hidden])', { timeout: TRAINING });
    await expect.poll(() => page.isEnabled('#train')).toBe(true);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(120);

    const auc = Number((await text(page, '#roc-auc')).replace('AUC', ''));
    expect(auc).toBeGreaterThan(0.9);
    expect(await text(page, '#train-state')).toBe('done: 20 epochs');
    expect(await text(page, '#model-summary')).toContain('6,600 (1,000 more held out for validation)');
    expect(await page.locator('#loss-chart svg').count()).toBeGreaterThan(0);
    for (const chart of ['#histogram', '#roc', '#pr']) await expect.poll(() => page.locator(`${chart} svg`).count(), { message: chart }).toBeGreaterThan(0);
    expect(await page.locator('#categories tbody tr').count()).toBe(6);
    expect((await page.locator('#categories thead th').last().textContent())?.trim()).toBe('Drivers (share of error)');
    const drivers = await page.locator('#categories tbody tr td.drivers').allInnerTexts();
    expect(drivers.filter((d) => /^\S+ \d+%(, \S+ \d+%){0,2}$/.test(d)).length).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/web-1280x800.png`, fullPage: true });

    // The slider's thumb sits on the histogram's threshold line.
    const offset = await page.evaluate(() => {
      const slider = document.querySelector<HTMLInputElement>('#threshold')!;
      const box = slider.getBoundingClientRect();
      const thumb = box.left + 8 + (box.width - 16) * (Number(slider.value) / Number(slider.max));
      const rules = [...document.querySelectorAll('#histogram svg g[aria-label="rule"] line')].map((l) => l.getBoundingClientRect());
      const vertical = rules.find((r) => r.width < 3 && r.height > 50)!;
      return Math.abs(thumb - (vertical.left + vertical.width / 2));
    });
    expect(offset).toBeLessThan(3);

    const metrics = ['#metric-flagged', '#metric-precision', '#metric-recall', '#metric-f1', '#confusion-tp', '#confusion-fp'];
    const before = await Promise.all(metrics.map((m) => text(page, m)));
    const step = Number(await page.inputValue('#threshold'));
    await page.fill('#threshold', String(Math.max(0, step - 150)));
    const after = await Promise.all(metrics.map((m) => text(page, m)));
    expect(after).not.toEqual(before);
    expect(Number(after[2])).toBeGreaterThan(Number(before[2]));
    expect(await page.getAttribute('#model-threshold', 'aria-pressed')).toBe('false');
    await page.click('#model-threshold');
    expect(await Promise.all(metrics.map((m) => text(page, m)))).toEqual(before);
    expect(await page.getAttribute('#model-threshold', 'aria-pressed')).toBe('true');

    // Every flagged row is listed, a page at a time, with its flow and why it scored high.
    const flagged = count((await text(page, '#metric-flagged')).split('(')[0]);
    await expect.poll(() => text(page, '#flagged-page')).toBe(`rows 1–25 of ${flagged.toLocaleString('en-US')} flagged`);
    expect(await page.locator('#flagged-rows tbody tr').count()).toBe(25);
    await page.click('#flagged-next');
    expect(await text(page, '#flagged-page')).toBe(`rows 26–50 of ${flagged.toLocaleString('en-US')} flagged`);
    await page.click('#flagged-prev');
    const records = zeekRecords(TEST_LOG);
    const first = page.locator('#flagged-rows tbody tr').first();
    const row = Number(await first.getAttribute('data-row'));
    const record = records[row - 1];
    const flow = await first.locator('td.flow').innerText();
    expect(flow).toContain(`${record['id.orig_h']}:${record['id.orig_p']} → ${record['id.resp_h']}:${record['id.resp_p']}`);
    expect(flow).toContain(record.uid);
    expect(flow).toContain(record.service);
    expect(await first.locator('.features .feature').count()).toBe(3);
    expect(await first.locator('.features').innerText()).toMatch(/^\S+ .+ \(expected .+\) \d+%/);
    await page.click('#flagged-rows [data-sort="score"]');
    const scores = await page.locator('#flagged-rows tbody tr td:nth-child(2)').allInnerTexts();
    expect(Number(scores[0])).toBeLessThanOrEqual(Number(scores[1]));
    await page.selectOption('#flagged-category', 'exfiltration');
    const exfiltration = await page.locator('#categories tbody tr', { hasText: 'exfiltration' }).locator('td').nth(2).innerText();
    expect(await text(page, '#flagged-page')).toMatch(new RegExp(`of ${exfiltration} flagged \\(filtered\\)$`));
    await page.selectOption('#flagged-category', '');
    const column = await page.locator('#flagged-column option').nth(1).getAttribute('value');
    await page.selectOption('#flagged-column', column!);
    const listed = count((await text(page, '#flagged-page')).split(' of ')[1]);
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThanOrEqual(flagged);
    for (const cell of await page.locator('#flagged-rows tbody tr .features').allInnerTexts()) expect(cell).toContain(column!);
    await page.selectOption('#flagged-column', '');
    await page.selectOption('#flagged-view', 'near');
    expect(await text(page, '#flagged-page')).toBe('rows 1–25 of 100 near the threshold');
    await page.selectOption('#flagged-view', 'flagged');

    // Best F1: the downloads carry the threshold on screen.
    await page.click('#best-threshold');
    expect(await page.getAttribute('#best-threshold', 'aria-pressed')).toBe('true');
    expect(await page.getAttribute('#model-threshold', 'aria-pressed')).toBe('false');
    const best = Number(await text(page, '#threshold-value'));
    const bestFlagged = count((await text(page, '#metric-flagged')).split('(')[0]);
    expect(bestFlagged).not.toBe(flagged);
    expect(await text(page, '#download-model')).toMatch(/^Download modelthreshold [\d.]+ \(chosen\)$/);
    expect(await text(page, '#download-scores')).toMatch(/^Download scoresflagged at ≥ [\d.]+$/);
    const model = await download(page, '#download-model', 'page.safetensors');
    savedModel = model;
    const threshold = decodeModel(new Uint8Array(readFileSync(model))).meta.threshold!;
    expect(threshold.mode).toBe('chosen');
    expect(Number(threshold.value.toPrecision(4))).toBe(best);
    const pageCsv = await download(page, '#download-scores', 'page.scores.csv');
    const cliCsv = join(dir, 'cli.scores.csv');
    const scored = await run(['score', '--model', model, '--data', TEST_LOG, '--out', cliCsv, '--keep', 'none']);
    expect(scored.code, scored.stderr).toBe(0);
    const ours = readScores(pageCsv);
    const theirs = readScores(cliCsv);
    expect(ours.header).toBe('row,score,flag,label');
    expect(theirs.header).toBe(ours.header);
    expect(ours.rows.length).toBe(6000);
    expect(ours.rows.filter((r) => r.flag === '1').length).toBe(bestFlagged);
    expect(theirs.rows.length).toBe(ours.rows.length);
    // The page (SwiftShader) and the CLI (lavapipe) sum in different orders and have their own
    // tanh and exp, so each reconstructed feature x̂ⱼ may differ by a few float32 ulps: |δx̂ⱼ| ≤ δ
    // with δ = 32u (u = 2⁻²⁴; the features and hidden units are O(1), each layer sums ≤ 64 terms).
    // A score s = mean (xⱼ − x̂ⱼ)² then moves by |δs| ≤ 2·mean |xⱼ − x̂ⱼ|·δ ≤ 2√s·δ (Cauchy–Schwarz),
    // plus its own float32 sum over the features, within 1e-5·s.
    const delta = 32 * 2 ** -24;
    const outside = ours.rows.filter((a, i) => {
      const b = theirs.rows[i];
      expect([a.row, a.label]).toEqual([b.row, b.label]);
      const s = Math.max(a.score, b.score);
      return Math.abs(a.score - b.score) > 2 * Math.sqrt(s) * delta + 1e-5 * s;
    });
    expect(outside).toEqual([]);
    const flagsDiffer = ours.rows.filter((a, i) => a.flag !== theirs.rows[i].flag).length;
    expect(flagsDiffer).toBeLessThanOrEqual(2);

    // The flagged rows export with every field of their records.
    await expect.poll(() => text(page, '#export-csv')).toBe(`CSV (${bestFlagged.toLocaleString('en-US')} rows)`);
    const csv = readFileSync(await download(page, '#export-csv', 'flagged.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe(`row,score,explanation,${Object.keys(records[0]).join(',')}`);
    expect(csv.length - 1).toBe(bestFlagged);
    const ndjson = readFileSync(await download(page, '#export-ndjson', 'flagged.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(ndjson.length).toBe(bestFlagged);
    const pageFlags = new Set(ours.rows.filter((r) => r.flag === '1').map((r) => Number(r.row)));
    for (const entry of ndjson) {
      expect(pageFlags.has(entry.row)).toBe(true);
      const source = records[entry.row - 1];
      expect([entry.fields.uid, entry.fields['id.orig_h'], entry.fields.service, entry.fields.label])
        .toEqual([source.uid, source['id.orig_h'], source.service, source.label]);
      expect(entry.explanation).toHaveLength(3);
    }
    // The explanation is quoted when its figures have thousands separators; no other field has a comma.
    const [csvRow, csvScore, , csvTs, csvUid] = csv[1].replace(/"(?:[^"]|"")*"/g, '').split(',');
    expect(csvUid).toBe(records[Number(csvRow) - 1].uid);
    expect(Number(csvTs)).toBeCloseTo(Number(records[Number(csvRow) - 1].ts), 5);
    // The page shows the threshold to 4 significant digits: up to half a unit of the last above the score it flags at.
    expect(Number(csvScore)).toBeGreaterThanOrEqual(best - 0.5 * 10 ** (Math.floor(Math.log10(best)) - 3));

    await page.setInputFiles('#model-file', model);
    await page.waitForSelector('#training-card', { state: 'hidden', timeout: TRAINING });
    await expect.poll(() => page.isEnabled('#train')).toBe(true);
    expect(await text(page, '#roc-auc')).toBe(`AUC ${auc.toFixed(4)}`);
    expect(await text(page, '#model-summary')).toContain('chosen on the netae page');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 420_000);

  it('works at 390×844: no horizontal overflow, and Stop keeps the best epoch so far', async () => {
    const { page, errors } = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await ready(page);
    await noHorizontalOverflow(page);
    for (const control of ['#train', '#epochs', '#dropzone', '#load-model']) {
      expect(await page.locator(control).first().isVisible(), control).toBe(true);
    }
    // Each epoch's losses as the page shows them: an epoch's event sets both; a step's only the epoch.
    await page.evaluate(() => {
      const seen: Record<string, string> = {};
      (window as unknown as { shownValLoss: Record<string, string> }).shownValLoss = seen;
      let last = '';
      const read = (id: string) => document.querySelector(`#${id}`)?.textContent?.trim() ?? '';
      new MutationObserver(() => {
        const shown = `${read('stat-train-loss')} ${read('stat-val-loss')}`;
        if (shown === last || read('stat-val-loss') === '—' || read('stat-val-loss') === '') return;
        last = shown;
        seen[read('stat-epoch').split('/')[0].trim()] = read('stat-val-loss');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.fill('#epochs', '500');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.querySelector('#stat-epoch')?.textContent?.split('/')[0]) >= 2, null, { timeout: TRAINING });
    await page.setInputFiles('#data-file', TEST_LOG);
    await expect.poll(() => text(page, '#status')).toBe('Wait for the job in hand to end (or Stop it) before choosing test.conn.log.');
    expect(await text(page, '#data-name')).toBe('Synthetic traffic');
    await page.waitForFunction(() => Number(document.querySelector('#stat-epoch')?.textContent?.split('/')[0]) >= 3, null, { timeout: TRAINING });
    await page.click('#stop');
    await page.waitForSelector('#scores-card:not([hidden])', { timeout: TRAINING });
    const [, stoppedAfter, kept] = /^stopped after epoch (\d+), kept epoch (\d+)$/.exec(await text(page, '#train-state'))!.map(Number);
    // The kept epoch is the one whose validation loss was lowest, and the model carries that loss.
    const shown = await page.evaluate(() => (window as unknown as { shownValLoss: Record<string, string> }).shownValLoss);
    expect(Object.keys(shown).map(Number)).toEqual(Array.from({ length: stoppedAfter }, (_, i) => i + 1));
    const lowest = Math.min(...Object.values(shown).map(Number));
    expect(Number(shown[kept])).toBe(lowest);
    const stoppedModel = decodeModel(new Uint8Array(readFileSync(await download(page, '#download-model', 'stopped.safetensors'))));
    const training = stoppedModel.meta.training as { epochs: number; bestEpoch: number; stopped: string; valLoss: number };
    expect([training.epochs, training.bestEpoch, training.stopped]).toEqual([stoppedAfter, kept, 'aborted']);
    expect(training.valLoss.toExponential(3)).toBe(shown[kept]);
    await page.waitForTimeout(300);
    await noHorizontalOverflow(page);
    await page.screenshot({ path: `${SHOTS}/web-390x844.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 420_000);

  it('recognises dropped files and trains on a generic CSV with the label column chosen', async () => {
    const { page, errors } = await openPage({ viewport: { width: 1280, height: 800 } });
    await ready(page);
    await page.setInputFiles('#data-file', TRAIN_LOG);
    await page.waitForSelector('#schema:not([hidden])');
    expect(await page.inputValue('#preset')).toBe('zeek-conn');

    const lines = ['bytes,packets,proto,src,type,verdict'];
    for (let i = 0; i < 400; i++) {
      const attack = i % 10 === 0;
      lines.push(`${attack ? 90_000 + i : 500 + (i % 37) * 13},${attack ? 900 : 4 + (i % 5)},${i % 3 ? 'tcp' : 'udp'},10.0.0.${i % 50},${attack ? (i % 20 ? 'scan' : 'flood') : 'none'},${attack ? 'attack' : 'ok'}`);
    }
    await dropFile(page, 'flows.csv', `${lines.join('\n')}\n`);
    await expect.poll(() => page.inputValue('#preset')).toBe('generic');
    expect(await page.isVisible('#generic')).toBe(true);
    expect(await page.inputValue('#label-column')).toBe('verdict');
    expect(await page.inputValue('#category-column')).toBe('type');
    await page.fill('#normal-value', 'ok');
    await train(page, 5);
    expect(await text(page, '#scored-data')).toContain('flows.csv');
    expect(await text(page, '#model-summary')).toContain('left outsrc (addresses): identifiers, not features');
    const categories = await page.locator('#categories tbody tr td:first-child').allTextContents();
    expect(categories.map((c) => c.replace(/ .*/, '')).sort()).toEqual(['flood', 'normal', 'scan']);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('keeps a loaded model for the files dropped next, and says in one line when a file does not fit it', async () => {
    expect(savedModel, 'the first test saves the model').not.toBeNull();
    const { page, errors } = await openPage({ viewport: { width: 1280, height: 800 } });
    await ready(page);
    await page.setInputFiles('#model-file', savedModel!);
    await page.waitForSelector('#scores-card:not([hidden])', { timeout: TRAINING });
    expect(await page.isVisible('#model-loaded')).toBe(true);

    const unlabelled = readFileSync(TEST_LOG, 'utf8').trimEnd().split('\n')
      .map((line) => (line.startsWith('#') && !/^#(fields|types)\t/.test(line) ? line : line.split('\t').slice(0, -1).join('\t')));
    await dropFile(page, 'unlabelled.conn.log', `${unlabelled.join('\n')}\n`);
    await expect.poll(() => text(page, '#scored-data'), { timeout: TRAINING }).toBe('6,000 rows of unlabelled.conn.log, unlabelled');
    expect(await text(page, '#data-name')).toBe('unlabelled.conn.log');
    expect(await page.isHidden('#categories-card')).toBe(true);
    expect(count(await text(page, '#flagged-page'))).toBeGreaterThan(0);
    expect(await page.isEnabled('#download-scores')).toBe(true);

    const nsl = '0,tcp,private,REJ,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,229,10,0.00,0.00,1.00,1.00,0.04,0.06,0.00,255,10,0.04,0.06,0.00,0.00,0.00,0.00,1.00,1.00,neptune,21\n';
    await dropFile(page, 'KDDTest+.txt', nsl.repeat(20));
    await page.waitForSelector('#status.error', { timeout: TRAINING });
    expect(await text(page, '#status')).toBe('page.safetensors was trained on Zeek conn.log columns; KDDTest+.txt has NSL-KDD columns');
    expect(await page.isHidden('#scores-card')).toBe(true);
    expect(await page.isDisabled('#download-model')).toBe(true);
    expect(await page.isVisible('#model-loaded')).toBe(true);

    await page.setInputFiles('#model-file', { name: 'notes.safetensors', mimeType: 'text/plain', buffer: Buffer.from('not a model\n') });
    await expect.poll(() => text(page, '#status')).toMatch(/^notes\.safetensors: not a safetensors file/);
    expect(await text(page, '#model-loaded-name')).toBe('page.safetensors');
    await page.setInputFiles('#test-file', TEST_LOG);
    await expect.poll(() => text(page, '#scored-data'), { timeout: TRAINING }).toMatch(/^6,000 rows of test\.conn\.log/);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('says what to enable when the browser has no WebGPU', async () => {
    const plain = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-features=WebGPU'] });
    try {
      const noAdapter = await openPage({ viewport: { width: 1280, height: 800 } }, plain);
      await noAdapter.page.waitForSelector('#unsupported:not([hidden])', { timeout: 60_000 });
      expect(await noAdapter.page.isHidden('#app')).toBe(true);
      const message = await text(noAdapter.page, '#unsupported');
      expect(message).toContain('chrome://flags/#enable-unsafe-webgpu');
      expect(message).toContain('Chrome or Edge 113');
      await noAdapter.page.screenshot({ path: `${SHOTS}/web-no-webgpu.png` });

      const context = await plain.newContext();
      await context.addInitScript(() => {
        delete (Navigator.prototype as { gpu?: unknown }).gpu;
      });
      const page = await context.newPage();
      await page.goto(served.url);
      await page.waitForSelector('#unsupported:not([hidden])');
      expect(await text(page, '#unsupported-reason')).toContain('navigator.gpu is missing');
      expect(noAdapter.errors).toEqual([]);
    } finally {
      await plain.close();
    }
  }, 120_000);
});
