import { byId } from './dom';
import type { TrainSettings } from './protocol';

function numberField(id: string, rule: string, valid: (x: number) => boolean): number {
  const input = byId<HTMLInputElement>(id);
  const value = Number(input.value);
  if (input.value.trim() === '' || !valid(value)) {
    input.focus();
    throw new Error(`${rule}; got "${input.value}"`);
  }
  return value;
}

const whole = (min: number) => (x: number) => Number.isInteger(x) && x >= min;

/** The training settings from the form; an Error naming the field that is wrong. */
export function readSettings(): TrainSettings {
  return {
    epochs: numberField('epochs', 'Epochs must be a whole number ≥ 1', whole(1)),
    batchSize: numberField('batch', 'Batch size must be a whole number ≥ 1', whole(1)),
    lr: numberField('lr', 'Learning rate must be a positive number', (x) => x > 0 && Number.isFinite(x)),
    seed: numberField('seed', 'Seed must be a whole number ≥ 0', whole(0)),
    layers: byId<HTMLInputElement>('layers').value.trim() || 'deep',
  };
}
