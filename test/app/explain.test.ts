import { table } from 'arquero';
import { describe, expect, it } from 'vitest';
import { parseDataset } from '../../src/pipeline/dataset';
import { fitFeatures, type FeaturesJSON } from '../../src/pipeline/features';
import { DriverTally, Explainer, expectedText, formatColumnError, formatDrivers } from '../../src/app/explain';
import { exportCsv, exportNdjson } from '../../src/app/flagged-export';
import { flowColumns, flowHeadings, flowParts, formatTime } from '../../src/app/flow';
import { fitProblem } from '../../src/app/model-fit';

const FEATURES: FeaturesJSON = {
  kind: 'netae-features', version: 1, scaling: 'standard', clip: 1e6,
  numeric: [
    { column: 'bytes', log1p: true, fill: 0, low: 0, high: 10, offset: 2, scale: 0.5 },
    { column: 'dur', log1p: false, fill: 0, low: -5, high: 5, offset: 1, scale: 2 },
  ],
  categorical: [{ column: 'proto', categories: ['tcp', 'udp'] }],
  dropped: [],
};

describe('explaining a row relative to normal', () => {
  const explainer = new Explainer(FEATURES);
  const raw = { bytes: 1_000, dur: 0.5, proto: 'udp' } as Record<string, unknown>;
  // features: bytes, dur, proto=tcp, proto=udp, proto=<unseen>
  const x = [3, -1, 0, 1, 0];
  const recon = [1, -1.5, 0.75, 0.25, 0];

  it('ranks columns by their share of the squared error, one-hot slots summed per column', () => {
    const errors = explainer.explain(x, recon, (c) => raw[c], 3);
    // bytes (3−1)² = 4; dur (−1+1.5)² = 0.25; proto 0.75² + 0.75² = 1.125; total 5.375
    expect(errors.map((e) => e.column)).toEqual(['bytes', 'proto', 'dur']);
    expect(errors.map((e) => e.share)).toEqual([4 / 5.375, 1.125 / 5.375, 0.25 / 5.375]);
    expect(explainer.explain(x, recon, (c) => raw[c], 1)).toHaveLength(1);
    expect(explainer.width).toBe(5);
    expect(explainer.columns).toEqual(['bytes', 'dur', 'proto']);
  });

  it("shares the Student-t score of a model that scores by it: log(1 + e/τ) per feature, summed per column", () => {
    const student = new Explainer(FEATURES, 0.5);
    const errors = student.explain(x, recon, (c) => raw[c], 3);
    const [bytes, dur, proto] = [Math.log1p(4 / 0.5), Math.log1p(0.25 / 0.5), 2 * Math.log1p(0.5625 / 0.5)];
    const total = bytes + dur + proto;
    expect(errors.map((e) => e.column)).toEqual(['bytes', 'proto', 'dur']);
    errors.map((e) => e.share).forEach((share, i) => expect(share).toBeCloseTo([bytes / total, proto / total, dur / total][i], 12));
    expect(errors[0].share).toBeLessThan(4 / 5.375);
  });

  it('names each feature after its column, a categorical one `column=category` by the category the row holds; shares over all columns sum to 1', () => {
    const errors = explainer.explain(x, recon, (c) => raw[c], 10);
    expect(errors.map((e) => e.feature)).toEqual(['bytes', 'proto=udp', 'dur']);
    expect(errors.reduce((sum, e) => sum + e.share, 0)).toBeCloseTo(1, 15);
    // proto is a category not kept in training: its unseen slot holds the 1
    const unseen = explainer.explain([3, -1, 0, 0, 1], [3, -1, 0.5, 0, 0.5], () => 'icmp', 1)[0];
    // proto (0 − 0.5)² + 0² + (1 − 0.5)² = 0.5, the whole error
    expect(unseen).toEqual({ column: 'proto', feature: 'proto=<unseen>', value: 'icmp', expected: 'tcp', share: 1 });
    expect(explainer.names).toEqual(['bytes', 'dur', 'proto=tcp', 'proto=udp', 'proto=<unseen>']);
  });

  it('gives every column its share of the error and the feature it counts under, and adds them up per category', () => {
    const shares = new Float64Array(6);
    const keys = new Int32Array(6);
    explainer.contributions(x, recon, shares, keys, 0);
    // a second row, of category tcp: bytes (1 − 0)² = 1, dur (1 − 0)² = 1, proto (1 − 1)² + 0² + (0 − 1)² = 1
    explainer.contributions([1, 1, 1, 0, 0], [0, 0, 1, 0, 1], shares, keys, 3);
    expect(Array.from(shares)).toEqual([4 / 5.375, 0.25 / 5.375, 1.125 / 5.375, 1 / 3, 1 / 3, 1 / 3]);
    expect(Array.from(keys)).toEqual([0, 1, 3, 0, 1, 2]);
    const tally = new DriverTally(explainer.names);
    tally.add('scan', shares, keys, 0, 3);
    tally.add('scan', shares, keys, 3, 3);
    tally.add('flood', shares, keys, 3, 3);
    const [flood, scan] = tally.drivers(2);
    expect(flood).toEqual({ category: 'flood', flagged: 1, features: [{ feature: 'bytes', share: 1 / 3 }, { feature: 'dur', share: 1 / 3 }] });
    expect(scan.flagged).toBe(2);
    // mean shares over scan's two rows: bytes (4/5.375 + 1/3)/2 ≈ 0.539, dur (0.25/5.375 + 1/3)/2 ≈ 0.190,
    // proto=tcp (0 + 1/3)/2 ≈ 0.167, proto=udp (1.125/5.375 + 0)/2 ≈ 0.105
    expect(scan.features.map((f) => f.feature)).toEqual(['bytes', 'dur']);
    expect(scan.features[0].share).toBeCloseTo((4 / 5.375 + 1 / 3) / 2, 15);
    expect(scan.features[1].share).toBeCloseTo((0.25 / 5.375 + 1 / 3) / 2, 15);
    expect(tally.drivers(5)[1].features.map((f) => f.feature)).toEqual(['bytes', 'dur', 'proto=tcp', 'proto=udp']);
    expect(formatDrivers(flood)).toBe('bytes 33%, dur 33%');
  });

  it("gives the model's expectation in the column's units: unscaled, clamped to the fitted range, log1p undone; the likeliest category", () => {
    const [bytes, proto, dur] = explainer.explain(x, recon, (c) => raw[c], 3);
    expect(bytes.value).toBe(1_000);
    expect(bytes.expected).toBeCloseTo(Math.expm1(1 / 0.5 + 2), 9);
    expect(dur.expected).toBeCloseTo(-1.5 / 2 + 1, 12);
    expect(proto).toMatchObject({ value: 'udp', expected: 'tcp' });
    const [far] = explainer.explain([0, 0, 0, 0, 0], [40, 0, 0, 0, 0], (c) => raw[c], 1);
    expect(far.expected).toBeCloseTo(Math.expm1(10), 6);
  });

  it("gives back a row's own values when the reconstruction is another row's features", () => {
    const rows = table({ bytes: [10, 200, 3_000, 45_000], dur: [0.1, 2.5, 7, 0.4], proto: ['tcp', 'udp', 'icmp', 'tcp'] });
    const fitted = fitFeatures(rows, { numeric: ['bytes', 'dur'], categorical: ['proto'], log1p: ['bytes'] });
    const { matrix, width } = fitted.transform(rows);
    const row = (i: number) => matrix.subarray(i * width, (i + 1) * width);
    const of = new Explainer(fitted.toJSON());
    const errors = of.explain(row(0), row(2), (c) => rows.get(c, 0), 3);
    const byColumn = Object.fromEntries(errors.map((e) => [e.column, e]));
    expect(byColumn.bytes.value).toBe(10);
    expect(byColumn.bytes.expected).toBeCloseTo(3_000, 1);
    expect(byColumn.dur.expected).toBeCloseTo(7, 5);
    expect(byColumn.proto).toMatchObject({ value: 'tcp', expected: 'icmp' });
    expect(errors.reduce((a, e) => a + e.share, 0)).toBeCloseTo(1, 6);
  });

  it('reads as an analyst writes it', () => {
    expect(formatColumnError({ column: 'resp_bytes', feature: 'resp_bytes', value: 181_540, expected: 137.4, share: 0.62 })).toBe('resp_bytes 181,540 (expected ≈ 137) 62%');
    expect(formatColumnError({ column: 'duration', feature: 'duration', value: 0.5, expected: 12.345678, share: 0.1 })).toBe('duration 0.5 (expected ≈ 12.35) 10%');
    expect(formatColumnError({ column: 'service', feature: 'service=private', value: 'private', expected: 'http', share: 0.3 })).toBe('service private (expected http) 30%');
    expect(expectedText({ column: 'x', feature: 'x', value: Number.NaN, expected: 3.5, share: 0 })).toBe('≈ 3.5');
  });
});

describe("a record's own fields", () => {
  it('finds Zeek, CICFlowMeter and NSL-KDD flow columns by name', () => {
    const zeek = flowColumns(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration']);
    expect(flowHeadings(zeek).map((h) => h.part)).toEqual(['time', 'id', 'endpoints', 'proto', 'service']);
    const values: Record<string, string> = {
      ts: '1700000000.060012', uid: 'CIVaX', 'id.orig_h': '10.0.3.69', 'id.orig_p': '56923', 'id.resp_h': '2001:db8::1', 'id.resp_p': '443', proto: 'tcp', service: 'ssl',
    };
    expect(flowParts(zeek, (c) => values[c])).toEqual(['2023-11-14 22:13:20.060', 'CIVaX', '10.0.3.69:56923 → [2001:db8::1]:443', 'tcp', 'ssl']);
    const cic = flowColumns([' Source IP', ' Source Port', ' Destination IP', ' Destination Port', 'Flow ID', ' Timestamp']);
    expect(cic.origin).toEqual({ host: ' Source IP', port: ' Source Port' });
    expect(cic.id).toBe('Flow ID');
    expect(flowHeadings(flowColumns(['protocol_type', 'service', 'flag'])).map((h) => h.name)).toEqual(['protocol_type', 'service']);
    expect(flowHeadings(flowColumns(['a', 'b']))).toEqual([]);
    expect(formatTime('7/7/2017 8:59')).toBe('7/7/2017 8:59');
  });
});

describe('a model that does not fit a file', () => {
  const base = { modelName: 'm.safetensors', fileName: 'f.log', needed: ['a', 'b', 'c', 'd', 'e'] };

  it('says so in one line, by data set where both are known', () => {
    expect(fitProblem({ ...base, modelPreset: 'nsl-kdd', columns: null, filePreset: 'zeek-conn' }))
      .toBe('m.safetensors was trained on NSL-KDD columns; f.log has Zeek conn.log columns');
    expect(fitProblem({ ...base, modelPreset: null, columns: ['a', 'x'], filePreset: null }))
      .toBe('m.safetensors was trained on other columns; f.log lacks 4 of its 5 columns (b, c, d, …)');
    expect(fitProblem({ ...base, modelPreset: 'zeek-conn', columns: ['x'], filePreset: null }))
      .toBe('m.safetensors was trained on Zeek conn.log columns; f.log lacks all 5 of its columns (a, b, c, …)');
  });

  it('says nothing when the file has every column the model needs', () => {
    expect(fitProblem({ ...base, modelPreset: null, columns: ['e', 'd', 'c', 'b', 'a', 'extra'], filePreset: null })).toBeNull();
  });
});

describe('exporting rows with their fields', () => {
  const data = parseDataset('host,bytes,service,label\n"a,1",10,http,normal\nb,,dns,scan\n', { label: 'label', normal: 'normal' }, 'x.csv');
  const rows = {
    table: data.table,
    rows: [1, 0],
    scores: Float32Array.of(0.25, 2),
    explanation: (row: number) => (row === 1 ? [{ column: 'bytes', feature: 'bytes', value: Number.NaN, expected: 12.2, share: 0.75 }] : undefined),
  };

  it('as CSV: row, score, explanation, then every column, quoted where needed', () => {
    expect(exportCsv(rows)).toBe('row,score,explanation,host,bytes,service,label\n'
      + '2,2,bytes missing (expected ≈ 12.2) 75%,b,,dns,scan\n'
      + '1,0.25,,"a,1",10,http,normal\n');
  });

  it('as NDJSON: one object per row with its explanation and fields; missing numbers are null', () => {
    const lines = exportNdjson(rows).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { row: 2, score: 2, explanation: [{ column: 'bytes', value: null, expected: 12.2, share: 0.75 }], fields: { host: 'b', bytes: null, service: 'dns', label: 'scan' } },
      { row: 1, score: 0.25, explanation: null, fields: { host: 'a,1', bytes: 10, service: 'http', label: 'normal' } },
    ]);
    expect(exportNdjson({ ...rows, rows: [] })).toBe('');
  });
});
