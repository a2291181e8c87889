import sharp, { type Metadata } from 'sharp';
import { EngineError } from '../api/errors.js';

/** Larger than any camera; bigger inputs are refused before they are decoded. */
export const MAX_PIXELS = 120_000_000;
export const MAX_BYTES = 400 * 1024 * 1024;

export interface DecodedImage {
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * Turns whatever the user dropped into the one form the store keeps: 8-bit sRGB RGBA PNG, EXIF orientation
 * applied. Decodes the whole image (not just the header) so a truncated file is refused here, before it
 * becomes an edit.
 */
export async function normaliseImage(bytes: Uint8Array, name: string): Promise<DecodedImage> {
  if (bytes.byteLength === 0) throw new EngineError('bad_image', `${name} is empty`);
  if (bytes.byteLength > MAX_BYTES) throw new EngineError('bad_image', `${name} is larger than ${MAX_BYTES >> 20} MiB`);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch {
    throw new EngineError('bad_image', `${name} is not an image Ganvas can read (PNG, JPEG, WebP, GIF, TIFF, AVIF)`);
  }
  if (!meta.width || !meta.height) throw new EngineError('bad_image', `${name} has no pixel size`);
  if (meta.width * meta.height > MAX_PIXELS) {
    throw new EngineError('bad_image', `${name} is ${meta.width}×${meta.height}, over the ${MAX_PIXELS / 1e6} MP limit`);
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' })
      .autoOrient()
      .toColourspace('srgb')
      .ensureAlpha()
      .png({ compressionLevel: 6 })
      .toBuffer({ resolveWithObject: true });
    return { png: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new EngineError('bad_image', `${name} could not be decoded (${why}); is it truncated or corrupt?`);
  }
}
