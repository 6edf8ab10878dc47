import { expect, it } from 'vitest';
import { ERROR_FLOOR, errorWeights } from '../../src/app/detector';

it('weighs each feature by the inverse of its held-out error, floored, with mean 1', () => {
  const w = errorWeights([0.1, 0.4, 0.2, 0.0, 0.3]);
  const mean = 0.2;
  const inverse = [1 / 0.1, 1 / 0.4, 1 / 0.2, 1 / (ERROR_FLOOR * mean), 1 / 0.3];
  const average = inverse.reduce((a, b) => a + b, 0) / 5;
  w.forEach((v, i) => expect(v).toBeCloseTo(inverse[i] / average, 12));
  expect(w.reduce((a, b) => a + b, 0) / 5).toBeCloseTo(1, 12);
  expect(w[3] / w[0]).toBeCloseTo(0.1 / (ERROR_FLOOR * mean), 12);
});

it('leaves every weight at 1 when the model made no error at all', () => {
  expect(Array.from(errorWeights([0, 0, 0]))).toEqual([1, 1, 1]);
});
