/**
 * Reads the entries of a zip archive (torch ≥ 1.6 checkpoints are zips of stored entries). Stored and deflated
 * entries are supported (deflate through node:zlib, so no package is needed), and zip64 sizes and offsets, which
 * torch writes for archives over 4 GiB.
 */
import { inflateRawSync } from 'node:zlib';
import { EngineError } from '../api/errors.js';

export interface ZipEntry { name: string; method: number; compressedSize: number; size: number; localOffset: number }

export const isZip = (bytes: Uint8Array) => bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readCentralDirectory();
  }

  private fail(message: string): never {
    throw new EngineError('bad_model', `${this.what}: ${message}`);
  }

  private readCentralDirectory(): void {
    const { bytes, view } = this;
    let eocd = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
      if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
    }
    if (eocd < 0) this.fail('the zip archive has no end record: the file is truncated or damaged');
    let count = view.getUint16(eocd + 10, true);
    let dirOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || dirOffset === 0xffffffff) {
      // zip64: the locator sits just before the end record and points at the zip64 end record.
      const loc = eocd - 20;
      if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) this.fail('the zip64 locator is missing: the file is damaged');
      const z64 = Number(view.getBigUint64(loc + 8, true));
      if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== 0x06064b50) this.fail('the zip64 end record is missing: the file is damaged');
      count = Number(view.getBigUint64(z64 + 32, true));
      dirOffset = Number(view.getBigUint64(z64 + 48, true));
    }
    let p = dirOffset;
    const dec = new TextDecoder();
    for (let n = 0; n < count; n++) {
      if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) this.fail('the zip central directory is damaged');
      const method = view.getUint16(p + 10, true);
      let compressedSize = view.getUint32(p + 20, true);
      let size = view.getUint32(p + 24, true);
      const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true), commentLen = view.getUint16(p + 32, true);
      let localOffset = view.getUint32(p + 42, true);
      if (p + 46 + nameLen + extraLen > bytes.length) this.fail('the zip central directory is damaged');
      const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
      // zip64 extra field (id 1): the 64-bit values, in this order, for those whose 32-bit field is all ones.
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
        const id = view.getUint16(e, true), len = view.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          const next = () => {
            if (q + 8 > e + 4 + len || q + 8 > bytes.length) this.fail('a zip64 extra field is damaged');
            const v = Number(view.getBigUint64(q, true));
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localOffset === 0xffffffff) localOffset = next();
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, compressedSize, size, localOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** An entry's bytes: a view into the archive when stored, inflated when deflated. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`the archive has no entry ${name}`);
    const { view, bytes } = this;
    if (e.localOffset + 30 > bytes.length || view.getUint32(e.localOffset, true) !== 0x04034b50) this.fail(`the zip entry ${name} is damaged`);
    const start = e.localOffset + 30 + view.getUint16(e.localOffset + 26, true) + view.getUint16(e.localOffset + 28, true);
    if (start + e.compressedSize > bytes.length) this.fail(`the zip entry ${name} runs past the end of the file: it is truncated`);
    const raw = bytes.subarray(start, start + e.compressedSize);
    if (e.method === 0) return raw;
    if (e.method === 8) {
      let out: Uint8Array;
      try {
        // Capped at the declared size, so a small entry cannot inflate into gigabytes.
        out = new Uint8Array(inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) }));
      } catch (err) {
        this.fail(`the zip entry ${name} does not inflate to its declared ${e.size} bytes (${(err as Error).message})`);
      }
      if (out.length !== e.size) this.fail(`the zip entry ${name} inflates to ${out.length} bytes, not ${e.size}`);
      return out;
    }
    this.fail(`the zip entry ${name} uses compression method ${e.method}; only stored and deflated entries are supported`);
  }
}
