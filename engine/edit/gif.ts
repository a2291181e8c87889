import * as gifencModule from 'gifenc';

// gifenc is CommonJS under Node and ESM under bundlers/vitest: take its functions from wherever they are.
const gifenc = 'GIFEncoder' in gifencModule && typeof gifencModule.GIFEncoder === 'function'
  ? gifencModule
  : (gifencModule as unknown as { default: typeof gifencModule }).default;

/** Frames (RGBA, all the same size) → an animated, looping GIF with one palette per frame. */
export function encodeGif(frames: Uint8Array[], width: number, height: number, delayMs: number): Uint8Array {
  const gif = gifenc.GIFEncoder();
  for (const rgba of frames) {
    const palette = gifenc.quantize(rgba, 256);
    gif.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { palette, delay: delayMs, repeat: 0 });
  }
  gif.finish();
  return gif.bytes();
}
