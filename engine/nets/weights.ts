/**
 * The weight file shared with build/models/common.py: 'GNVW', a little-endian u32 header length, a JSON index
 * { format, tensors: [{ name, shape, offset }] }, then float32 data. Layouts are the ONNX/PyTorch ones
 * (fc [in, out], conv [out, in, kh, kw]); layers convert to their own on load.
 */
export interface WeightTensor { shape: number[]; data: Float32Array }
export type Weights = Map<string, WeightTensor>;

const MAGIC = 'GNVW';

export class WeightFileError extends Error {}

export function readWeights(bytes: Uint8Array, what = 'weight file'): Weights {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new WeightFileError(`${what} is not a Ganvas weight file (no GNVW header)`);
  }
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) throw new WeightFileError(`${what} is truncated (header runs past the end)`);
  let header: { format?: string; tensors?: { name: string; shape: number[]; offset: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new WeightFileError(`${what} has an unreadable index`);
  }
  if (header.format !== 'ganvas-weights-1' || !Array.isArray(header.tensors)) throw new WeightFileError(`${what}: unknown format ${header.format}`);
  const base = 8 + headerLength;
  const out: Weights = new Map();
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const start = base + t.offset;
    if (start + n * 4 > bytes.byteLength) throw new WeightFileError(`${what} is truncated: ${t.name} runs past the end of the file`);
    // Copy: the source offset need not be 4-byte aligned, and callers may keep tensors after the file is gone.
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + n * 4));
    out.set(t.name, { shape: t.shape, data });
  }
  return out;
}

export function writeWeights(tensors: Iterable<[string, WeightTensor]>): Uint8Array {
  const index: { name: string; shape: number[]; offset: number }[] = [];
  const blobs: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    index.push({ name, shape: t.shape, offset });
    blobs.push(t.data);
    offset += t.data.byteLength;
  }
  const header = new TextEncoder().encode(JSON.stringify({ format: 'ganvas-weights-1', tensors: index }));
  const out = new Uint8Array(8 + header.byteLength + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
    at += b.byteLength;
  }
  return out;
}
