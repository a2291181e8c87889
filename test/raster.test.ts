import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crop, decode, encode, raster, resize, toChannels } from '../engine/image/raster.js';

/** A real 2×2 PNG whose header is rewritten to claim width × height (its CRC fixed): no pixels to match. */
async function pngClaiming(width: number, height: number): Promise<Uint8Array> {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Uint8Array) => { let c = 0xffffffff; for (const v of b) c = crcTable[(c ^ v) & 255]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const png = new Uint8Array(await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } }).png().toBuffer());
  const dv = new DataView(png.buffer);
  dv.setUint32(16, width); // IHDR data starts at byte 16, after the signature, the length and 'IHDR'
  dv.setUint32(20, height);
  dv.setUint32(29, crc(png.subarray(12, 29)));
  return png;
}

describe('the pixel module (engine/image/raster.ts)', () => {
  it('refuses a buffer whose length does not match its size and channels', () => {
    expect(() => raster(new Uint8Array(10), 2, 2, 3)).toThrow(/10 bytes for 2×2×3 \(expected 12\)/);
    expect(() => raster(new Uint8Array(4), 2, 2, 1)).not.toThrow();
  });

  it('resizes a 1-channel hole to 1 channel with the right pixels (sharp alone returns 3: the issue 10 bug)', async () => {
    const w = 40, h = 30, hole = new Uint8Array(w * h);
    for (let y = 10; y < 20; y++) hole.fill(255, y * w + 8, y * w + 24);
    const small = await resize(raster(hole, w, h, 1), 20, 15, 'nearest');
    expect([small.width, small.height, small.channels, small.data.length]).toEqual([20, 15, 1, 300]);
    for (let y = 0; y < 15; y++) for (let x = 0; x < 20; x++) {
      expect([x, y, small.data[y * 20 + x]]).toEqual([x, y, x >= 4 && x < 12 && y >= 5 && y < 10 ? 255 : 0]);
    }
  });

  it('decodes to the channel count asked for, whatever the file holds', async () => {
    const grey = new Uint8Array(await sharp({ create: { width: 6, height: 4, channels: 3, background: '#808080' } }).greyscale().png().toBuffer());
    for (const channels of [1, 3, 4] as const) {
      const r = await decode(grey, { channels });
      expect([r.width, r.height, r.channels, r.data.length]).toEqual([6, 4, channels, 24 * channels]);
    }
  });

  it('round-trips pixels through PNG exactly, and crops and converts channels exactly', async () => {
    const r = raster(Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i * 37) % 256), 5, 3, 4);
    expect(Buffer.from((await decode(await encode(r), { channels: 4 })).data).equals(Buffer.from(r.data))).toBe(true);
    const c = crop(r, { x: 1, y: 1, width: 3, height: 2 });
    expect(Array.from(c.data.subarray(0, 4))).toEqual(Array.from(r.data.subarray(24, 28)));
    expect(Array.from(toChannels(c, 3).data.subarray(0, 3))).toEqual(Array.from(r.data.subarray(24, 27)));
    expect(() => crop(r, { x: 3, y: 0, width: 3, height: 1 })).toThrow(/outside 5×3/);
  });

  it('refuses an SVG (a program that may pull in local files, e.g. <image href="file:///etc/passwd">) before rendering it', async () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>');
    expect((await sharp(svg).metadata()).format).toBe('svg'); // sharp would render it
    await expect(decode(svg, { name: 'x.svg', channels: 4 })).rejects.toThrow(/x\.svg is SVG: Ganvas reads PNG, JPEG, WebP, GIF, TIFF and AVIF/);
  });

  it('says "over the limit" for a huge image from its header, and "not an image" for junk', async () => {
    await expect(decode(await pngClaiming(30000, 30000), { name: 'huge.png', channels: 4 })).rejects.toThrow(/huge\.png is 30000×30000, over the 120 MP limit/);
    await expect(decode(new TextEncoder().encode('not an image'), { name: 'junk.png', channels: 4 })).rejects.toThrow(/junk\.png is not an image Ganvas can read/);
  });
});
