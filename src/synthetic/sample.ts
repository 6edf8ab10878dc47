import { generateTraffic } from './traffic';
import { toZeekLog } from '../pipeline/zeek';

/** The bundled sample (data/sample/*.conn.log): synthetic Zeek conn.logs with a `label` column. */
export const SAMPLE = {
  train: { rows: 8000, seed: 20240501, attackFraction: 0.05 },
  test: { rows: 6000, seed: 20240502, attackFraction: 0.25 },
} as const;

/** The text of the bundled sample files, as `npm run sample` writes them. */
export function sampleLogs(): { train: string; test: string } {
  return {
    train: toZeekLog(generateTraffic(SAMPLE.train)),
    test: toZeekLog(generateTraffic({ ...SAMPLE.test, start: 1_700_100_000 })),
  };
}
