/**
 * A minimal reader for numpy.savez files (test references): a zip of stored (uncompressed) entries, one
 * NAME.npy each, in .npy format 1.0 (or 2.0/3.0) with C-order data. Dtypes: <f4, <i8, |u1.
 */
import { readFileSync } from 'node:fs';

export type NpyArray =
  | { dtype: 'f4'; shape: number[]; data: Float32Array }
  | { dtype: 'u1'; shape: number[]; data: Uint8Array }
  | { dtype: 'i8'; shape: number[]; data: BigInt64Array };

export function parseNpy(bytes: Uint8Array, what = 'npy'): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (!magic.every((b, i) => bytes[i] === b)) throw new Error(`${what}: not a .npy array`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${what}: bad header ${header}`);
  if (fortran === 'True') throw new Error(`${what}: Fortran order is not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  // Copy, so the typed array is aligned whatever the offset inside the zip.
  const body = (size: number) => bytes.slice(off, off + count * size).buffer;
  if (descr === '<f4') return { dtype: 'f4', shape, data: new Float32Array(body(4)) };
  if (descr === '|u1' || descr === '<u1') return { dtype: 'u1', shape, data: new Uint8Array(body(1)) };
  if (descr === '<i8') return { dtype: 'i8', shape, data: new BigInt64Array(body(8)) };
  throw new Error(`${what}: dtype ${descr} is not supported`);
}

/** Every array of an .npz, by name (without .npy), read from its central directory. */
export function readNpz(path: string): Record<string, NpyArray> {
  const zip = new Uint8Array(readFileSync(path));
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${path}: not a zip file`);
  let entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  if (entries === 0xffff || p === 0xffffffff) throw new Error(`${path}: zip64 is not supported`);
  const out: Record<string, NpyArray> = {};
  const dec = new TextDecoder();
  for (; entries > 0; entries--) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error(`${path}: bad central directory`);
    const method = view.getUint16(p + 10, true);
    const size = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true), commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = dec.decode(zip.subarray(p + 46, p + 46 + nameLen));
    if (method !== 0) throw new Error(`${path}: ${name} is compressed (method ${method}); numpy.savez writes stored entries`);
    if (view.getUint32(local, true) !== 0x04034b50) throw new Error(`${path}: bad local header for ${name}`);
    const data = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    out[name.replace(/\.npy$/, '')] = parseNpy(zip.subarray(data, data + size), `${path}:${name}`);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
