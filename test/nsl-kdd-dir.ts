import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding NSL-KDD's KDDTrain+.txt and KDDTest+.txt: `NETAE_NSL_KDD` when set, else
 * `../shared/data/nsl-kdd` beside the repository. Tests that need it skip, saying why, when it
 * lacks them.
 */
export const NSL_KDD_DIR = process.env.NETAE_NSL_KDD ?? fileURLToPath(new URL('../../shared/data/nsl-kdd/', import.meta.url));

export const nslKddPresent = existsSync(join(NSL_KDD_DIR, 'KDDTrain+.txt')) && existsSync(join(NSL_KDD_DIR, 'KDDTest+.txt'));

/** The reason a test that needs NSL-KDD is skipped. */
export const nslKddMissing = `no KDDTrain+.txt / KDDTest+.txt in ${NSL_KDD_DIR} (set NETAE_NSL_KDD to the folder that holds them)`;
