import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NSL_KDD_DIR as DATA, nslKddMissing, nslKddPresent as present } from '../nsl-kdd-dir';
import { run } from './run';

if (!present) console.warn(`NSL-KDD command-line test skipped: ${nslKddMissing}`);

describe.skipIf(!present)('NSL-KDD through the binary with default settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netae-nsl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on the normal rows of KDDTrain+ and reaches ROC-AUC ≥ 0.97 on KDDTest+', async () => {
    const model = join(dir, 'nsl.safetensors');
    const trained = await run(['train', '--data', join(DATA, 'KDDTrain+.txt'), '--preset', 'nsl-kdd', '--out', model, '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = JSON.parse(trained.stdout);
    expect(summary.trainRows + summary.validationRows).toBe(67_343);
    const metrics = join(dir, 'metrics.json');
    const evaluated = await run(['eval', '--model', model, '--data', join(DATA, 'KDDTest+.txt'), '--json', metrics]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(readFileSync(metrics, 'utf8'));
    expect(report.atThreshold.rows).toBe(22_544);
    expect(report.atThreshold.anomalies).toBe(12_833);
    expect(report.atThreshold.rocAuc).toBeGreaterThanOrEqual(0.97);
    expect(report.unseen).toBeGreaterThan(0);
  }, 300_000);
});
