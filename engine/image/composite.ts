import { decode, encode, raster, type Raster } from './raster.js';
import type { Layer } from '../api/schemas.js';

export interface RasterSource {
  rgba(assetHash: string): Promise<{ data: Uint8Array; width: number; height: number }>;
}

/**
 * Source-over compositing of visible layers, bottom to top, clipped to the document. Done on raw RGBA rather
 * than with sharp's composite because layers may hang off any edge of the document.
 */
export async function compositeLayers(
  width: number,
  height: number,
  layers: readonly Layer[],
  source: RasterSource,
): Promise<Uint8Array> {
  const out = new Float32Array(width * height * 4); // premultiplied
  for (const layer of layers) {
    if (!layer.visible || layer.opacity === 0) continue;
    const img = await source.rgba(layer.assetHash);
    const lx = Math.round(layer.x);
    const ly = Math.round(layer.y);
    const x0 = Math.max(0, lx), y0 = Math.max(0, ly);
    const x1 = Math.min(width, lx + img.width), y1 = Math.min(height, ly + img.height);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const s = ((y - ly) * img.width + (x - lx)) * 4;
        const d = (y * width + x) * 4;
        const a = (img.data[s + 3]! / 255) * layer.opacity;
        const keep = 1 - a;
        out[d] = img.data[s]! / 255 * a + out[d]! * keep;
        out[d + 1] = img.data[s + 1]! / 255 * a + out[d + 1]! * keep;
        out[d + 2] = img.data[s + 2]! / 255 * a + out[d + 2]! * keep;
        out[d + 3] = a + out[d + 3]! * keep;
      }
    }
  }
  const bytes = new Uint8Array(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    const a = out[i + 3]!;
    if (a <= 0) continue;
    bytes[i] = Math.round((out[i]! / a) * 255);
    bytes[i + 1] = Math.round((out[i + 1]! / a) * 255);
    bytes[i + 2] = Math.round((out[i + 2]! / a) * 255);
    bytes[i + 3] = Math.round(a * 255);
  }
  return bytes;
}

export async function encodePng(rgba: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return encode(raster(rgba, width, height, 4), 'png');
}

export async function decodeRgba(png: Uint8Array): Promise<Raster> {
  return decode(png, { channels: 4 });
}

/**
 * Whether an encoded image holds exactly these RGBA pixels: the one test of "re-rendered identically" (decoded
 * pixels, not file bytes, since two PNG encoders may write the same pixels differently).
 */
export async function holdsPixels(encoded: Uint8Array, rgba: Uint8Array): Promise<boolean> {
  const stored = await decodeRgba(encoded);
  return stored.data.length === rgba.length && Buffer.from(stored.data.buffer, stored.data.byteOffset, stored.data.byteLength).equals(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength));
}
