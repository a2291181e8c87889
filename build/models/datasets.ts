/**
 * Writes the training data for the shipped models into build/.cache (not committed; rebuilt by this script):
 * - faces64.u8: N DiceBear pixel-art faces (CC0), 64×64 RGB, rendered from seeds face-0 … face-(N-1);
 * - photos/*.rgb + photos.json: the Debian wallpaper photos used for training the inpainter, downscaled so the
 *   short side is 512 px; photos listed in HELD_OUT are kept out for the inpainting quality bench.
 *
 * Usage: tsx build/models/datasets.ts [--faces N] [--photos-only]
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAvatar } from '@dicebear/core';
import { pixelArt } from '@dicebear/collection';
import sharp from 'sharp';
import { photoSources } from './photo-sources.js';

const cache = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache');

async function faces(n: number): Promise<void> {
  const out = Buffer.alloc(n * 64 * 64 * 3);
  for (let i = 0; i < n; i++) {
    const svg = createAvatar(pixelArt, { seed: `face-${i}`, size: 64 }).toString();
    const { data } = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).resize(64, 64, { kernel: 'nearest' })
      .removeAlpha().raw().toBuffer({ resolveWithObject: true });
    data.copy(out, i * 64 * 64 * 3);
  }
  writeFileSync(join(cache, 'faces64.u8'), out);
  console.log(`faces64.u8: ${n} faces`);
}

async function photos(): Promise<void> {
  const dir = join(cache, 'photos');
  mkdirSync(dir, { recursive: true });
  const index: { name: string; file: string; width: number; height: number; licence: string }[] = [];
  for (const src of photoSources().filter((p) => !p.heldOut)) {
    const name = src.name;
    const { data, info } = await sharp(src.path).rotate().resize({ width: 512, height: 512, fit: 'outside' })
      .removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    writeFileSync(join(dir, `${name}.rgb`), data);
    index.push({ name, file: `${name}.rgb`, width: info.width, height: info.height, licence: src.licence });
  }
  writeFileSync(join(cache, 'photos.json'), JSON.stringify(index, null, 1));
  console.log(`photos: ${index.length} training photos (${photoSources().filter((p) => p.heldOut).length} held out)`);
}

mkdirSync(cache, { recursive: true });
const nFaces = Number(process.argv[process.argv.indexOf('--faces') + 1]) || 16384;
if (!process.argv.includes('--photos-only') && (!existsSync(join(cache, 'faces64.u8')) || process.argv.includes('--force'))) await faces(nFaces);
await photos();
void basename;
