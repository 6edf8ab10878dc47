import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    await train(page, 20);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(120);

    const auc = Number((await text(page, '#roc-auc')).replace('AUC', ''));
    expect(auc).toBeGreaterThan(0.9);
    expect(await text(page, '#train-state')).toBe('done: 20 epochs');
    expect(await page.locator('#loss-chart svg').count()).toBeGreaterThan(0);
    for (const chart of ['#histogram', '#roc', '#pr']) expect(await page.locator(`${chart} svg`).count(), chart).toBeGreaterThan(0);
    expect(await page.locator('#categories tbody tr').count()).toBe(6);
    expect(await page.locator('#top-rows tbody tr').count()).toBe(20);
    await page.screenshot({ path: `${SHOTS}/web-1280x800.png`, fullPage: true });

    const metrics = ['#metric-flagged', '#metric-precision', '#metric-recall', '#metric-f1', '#confusion-tp', '#confusion-fp'];
    const before = await Promise.all(metrics.map((m) => text(page, m)));
    const step = Number(await page.inputValue('#threshold'));
    await page.fill('#threshold', String(Math.max(0, step - 150)));
    const after = await Promise.all(metrics.map((m) => text(page, m)));
    expect(after).not.toEqual(before);
    expect(Number(after[2])).toBeGreaterThan(Number(before[2]));
    await page.click('#model-threshold');
    expect(await Promise.all(metrics.map((m) => text(page, m)))).toEqual(before);

    const model = await download(page, '#download-model', 'page.safetensors');
    const pageCsv = await download(page, '#download-scores', 'page.scores.csv');
    const cliCsv = join(dir, 'cli.scores.csv');
    const scored = await run(['score', '--model', model, '--data', TEST_LOG, '--out', cliCsv]);
    expect(scored.code, scored.stderr).toBe(0);
    const ours = readScores(pageCsv);
    const theirs = readScores(cliCsv);
    expect(ours.header).toBe('row,score,flag,label');
    expect(theirs.header).toBe(ours.header);
    expect(ours.rows.length).toBe(6000);
    expect(theirs.rows.length).toBe(ours.rows.length);
    let worst = 0;
    ours.rows.forEach((a, i) => {
      const b = theirs.rows[i];
      expect([a.row, a.label]).toEqual([b.row, b.label]);
      worst = Math.max(worst, Math.abs(a.score - b.score) / Math.max(Math.abs(a.score), Math.abs(b.score), 1e-30));
    });
    expect(worst).toBeLessThanOrEqual(1e-5);
    const flagsDiffer = ours.rows.filter((a, i) => a.flag !== theirs.rows[i].flag).length;
    expect(flagsDiffer).toBeLessThanOrEqual(2);

    await page.setInputFiles('#model-file', model);
    await page.waitForSelector('#training-card', { state: 'hidden', timeout: TRAINING });
    await expect.poll(() => page.isEnabled('#train')).toBe(true);
    expect(await text(page, '#roc-auc')).toBe(`AUC ${auc.toFixed(4)}`);
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
    await page.fill('#epochs', '500');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.querySelector('#stat-epoch')?.textContent?.split('/')[0]) >= 2, null, { timeout: TRAINING });
    await page.click('#stop');
    await page.waitForSelector('#scores-card:not([hidden])', { timeout: TRAINING });
    expect(await text(page, '#train-state')).toMatch(/^stopped after epoch \d+, kept epoch \d+$/);
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

    const lines = ['bytes,packets,proto,verdict'];
    for (let i = 0; i < 400; i++) {
      const attack = i % 10 === 0;
      lines.push(`${attack ? 90_000 + i : 500 + (i % 37) * 13},${attack ? 900 : 4 + (i % 5)},${i % 3 ? 'tcp' : 'udp'},${attack ? 'attack' : 'ok'}`);
    }
    const csv = join(dir, 'flows.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    await page.setInputFiles('#data-file', csv);
    await expect.poll(() => page.inputValue('#preset')).toBe('generic');
    expect(await page.isVisible('#generic')).toBe(true);
    expect(await page.inputValue('#label-column')).toBe('verdict');
    await page.fill('#normal-value', 'ok');
    await train(page, 5);
    expect(await text(page, '#scored-data')).toContain('flows.csv');
    expect(await page.locator('#categories tbody tr').count()).toBe(2);
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
