/**
 * Object removal: fills the painted holes of an RGBA raster with an inpainter, one context crop per group of
 * nearby holes (ARCHITECTURE.md, "Inpainting pipeline").
 *
 * Per crop: the crop runs at its own aspect and scale, scaled down only to the model's cap; the model gets
 * exactly the painted hole at that size (a working pixel is hole if any photo pixel under it is); the fill is
 * scaled back and pasted. Every hole pixel takes the fill outright, so nothing of the removed object survives;
 * the seam is blended *outside* the hole, over a band `feather` px wide where the fill's weight falls from 1 to
 * 0 with the Euclidean distance to the hole (IOPaint and MI-GAN grow the mask the same way). Beyond the band
 * every pixel keeps its exact value, and alpha is never changed.
 */
import { EngineError } from '../api/errors.js';
import { crop as cropRaster, decode, encode, raster, resize, toChannels, type Raster } from '../image/raster.js';
import { workingSize, type InpaintModel } from './inpaint-model.js';
import { contextCrops, distanceToMaskWithin, holeRegions, type Box } from './mask-regions.js';
import { upsample } from './pyramid-fill.js';

export interface InpaintParams {
  /** Context around each hole, as a share of the hole's larger side, on each side. */
  margin: number;
  /** Width in px of the blend band outside the hole (0–8): the hole is grown by this much. */
  feather: number;
}
export const MAX_FEATHER = 8;
export const defaultInpaintParams: InpaintParams = { margin: 0.5, feather: 4 };

/** The hole at the working size: a working pixel is hole if any photo pixel under its footprint is. */
export function holeAtSize(hole: Raster, width: number, height: number): Raster {
  if (hole.width === width && hole.height === height) return hole;
  const out = new Uint8Array(width * height);
  const sx = hole.width / width, sy = hole.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy), y1 = Math.max(y0 + 1, Math.ceil((y + 1) * sy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx), x1 = Math.max(x0 + 1, Math.ceil((x + 1) * sx));
      let any = 0;
      for (let yy = y0; yy < Math.min(y1, hole.height) && !any; yy++) {
        for (let xx = x0; xx < Math.min(x1, hole.width); xx++) if (hole.data[yy * hole.width + xx]) { any = 255; break; }
      }
      out[y * width + x] = any;
    }
  }
  return raster(out, width, height, 1);
}

/** Blend weight of the fill at each pixel of a crop: 1 in the hole, falling linearly to 0 at `feather` px outside. */
export function blendWeights(hole: Raster, feather: number): Float32Array {
  const f = Math.min(MAX_FEATHER, Math.max(0, feather));
  const d = distanceToMaskWithin(hole.data, hole.width, hole.height, f);
  return Float32Array.from(d, (v) => (v === 0 ? 1 : f > 0 ? Math.max(0, 1 - v / f) : 0));
}

/**
 * For a net that refines a classical fill and ran scaled down: the classical fill at the crop's own resolution
 * (sharp where the hole is thin) plus the net's correction (its fill minus the classical fill it was given),
 * bilinearly upsampled. An identity net thus returns the full-resolution classical fill exactly.
 */
export function withCorrection(base: Raster, net: Raster, guess: Raster): Raster {
  const n = net.width * net.height * 3;
  const correction = new Float32Array(n);
  for (let i = 0; i < n; i++) correction[i] = net.data[i]! - guess.data[i]!;
  const up = upsample(correction, net.width, net.height, base.width, base.height, 3);
  return raster(Uint8Array.from(base.data, (v, i) => Math.max(0, Math.min(255, Math.round(v + up[i]!)))), base.width, base.height, 3);
}

/**
 * Grows a crop around its centre to the size `target` asks for, as far as the image allows: to the net's size
 * multiple (a crop at scale 1 is then never resampled), or to a square for models that run at one square size
 * (then it is scaled, not squashed).
 */
export function growCrop(b: Box, target: (w: number, h: number) => [number, number], width: number, height: number): Box {
  const [tw, th] = target(b.x1 - b.x0, b.y1 - b.y0);
  const fit = (lo: number, hi: number, want: number, limit: number): [number, number] => {
    const size = Math.min(limit, want);
    const start = Math.max(0, Math.min(lo - Math.floor((size - (hi - lo)) / 2), limit - size));
    return [start, start + size];
  };
  const [x0, x1] = fit(b.x0, b.x1, tw, width);
  const [y0, y1] = fit(b.y0, b.y1, th, height);
  return { x0, y0, x1, y1 };
}

/**
 * Fills the holes of `mask` (non-zero = fill; one byte per pixel of `img`) and returns new RGBA pixels.
 * `onRegion(done, total)` reports progress per crop.
 */
export async function inpaintRaster(img: Raster, mask: Uint8Array, model: InpaintModel, params: InpaintParams = defaultInpaintParams, onRegion?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
  if (img.channels !== 4) throw new Error(`inpaintRaster: needs RGBA, got ${img.channels} channels`);
  if (mask.length !== img.width * img.height) throw new EngineError('bad_request', `the mask is ${mask.length} px but the image is ${img.width}×${img.height}`);
  const feather = Math.min(MAX_FEATHER, Math.max(0, Math.round(params.feather)));
  const boxes = holeRegions(mask, img.width, img.height);
  if (boxes.length === 0) throw new EngineError('bad_request', 'the mask is empty: paint over what should be filled, then inpaint');
  const crops = contextCrops(boxes, img.width, img.height, params.margin, feather)
    .map((c) => growCrop(c, model.sizing.fixed ? (w, h) => [Math.max(w, h), Math.max(w, h)]
      : (w, h) => [Math.ceil(w / model.sizing.multiple) * model.sizing.multiple, Math.ceil(h / model.sizing.multiple) * model.sizing.multiple], img.width, img.height));
  const out = new Uint8Array(img.data);
  const rgb = toChannels(img, 3);
  const holeAll = raster(Uint8Array.from(mask, (v) => (v ? 255 : 0)), img.width, img.height, 1);
  onRegion?.(0, crops.length);
  for (const [i, c] of crops.entries()) {
    if (signal?.aborted) throw new EngineError('cancelled', 'inpainting was cancelled');
    const rect = { x: c.x0, y: c.y0, width: c.x1 - c.x0, height: c.y1 - c.y0 };
    const photo = cropRaster(rgb, rect), hole = cropRaster(holeAll, rect);
    const size = workingSize(rect.width, rect.height, model.sizing);
    const seen = await resize(photo, size.width, size.height, 'cubic'), holeSeen = holeAtSize(hole, size.width, size.height);
    // A net that refines a classical fill is handed the crop with that fill in its hole, computed once here.
    const guess = model.prefill ? model.prefill(seen, holeSeen) : seen;
    const small = await model.fill(guess, holeSeen);
    const scaled = size.width !== rect.width || size.height !== rect.height;
    const fill = model.prefill && scaled ? withCorrection(model.prefill(photo, hole), small, guess)
      : await resize(small, rect.width, rect.height, 'cubic');
    const alpha = blendWeights(hole, feather);
    for (let y = 0; y < rect.height; y++) for (let x = 0; x < rect.width; x++) {
      const a = alpha[y * rect.width + x]!;
      if (a === 0) continue;
      const s = (y * rect.width + x) * 3, d = ((rect.y + y) * img.width + rect.x + x) * 4;
      for (let ch = 0; ch < 3; ch++) out[d + ch] = a === 1 ? fill.data[s + ch]! : Math.round(img.data[d + ch]! * (1 - a) + fill.data[s + ch]! * a);
    }
    onRegion?.(i + 1, crops.length);
  }
  return out;
}

/** A mask image (any format the raster module reads) → one byte per pixel, 1 where it is light (white = fill). */
export async function decodeMask(bytes: Uint8Array, width: number, height: number, what = 'mask'): Promise<Uint8Array> {
  const grey = await decode(bytes, { name: what, channels: 1, background: '#000000' });
  if (grey.width !== width || grey.height !== height) {
    throw new EngineError('bad_request', `${what} is ${grey.width}×${grey.height} but the image is ${width}×${height}; a mask must match its image`);
  }
  return Uint8Array.from(grey.data, (v) => (v >= 128 ? 1 : 0));
}

/** One byte per pixel (non-zero = fill) → a greyscale PNG, white = fill. */
export async function encodeMaskPng(mask: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return encode(raster(Uint8Array.from(mask, (v) => (v ? 255 : 0)), width, height, 1), 'png');
}
