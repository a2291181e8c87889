import sharp from 'sharp';

/** A PNG whose pixels depend on `seed`, so two calls with different seeds are different assets. */
export async function makePng(width: number, height: number, seed = 1): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + seed * 97 + ((i / 3) | 0) % width) & 255;
  const buf = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(buf);
}
