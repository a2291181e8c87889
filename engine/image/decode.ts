import { decode, encode, MAX_BYTES, MAX_PIXELS } from './raster.js';

export { MAX_BYTES, MAX_PIXELS };

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
  const rgba = await decode(bytes, { name, channels: 4 });
  return { png: await encode(rgba, 'png'), width: rgba.width, height: rgba.height };
}
