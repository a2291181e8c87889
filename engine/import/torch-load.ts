/**
 * torch's containers, read without Python:
 * - the zip format of torch ≥ 1.6 (`PREFIX/data.pkl` + one entry `PREFIX/data/KEY` per storage);
 * - the legacy `torch.save` stream (magic number, protocol, sys info, the object pickle, the storage keys, then
 *   each storage's raw bytes), which NVlabs pickles nest inside `torch.storage._load_from_bytes(bytes)`;
 * - a bare pickle (an NVlabs network pickle is one).
 * Tensors stay views into the file until `tensorToFloat32` copies one out.
 */
import { EngineError } from '../api/errors.js';
import { unpickle, type PickleOptions } from './pickle.js';
import { buildNumpy, DTYPE_BYTES, storageTypeOf, torchGlobals, type TorchStorage, type TorchTensor } from './torch-globals.js';
import { isZip, ZipReader } from './zip.js';

export type TorchContainer = 'pickle' | 'torch-zip' | 'torch-legacy';

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

const fail = (what: string, message: string) => new EngineError('bad_model', `${what}: ${message}`);

/** The parts of a storage persistent id: ('storage', torch.XStorage, key, location, numel[, view metadata]). */
function storageId(pid: unknown, what: string): { dtype: TorchStorage['dtype']; key: string; numel: number; view: unknown } {
  if (!Array.isArray(pid) || pid[0] !== 'storage') {
    throw fail(what, `a persistent id ${Array.isArray(pid) ? `of type '${String(pid[0])}'` : ''} is not a tensor storage; only storages are supported`);
  }
  const dtype = storageTypeOf(pid[1]);
  const key = pid[2];
  const numel = pid[4];
  if (!dtype || typeof key !== 'string' || typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) {
    throw fail(what, `a storage persistent id is malformed (${String(pid[1] && (pid[1] as { qualifiedName?: string }).qualifiedName)})`);
  }
  return { dtype, key, numel, view: pid[5] ?? null };
}

function options(what: string, persistentLoad?: PickleOptions['persistentLoad']): PickleOptions {
  return {
    what,
    globals: torchGlobals(what, (bytes) => loadNested(bytes, `${what} (a nested storage)`)),
    build: buildNumpy(what),
    ...(persistentLoad ? { persistentLoad } : {}),
  };
}

/** A `torch.save` payload nested in a pickle: legacy stream (what torch writes there) or, defensively, a zip. */
function loadNested(bytes: Uint8Array, what: string): unknown {
  return isZip(bytes) ? loadZip(bytes, what) : loadLegacy(bytes, what);
}

/** The legacy (pre-zip) torch.save stream. */
function loadLegacy(bytes: Uint8Array, what: string): unknown {
  const plain: PickleOptions = { what, globals: () => undefined };
  const magic = unpickle(bytes, plain, 0);
  if (magic.value !== LEGACY_MAGIC) throw fail(what, 'not a torch.save stream (its magic number is missing)');
  const protocol = unpickle(bytes, plain, magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) throw fail(what, `torch.save protocol ${String(protocol.value)} is not supported (only ${LEGACY_PROTOCOL})`);
  const sysInfo = unpickle(bytes, plain, protocol.end);
  if (!(sysInfo.value instanceof Map) || sysInfo.value.get('little_endian') !== true) throw fail(what, 'only little-endian torch.save streams are supported');

  const storages = new Map<string, TorchStorage>();
  const views: { storage: TorchStorage; root: string; offset: number }[] = [];
  const obj = unpickle(bytes, options(what, (pid) => {
    const id = storageId(pid, what);
    let root = storages.get(id.key);
    if (!root) storages.set(id.key, root = { kind: 'storage', dtype: id.dtype, numel: id.numel, bytes: null, key: id.key });
    if (id.view === null) return root;
    // (view key, offset, size): a slice of the root storage, filled once the root's bytes are read.
    const [viewKey, offset, size] = id.view as unknown[];
    if (typeof viewKey !== 'string' || typeof offset !== 'number' || typeof size !== 'number') throw fail(what, 'a storage view is malformed');
    const v: TorchStorage = { kind: 'storage', dtype: id.dtype, numel: size, bytes: null, key: viewKey };
    views.push({ storage: v, root: id.key, offset });
    return v;
  }), sysInfo.end);
  const keys = unpickle(bytes, { what, globals: () => undefined }, obj.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw fail(what, 'the storage key list is malformed');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) throw fail(what, `storage ${key} is listed but never used`);
    if (pos + 8 > bytes.length) throw fail(what, 'the storage data ends early: the file is truncated');
    const numel = Number(view.getBigInt64(pos, true));
    if (numel !== s.numel) throw fail(what, `storage ${key} holds ${numel} values where its id says ${s.numel}`);
    const size = numel * DTYPE_BYTES[s.dtype];
    pos += 8;
    if (pos + size > bytes.length) throw fail(what, `storage ${key} ends early: the file is truncated`);
    s.bytes = bytes.subarray(pos, pos + size);
    pos += size;
  }
  for (const v of views) {
    const root = storages.get(v.root)!;
    const el = DTYPE_BYTES[root.dtype];
    if (!root.bytes || (v.offset + v.storage.numel) * el > root.bytes.length) throw fail(what, 'a storage view reaches past its storage');
    v.storage.bytes = root.bytes.subarray(v.offset * el, (v.offset + v.storage.numel) * el);
  }
  return obj.value;
}

/** torch ≥ 1.6: a zip with PREFIX/data.pkl and PREFIX/data/KEY (the prefix is whatever name torch used). */
function loadZip(bytes: Uint8Array, what: string): unknown {
  const zip = new ZipReader(bytes, what);
  const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n)) ?? (zip.entries.has('data.pkl') ? 'data.pkl' : undefined);
  if (!pkl) throw fail(what, 'this zip is not a torch checkpoint (it has no data.pkl)');
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little') throw fail(what, `the checkpoint's byte order is ${order}; only little-endian is supported`);
  }
  const loaded = new Map<string, TorchStorage>();
  return unpickle(zip.read(pkl), options(what, (pid) => {
    const id = storageId(pid, what);
    const cached = loaded.get(id.key);
    if (cached) return cached;
    const data = zip.read(`${prefix}data/${id.key}`);
    const size = id.numel * DTYPE_BYTES[id.dtype];
    if (data.length < size) throw fail(what, `storage ${id.key} has ${data.length} bytes for ${id.numel} values: the file is damaged`);
    const s: TorchStorage = { kind: 'storage', dtype: id.dtype, numel: id.numel, bytes: data.subarray(0, size), key: id.key };
    loaded.set(id.key, s);
    return s;
  })).value;
}

/** Any checkpoint: a torch zip, a legacy torch.save file, or a bare pickle (NVlabs). */
export function loadTorchCheckpoint(bytes: Uint8Array, what: string): { value: unknown; container: TorchContainer } {
  if (bytes.length === 0) throw fail(what, 'the file is empty');
  if (isZip(bytes)) return { value: loadZip(bytes, what), container: 'torch-zip' };
  if (bytes[0] !== 0x80) throw fail(what, 'not a pickle or a torch checkpoint (it does not start with a pickle PROTO opcode or a zip header)');
  // A legacy torch.save file starts with a tiny pickle of the magic number: PROTO 2, LONG1 of 10 bytes.
  const magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  if (magic.every((b, i) => bytes[i] === b)) return { value: loadLegacy(bytes, what), container: 'torch-legacy' };
  return { value: unpickle(bytes, options(what)).value, container: 'pickle' };
}

/** The most values an expanded (overlapping-stride) view may unfold to. */
const MAX_EXPANDED = 1 << 24;

const halfToFloat = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
};

/** A tensor's values in C order as float32, honouring storage offset and strides; float dtypes only. */
export function tensorToFloat32(t: TorchTensor, what: string): Float32Array {
  const { storage, shape, stride, offset } = t;
  if (!storage.bytes) throw fail(what, `storage ${storage.key} has no data`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > 2 ** 31) throw fail(what, `a tensor of shape [${shape}] is too large`);
  if (count > 0) {
    const last = offset + shape.reduce((acc, n, i) => acc + (n - 1) * stride[i]!, 0);
    if (last >= storage.numel) throw fail(what, `a tensor of shape [${shape}] reaches past its storage (${storage.numel} values)`);
  }
  // A view with overlapping strides (an expand()ed tensor) can claim far more values than its file holds.
  if (count > storage.numel && count > MAX_EXPANDED) throw fail(what, `a tensor of shape [${shape}] repeats ${storage.numel} stored values ${Math.round(count / Math.max(1, storage.numel))}×; such expanded views are not supported`);
  const view = new DataView(storage.bytes.buffer, storage.bytes.byteOffset, storage.bytes.byteLength);
  const read: (i: number) => number = (() => {
    switch (storage.dtype) {
      case 'float32': return (i: number) => view.getFloat32(i * 4, true);
      case 'float16': return (i: number) => halfToFloat(view.getUint16(i * 2, true));
      case 'bfloat16': return (i: number) => { const b = new DataView(new ArrayBuffer(4)); b.setUint16(0, view.getUint16(i * 2, true)); return b.getFloat32(0); };
      case 'float64': return (i: number) => view.getFloat64(i * 8, true);
      default: throw fail(what, `a ${storage.dtype} tensor cannot be read as weights`);
    }
  })();
  const out = new Float32Array(count);
  const contiguous = shape.every((_, i) => shape[i] === 1 || stride[i] === shape.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous) {
    if (storage.dtype === 'float32') {
      out.set(new Float32Array(storage.bytes.slice((offset) * 4, (offset + count) * 4).buffer));
    } else {
      for (let i = 0; i < count; i++) out[i] = read(offset + i);
    }
    return out;
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += idx[d]! * stride[d]!;
    out[n] = read(at);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
