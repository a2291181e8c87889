import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { EngineError } from '../api/errors.js';
import { MAX_PIXELS } from '../image/decode.js';
import type { Session } from '../runtime/onnx.js';
import { decodeMask, inpaintRaster, type InpaintParams } from './inpaint.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|avif)$/i;

/**
 * The command line's inpaint: an image file and a mask file (white = fill) to an output file whose format
 * follows its extension. EXIF rotation is applied to both; grey, 16-bit and CMYK inputs become 8-bit sRGB.
 */
export async function inpaintFile(imagePath: string, maskPath: string, outPath: string, model: { session: Session; size: number }, params: InpaintParams, onRegion?: (done: number, total: number) => void): Promise<{ width: number; height: number }> {
  let data: Buffer, width: number, height: number;
  try {
    const r = await sharp(readFileSync(imagePath), { limitInputPixels: MAX_PIXELS, failOn: 'truncated' }).autoOrient().toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    ({ data } = r);
    ({ width, height } = r.info);
  } catch (err) {
    throw new EngineError('bad_image', `${basename(imagePath)} could not be read (${(err as Error).message.split('\n')[0]})`);
  }
  const mask = await decodeMask(readFileSync(maskPath), width, height, basename(maskPath));
  const out = await inpaintRaster({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height }, mask, model.session, model.size, params, onRegion);
  const img = sharp(out, { raw: { width, height, channels: 4 } });
  const ext = extname(outPath).toLowerCase();
  const encoded = ext === '.jpg' || ext === '.jpeg' ? img.flatten({ background: '#ffffff' }).jpeg({ quality: 95 }) : ext === '.webp' ? img.webp({ lossless: true }) : img.png();
  writeFileSync(outPath, await encoded.toBuffer());
  return { width, height };
}

/** Pairs the images of a folder with the masks of another by file name without extension. */
export function pairFolder(imageDir: string, maskDir: string): { image: string; mask: string | null; name: string }[] {
  const masks = new Map(readdirSync(maskDir).filter((f) => IMAGE_EXT.test(f)).map((f) => [basename(f, extname(f)), join(maskDir, f)]));
  return readdirSync(imageDir)
    .filter((f) => IMAGE_EXT.test(f) && statSync(join(imageDir, f)).isFile())
    .sort()
    .map((f) => ({ image: join(imageDir, f), mask: masks.get(basename(f, extname(f))) ?? null, name: f }));
}
