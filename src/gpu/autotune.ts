import type { Gpu } from './device';
import { releaseLaunches, type Launch } from './launch';
import { timeLaunches, type Timing } from './timing';

/** One candidate's time in a tuning run; `error` where it could not be built or run. */
export interface TunedCandidate {
  readonly name: string;
  readonly ms: number | null;
  readonly error?: string;
}

/** What the tuner chose for one key on a device, and how the candidates timed. */
export interface TuningRecord {
  readonly key: string;
  readonly chosen: string;
  readonly method: Timing['method'];
  readonly candidates: readonly TunedCandidate[];
}

interface DeviceTuning {
  readonly choices: Map<string, Promise<unknown>>;
  readonly records: TuningRecord[];
}

const tunings = new WeakMap<GPUDevice, DeviceTuning>();

function tuningOf(gpu: Gpu): DeviceTuning {
  let t = tunings.get(gpu.device);
  if (!t) {
    t = { choices: new Map(), records: [] };
    tunings.set(gpu.device, t);
  }
  return t;
}

export interface TuneRequest<T extends { readonly name: string }> {
  /** What the choice depends on, e.g. the product and its size class. */
  readonly key: string;
  readonly candidates: readonly T[];
  /** The launches that one run of a candidate takes, on scratch tensors it may write. */
  launches(candidate: T): Promise<Launch[]>;
  /** Runs per measurement, after one warm-up run. */
  readonly reps: number;
  /** Releases the scratch tensors once every candidate is timed. */
  done?(): void;
}

/**
 * The fastest candidate for `key` on this device: each is built and timed once, at the first
 * request, and the winner is kept for the device's lifetime (concurrent requests share the
 * timing). A candidate that fails to compile or run is skipped; if all fail, the first wins.
 */
export function fastest<T extends { readonly name: string }>(gpu: Gpu, request: TuneRequest<T>): Promise<T> {
  const tuning = tuningOf(gpu);
  let choice = tuning.choices.get(request.key) as Promise<T> | undefined;
  if (!choice) {
    choice = timeCandidates(gpu, request, tuning.records);
    tuning.choices.set(request.key, choice);
  }
  return choice;
}

async function timeCandidates<T extends { readonly name: string }>(gpu: Gpu, request: TuneRequest<T>, records: TuningRecord[]): Promise<T> {
  const timed: TunedCandidate[] = [];
  let best: { candidate: T; ms: number } | null = null;
  let method: Timing['method'] = gpu.timestamps ? 'timestamp' : 'wall';
  try {
    for (const candidate of request.candidates) {
      let launches: Launch[] = [];
      try {
        launches = await request.launches(candidate);
        const timing = await timeLaunches(gpu, launches, request.reps);
        method = timing.method;
        timed.push({ name: candidate.name, ms: timing.ms });
        if (!best || timing.ms < best.ms) best = { candidate, ms: timing.ms };
      } catch (error) {
        timed.push({ name: candidate.name, ms: null, error: error instanceof Error ? error.message : String(error) });
      } finally {
        releaseLaunches(launches);
      }
    }
  } finally {
    request.done?.();
  }
  const chosen = best?.candidate ?? request.candidates[0];
  records.push({ key: request.key, chosen: chosen.name, method, candidates: timed });
  return chosen;
}

/** Every choice the tuner has made on this device so far, in order. */
export function tuningRecords(gpu: Gpu): readonly TuningRecord[] {
  return tuningOf(gpu).records;
}
