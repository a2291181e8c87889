import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cover, decode } from '../image/raster.js';
import { EngineError } from '../api/errors.js';
import { MAX_BYTES, MAX_PIXELS } from '../image/decode.js';

export interface ImageFolder {
  /** N × res × res × 3 RGB bytes. */
  images: Uint8Array;
  count: number;
  resolution: number;
  /** Files that were not used, each with the reason, so the user can see what was left out. */
  skipped: { file: string; reason: string }[];
}

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

/**
 * The dataset tool: every readable image under `dir`, centre-cropped to a square, resized to the model's
 * resolution, alpha flattened onto white. Anything else (text files, corrupt or huge images) is skipped and
 * listed; a folder with no usable image is refused.
 */
export async function loadImageFolder(dir: string, resolution: number, onFile?: (done: number) => void): Promise<ImageFolder> {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new EngineError('not_found', `training folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new EngineError('bad_request', `${dir} is not a folder`);
  const chunks: Buffer[] = [];
  const skipped: ImageFolder['skipped'] = [];
  let done = 0;
  for (const file of files(dir)) {
    const name = relative(dir, file);
    try {
      if (statSync(file).size > MAX_BYTES) throw new Error(`larger than ${MAX_BYTES >> 20} MiB`);
      const img = await decode(readFileSync(file), { name, channels: 3, background: '#ffffff' });
      chunks.push(Buffer.from((await cover(img, resolution, resolution)).data));
    } catch (err) {
      skipped.push({ file: name, reason: (err as Error).message.split('\n')[0]! });
    }
    onFile?.(++done);
  }
  if (chunks.length === 0) {
    throw new EngineError('bad_request', `${dir} has no image Ganvas can train on (${skipped.length} file(s) skipped${skipped[0] ? `, e.g. ${skipped[0].file}: ${skipped[0].reason}` : ''})`);
  }
  return { images: new Uint8Array(Buffer.concat(chunks)), count: chunks.length, resolution, skipped };
}
