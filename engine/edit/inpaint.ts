import sharp, { type OutputInfo } from 'sharp';
import { EngineError } from '../api/errors.js';
import type { Session } from '../runtime/onnx.js';
import { contextCrops, featherInside, holeRegions, type Box } from './mask-regions.js';

export interface InpaintParams {
  /** Context around each hole, as a share of the hole's size on each side. */
  margin: number;
  /** Width in px of the blend inside the hole's edge. */
  feather: number;
}
export const defaultInpaintParams: InpaintParams = { margin: 0.5, feather: 6 };

export interface Raster { data: Uint8Array; width: number; height: number } // RGBA

async function resizeRaw(data: Uint8Array, w: number, h: number, channels: 1 | 3, tw: number, th: number): Promise<Uint8Array> {
  if (w === tw && h === th) return data;
  const buf = await sharp(data, { raw: { width: w, height: h, channels } }).resize(tw, th, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Runs the inpainter on one crop at the model's size and returns the fill at the crop's size (RGB). */
async function fillCrop(img: Raster, mask: Uint8Array, crop: Box, session: Session, size: number): Promise<{ rgb: Uint8Array; hole: Uint8Array }> {
  const w = crop.x1 - crop.x0, h = crop.y1 - crop.y0;
  const rgb = new Uint8Array(w * h * 3), hole = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const s = ((crop.y0 + y) * img.width + crop.x0 + x);
    rgb.set(img.data.subarray(s * 4, s * 4 + 3), (y * w + x) * 3);
    hole[y * w + x] = mask[s] ? 255 : 0;
  }
  const small = await resizeRaw(rgb, w, h, 3, size, size);
  // Any trace of the hole after resampling stays a hole, so no masked pixel is left unseen by the model.
  const smallHole = await resizeRaw(hole, w, h, 1, size, size);
  const image = new Float32Array(3 * size * size), m = new Float32Array(size * size);
  for (let i = 0; i < size * size; i++) {
    m[i] = smallHole[i]! > 0 ? 1 : 0;
    for (let c = 0; c < 3; c++) image[c * size * size + i] = small[i * 3 + c]! / 127.5 - 1;
  }
  const out = await session.run({ image: { data: image, dims: [1, 3, size, size] }, mask: { data: m, dims: [1, 1, size, size] } });
  const result = Object.values(out)[0]!.data;
  const fill = new Uint8Array(3 * size * size);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) {
    fill[i * 3 + c] = Math.max(0, Math.min(255, Math.round((result[c * size * size + i]! + 1) * 127.5)));
  }
  return { rgb: await resizeRaw(fill, size, size, 3, w, h), hole };
}

/**
 * Fills the holes of `mask` (non-zero = fill; same size as the image) with the inpainter, one context crop per
 * group of nearby holes, resized to the model's size and back, and blended with a feather that stays inside
 * the hole: every pixel outside the mask keeps its exact value, and alpha is never changed.
 */
export async function inpaintRaster(img: Raster, mask: Uint8Array, session: Session, modelSize: number, params: InpaintParams = defaultInpaintParams, onRegion?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
  if (mask.length !== img.width * img.height) throw new EngineError('bad_request', `the mask is ${mask.length} px but the image is ${img.width}×${img.height}`);
  const crops = contextCrops(holeRegions(mask, img.width, img.height), img.width, img.height, params.margin);
  if (crops.length === 0) throw new EngineError('bad_request', 'the mask is empty: paint over what should be filled, then inpaint');
  const out = new Uint8Array(img.data);
  onRegion?.(0, crops.length);
  for (const [i, crop] of crops.entries()) {
    if (signal?.aborted) throw new EngineError('cancelled', 'inpainting was cancelled');
    const { rgb, hole } = await fillCrop(img, mask, crop, session, modelSize);
    const w = crop.x1 - crop.x0, h = crop.y1 - crop.y0;
    const alpha = featherInside(hole, w, h, params.feather);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const a = alpha[y * w + x]!;
      if (a === 0) continue;
      const d = ((crop.y0 + y) * img.width + crop.x0 + x) * 4;
      for (let c = 0; c < 3; c++) out[d + c] = Math.round(img.data[d + c]! * (1 - a) + rgb[(y * w + x) * 3 + c]! * a);
    }
    onRegion?.(i + 1, crops.length);
  }
  return out;
}

/** A mask image (any format sharp reads) → one byte per pixel, 1 where it is light (white = fill). */
export async function decodeMask(bytes: Uint8Array, width: number, height: number, what = 'mask'): Promise<Uint8Array> {
  let data: Buffer, info: OutputInfo;
  try {
    ({ data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: 120_000_000 }).autoOrient().flatten({ background: '#000000' }).greyscale().raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw new EngineError('bad_image', `${what} is not an image Ganvas can read (${(err as Error).message.split('\n')[0]})`);
  }
  if (info.width !== width || info.height !== height) {
    throw new EngineError('bad_request', `${what} is ${info.width}×${info.height} but the image is ${width}×${height}; a mask must match its image`);
  }
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i * info.channels]! >= 128 ? 1 : 0;
  return mask;
}

/** One byte per pixel (non-zero = fill) → a greyscale PNG, white = fill. */
export async function encodeMaskPng(mask: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const grey = Uint8Array.from(mask, (v) => (v ? 255 : 0));
  const buf = await sharp(grey, { raw: { width, height, channels: 1 } }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
