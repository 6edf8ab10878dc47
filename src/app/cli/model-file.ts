import { readFile } from 'node:fs/promises';
import { decodeModel, type Model } from '../../model/model';
import { detectorOf, type Detector } from '../detector';

/** Reads and checks a model file written by `netae train`; every error names the file. */
export async function readDetector(path: string): Promise<Detector> {
  const bytes = new Uint8Array(await readFile(path));
  const model: Model = decodeModel(bytes, { source: path });
  return detectorOf(model, path);
}
