/**
 * The one pixel module (docs/ARCHITECTURE.md, "engine/image"): every decode, encode, resize, crop and channel
 * conversion in the engine goes through here. A Raster carries its size and channel count, and every function
 * checks the buffer length it is given and returns, so a 1-channel mask can never be read as RGB again (sharp
 * turns a resized 1-channel raw buffer into 3 channels unless told otherwise: the bug behind issue 10).
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { EngineError } from '../api/errors.js';

/** Larger than any camera; bigger inputs are refused before they are decoded. */
export const MAX_PIXELS = 120_000_000;
export const MAX_BYTES = 400 * 1024 * 1024;

export type Channels = 1 | 3 | 4;

/** Interleaved 8-bit pixels, row-major: data.length === width × height × channels. */
export interface Raster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: Channels;
}

/** Builds a raster, refusing a buffer whose length does not match its declared size. */
export function raster(data: Uint8Array, width: number, height: number, channels: Channels): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`raster: bad size ${width}×${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(`raster: ${data.length} bytes for ${width}×${height}×${channels} (expected ${width * height * channels})`);
  }
  return { data, width, height, channels };
}

export function blank(width: number, height: number, channels: Channels): Raster {
  return raster(new Uint8Array(width * height * channels), width, height, channels);
}

const bytes = (buf: Buffer) => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);

function input(r: Raster): Sharp {
  raster(r.data, r.width, r.height, r.channels);
  return sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels }, limitInputPixels: MAX_PIXELS });
}

/** Runs a sharp pipeline to raw pixels and checks that what came back has the channel count asked for. */
async function toRaster(s: Sharp, channels: Channels): Promise<Raster> {
  const shaped = channels === 1 ? s.toColourspace('b-w') : channels === 3 ? s.removeAlpha() : s.ensureAlpha();
  const { data, info } = await shaped.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`raster: sharp returned ${info.channels} channels where ${channels} were asked for`);
  return raster(bytes(data), info.width, info.height, channels);
}

/** The formats `decode` accepts, as sharp names them (AVIF and HEIC are 'heif'). */
const READABLE = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);

export interface DecodeOptions {
  /** What the user calls the file, for messages. */
  name?: string;
  channels: Channels;
  /** Colour under transparent pixels when alpha is dropped (masks: black = keep). */
  background?: string;
}

/**
 * Any image file sharp reads → 8-bit sRGB pixels with EXIF orientation applied. Size limits are checked from
 * the header first, so a 30000×30000 file is refused as too large rather than as unreadable.
 */
export async function decode(file: Uint8Array, opts: DecodeOptions): Promise<Raster> {
  const name = opts.name ?? 'the image';
  if (file.byteLength === 0) throw new EngineError('bad_image', `${name} is empty`);
  if (file.byteLength > MAX_BYTES) throw new EngineError('bad_image', `${name} is larger than ${MAX_BYTES >> 20} MiB`);
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch {
    throw new EngineError('bad_image', `${name} is not an image Ganvas can read (PNG, JPEG, WebP, GIF, TIFF, AVIF)`);
  }
  // Raster formats only: an SVG or PDF is a program for librsvg/poppler that may reference other files.
  if (!READABLE.has(meta.format ?? '')) throw new EngineError('bad_image', `${name} is ${meta.format?.toUpperCase() ?? 'not an image'}: Ganvas reads PNG, JPEG, WebP, GIF, TIFF and AVIF`);
  if (!meta.width || !meta.height) throw new EngineError('bad_image', `${name} has no pixel size`);
  if (meta.width * meta.height > MAX_PIXELS) {
    throw new EngineError('bad_image', `${name} is ${meta.width}×${meta.height}, over the ${MAX_PIXELS / 1e6} MP limit`);
  }
  try {
    let s = sharp(file, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' }).autoOrient().toColourspace('srgb');
    if (opts.channels !== 4) s = s.flatten({ background: opts.background ?? '#ffffff' });
    if (opts.channels === 1) s = s.greyscale();
    return await toRaster(s, opts.channels);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new EngineError('bad_image', `${name} could not be decoded (${why}); is it truncated or corrupt?`);
  }
}

/** Header only: the size a file will decode to (after EXIF rotation), without decoding its pixels. */
export async function probeSize(file: Uint8Array): Promise<{ width: number; height: number }> {
  const meta = await sharp(file, { limitInputPixels: false }).metadata();
  const turned = (meta.orientation ?? 1) >= 5;
  return { width: turned ? meta.height! : meta.width!, height: turned ? meta.width! : meta.height! };
}

export type Format = 'png' | 'jpeg' | 'webp';

/** Pixels → a file; JPEG has no alpha, so it is flattened on white. */
export async function encode(r: Raster, format: Format = 'png', quality = 95): Promise<Uint8Array> {
  const s = input(r);
  const out = format === 'jpeg' ? s.flatten({ background: '#ffffff' }).jpeg({ quality })
    : format === 'webp' ? s.webp({ lossless: true })
      : s.png({ compressionLevel: 6 });
  return bytes(await out.toBuffer());
}

export const formatOf = (path: string): Format => (/\.jpe?g$/i.test(path) ? 'jpeg' : /\.webp$/i.test(path) ? 'webp' : 'png');

export type Kernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/** Resamples to exactly width × height, keeping the channel count. */
export async function resize(r: Raster, width: number, height: number, kernel: Kernel = 'cubic'): Promise<Raster> {
  if (r.width === width && r.height === height) return r;
  return toRaster(input(r).resize(width, height, { fit: 'fill', kernel }), r.channels);
}

/** Scales down (never up) to fit inside maxSide × maxSide, keeping the aspect. */
export async function fitInside(r: Raster, maxSide: number): Promise<Raster> {
  if (Math.max(r.width, r.height) <= maxSide) return r;
  return toRaster(input(r).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }), r.channels);
}

/** Scales to cover width × height and crops the centre (the "cover" fit). */
export async function cover(r: Raster, width: number, height: number): Promise<Raster> {
  return toRaster(input(r).resize(width, height, { fit: 'cover' }), r.channels);
}

/** Drops, adds (opaque) or averages channels. */
export function toChannels(r: Raster, channels: Channels): Raster {
  if (r.channels === channels) return r;
  const n = r.width * r.height;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const s = i * r.channels, d = i * channels;
    if (channels === 1) {
      out[d] = r.channels === 1 ? r.data[s]! : Math.round(0.2126 * r.data[s]! + 0.7152 * r.data[s + 1]! + 0.0722 * r.data[s + 2]!);
    } else {
      for (let c = 0; c < 3; c++) out[d + c] = r.data[s + (r.channels === 1 ? 0 : c)]!;
      if (channels === 4) out[d + 3] = r.channels === 4 ? r.data[s + 3]! : 255;
    }
  }
  return raster(out, r.width, r.height, channels);
}

export interface Rect { x: number; y: number; width: number; height: number }

/** A copy of a rectangle that lies inside the raster. */
export function crop(r: Raster, rect: Rect): Raster {
  if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > r.width || rect.y + rect.height > r.height) {
    throw new Error(`raster: crop ${rect.width}×${rect.height}+${rect.x}+${rect.y} outside ${r.width}×${r.height}`);
  }
  const out = new Uint8Array(rect.width * rect.height * r.channels);
  const row = rect.width * r.channels;
  for (let y = 0; y < rect.height; y++) {
    const s = ((rect.y + y) * r.width + rect.x) * r.channels;
    out.set(r.data.subarray(s, s + row), y * row);
  }
  return raster(out, rect.width, rect.height, r.channels);
}

/** A composite of tiles on a background: sample grids, mixing grids, model-card sheets. */
export async function mosaic(width: number, height: number, tiles: { r: Raster; x: number; y: number }[], background = '#ffffff'): Promise<Raster> {
  const base = sharp({ create: { width, height, channels: 4, background } });
  const overlay = tiles.map((t) => ({ input: Buffer.from(t.r.data.buffer, t.r.data.byteOffset, t.r.data.byteLength), raw: { width: t.r.width, height: t.r.height, channels: t.r.channels }, left: t.x, top: t.y }));
  const png = await base.composite(overlay).png().toBuffer();
  return toRaster(sharp(png), 4);
}
