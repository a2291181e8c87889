import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { decode, encode, formatOf } from '../image/raster.js';
import { decodeMask, inpaintRaster, type InpaintParams } from './inpaint.js';
import type { InpaintModel } from './inpaint-model.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|avif)$/i;

/**
 * The command line's inpaint: an image file and a mask file (white = fill) to an output file whose format
 * follows its extension. EXIF rotation is applied to both; grey, 16-bit and CMYK inputs become 8-bit sRGB.
 * The output is written to a temporary file and renamed, so a killed run never leaves a half-written file.
 */
export async function inpaintFile(imagePath: string, maskPath: string, outPath: string, model: InpaintModel, params: InpaintParams, onRegion?: (done: number, total: number) => void): Promise<{ width: number; height: number }> {
  const img = await decode(readFileSync(imagePath), { name: basename(imagePath), channels: 4 });
  const mask = await decodeMask(readFileSync(maskPath), img.width, img.height, basename(maskPath));
  const out = await inpaintRaster(img, mask, model, params, onRegion);
  const bytes = await encode({ ...img, data: out }, formatOf(outPath));
  const tmp = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, outPath);
  return { width: img.width, height: img.height };
}

/** Pairs the images of a folder with the masks of another by file name without extension. */
export function pairFolder(imageDir: string, maskDir: string): { image: string; mask: string | null; name: string }[] {
  const masks = new Map(readdirSync(maskDir).filter((f) => IMAGE_EXT.test(f)).map((f) => [basename(f, extname(f)), join(maskDir, f)]));
  return readdirSync(imageDir)
    .filter((f) => IMAGE_EXT.test(f) && statSync(join(imageDir, f)).isFile())
    .sort()
    .map((f) => ({ image: join(imageDir, f), mask: masks.get(basename(f, extname(f))) ?? null, name: f }));
}
