import { ExtensionCodec, decode, encode } from '@msgpack/msgpack';
import type { ErrorReply } from './schemas.js';

/**
 * WebSocket frames are MessagePack: Uint8Array travels as `bin`, Float32Array as an extension, so images,
 * masks and latents cross the wire as raw bytes.
 */
export type Frame =
  | { t: 'call'; id: number; m: string; p: unknown }
  | { t: 'res'; id: number; ok: true; r: unknown }
  | { t: 'res'; id: number; ok: false; e: ErrorReply }
  | { t: 'evt'; n: string; p: unknown };

const FLOAT32 = 1;
const codec = new ExtensionCodec();
codec.register({
  type: FLOAT32,
  encode: (v: unknown) =>
    v instanceof Float32Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null,
  decode: (data: Uint8Array) => {
    // Copy: the decoder's buffer may be unaligned for a Float32Array view.
    const copy = new Uint8Array(data.byteLength);
    copy.set(data);
    return new Float32Array(copy.buffer);
  },
});

export const encodeFrame = (f: Frame): Uint8Array => encode(f, { extensionCodec: codec, ignoreUndefined: true });

export function decodeFrame(bytes: Uint8Array): Frame {
  const f = decode(bytes, { extensionCodec: codec }) as Frame;
  if (typeof f !== 'object' || f === null || !('t' in f)) throw new Error('not a Ganvas frame');
  return f;
}
