/**
 * The allow-list of Python globals a checkpoint may name, and the inert records they become.
 *
 * Each entry turns its arguments (plain data) into plain data: a tensor record, a Map for dict-like classes, a
 * number for a numpy scalar. Nothing here imports, evaluates or keeps code; NVlabs' persistent modules carry
 * their Python source (`module_src`), which is dropped on the spot (it is NVIDIA-licensed text and Ganvas never
 * runs it).
 */
import { EngineError } from '../api/errors.js';
import type { Callable, PickleOptions } from './pickle.js';

export type StorageDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_BYTES: Record<StorageDtype, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** `torch.FloatStorage` and friends: only a dtype, named in a storage's persistent id. */
export interface StorageType { kind: 'storage-type'; dtype: StorageDtype }

/** A storage's raw little-endian bytes; `bytes` is null until a legacy stream's data section fills it. */
export interface TorchStorage { kind: 'storage'; dtype: StorageDtype; numel: number; bytes: Uint8Array | null; key: string }

/** `_rebuild_tensor_v2(storage, offset, size, stride, …)`: a view into a storage, not yet copied. */
export interface TorchTensor { kind: 'tensor'; storage: TorchStorage; offset: number; shape: number[]; stride: number[] }

/** An NVlabs `persistence` module: its class name and its `__dict__` (`_parameters`, `_buffers`, `_modules`, attributes). */
export interface PersistentModule { kind: 'module'; className: string; state: Map<unknown, unknown> }

export interface NumpyDtype { kind: 'np-dtype'; code: string; byteOrder: '<' | '>' | '|' | '=' }

export interface NumpyArray { kind: 'ndarray'; dtype: NumpyDtype | null; shape: number[]; raw: Uint8Array | null }

const STORAGE_TYPES: Record<string, StorageDtype> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool', UntypedStorage: 'uint8',
};

export const isRecord = <K extends string>(v: unknown, kind: K): v is { kind: K } =>
  typeof v === 'object' && v !== null && !(v instanceof Map) && !Array.isArray(v) && (v as { kind?: unknown }).kind === kind;

const nonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function callable(qualifiedName: string, hooks: Omit<Callable, 'kind' | 'qualifiedName'>): Callable {
  return { kind: 'callable', qualifiedName, ...hooks };
}

function badArgs(name: string, what: string): EngineError {
  return new EngineError('bad_model', `${what}: ${name} is called with arguments Ganvas does not understand`);
}

function rebuildTensor(name: string, what: string) {
  return (args: unknown[]): TorchTensor => {
    const [storage, offset, shape, stride] = args;
    if (!isRecord(storage, 'storage') || !nonNegInt(offset) || !Array.isArray(shape) || !Array.isArray(stride) ||
        !shape.every(nonNegInt) || !stride.every(nonNegInt) || shape.length !== stride.length) throw badArgs(name, what);
    return { kind: 'tensor', storage: storage as TorchStorage, offset, shape: [...shape], stride: [...stride] };
  };
}

/** Decodes a numpy scalar's raw bytes (dtype codes as numpy writes them: f8, b1, i8…). */
function numpyScalar(dtype: NumpyDtype, raw: Uint8Array, what: string): number | boolean {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dtype.byteOrder !== '>';
  const need = (n: number) => { if (raw.length < n) throw new EngineError('bad_model', `${what}: a numpy ${dtype.code} scalar has ${raw.length} bytes`); };
  switch (dtype.code) {
    case 'f8': need(8); return view.getFloat64(0, le);
    case 'f4': need(4); return view.getFloat32(0, le);
    case 'i8': need(8); return Number(view.getBigInt64(0, le));
    case 'u8': need(8); return Number(view.getBigUint64(0, le));
    case 'i4': need(4); return view.getInt32(0, le);
    case 'u4': need(4); return view.getUint32(0, le);
    case 'i2': need(2); return view.getInt16(0, le);
    case 'u2': need(2); return view.getUint16(0, le);
    case 'i1': need(1); return view.getInt8(0);
    case 'u1': need(1); return view.getUint8(0);
    case 'b1': need(1); return raw[0] !== 0;
    default: throw new EngineError('bad_model', `${what}: numpy scalars of dtype ${dtype.code} are not supported`);
  }
}

/** NumPy's dtype strings: 'f8', and the type names of the shorthand forms that pickles use. */
function dtypeCode(s: string): string {
  const named: Record<string, string> = { float64: 'f8', float32: 'f4', float16: 'f2', int64: 'i8', int32: 'i4', int16: 'i2', int8: 'i1', uint8: 'u1', bool: 'b1' };
  const t = s.replace(/^[<>|=]/, '');
  return named[t] ?? t;
}

/**
 * The allow-list. `what` names the file in messages. `loadFromBytes` reads a nested legacy torch.save stream
 * (NVlabs pickles store each storage that way).
 */
export function torchGlobals(what: string, loadFromBytes: (bytes: Uint8Array) => unknown): PickleOptions['globals'] {
  const dictLike = (name: string) => callable(name, {
    // OrderedDict() / OrderedDict([(k, v), …]) / EasyDict() / Namespace(): a Map, filled by SETITEMS or BUILD.
    call: (args) => {
      const m = new Map<unknown, unknown>();
      const items = args[0];
      if (Array.isArray(items)) for (const kv of items) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
      return m;
    },
    construct: () => new Map(),
  });
  const table: Record<string, Callable> = {
    'collections.OrderedDict': dictLike('collections.OrderedDict'),
    'dnnlib.util.EasyDict': dictLike('dnnlib.util.EasyDict'),
    'dnnlib.EasyDict': dictLike('dnnlib.EasyDict'),
    'argparse.Namespace': dictLike('argparse.Namespace'),
    'builtins.set': callable('builtins.set', { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) }),
    'builtins.frozenset': callable('builtins.frozenset', { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) }),
    '__builtin__.set': callable('__builtin__.set', { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) }),
    '__builtin__.frozenset': callable('__builtin__.frozenset', { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) }),
    // Protocol 2 writes Python 3 bytes as _codecs.encode(text, 'latin1'): only that form is accepted.
    '_codecs.encode': callable('_codecs.encode', {
      call: (args) => {
        const [text, enc] = args;
        if (typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) throw badArgs('_codecs.encode', what);
        return Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);
      },
    }),
    'torch._utils._rebuild_tensor_v2': callable('torch._utils._rebuild_tensor_v2', { call: rebuildTensor('torch._utils._rebuild_tensor_v2', what) }),
    'torch._utils._rebuild_tensor': callable('torch._utils._rebuild_tensor', { call: rebuildTensor('torch._utils._rebuild_tensor', what) }),
    'torch._utils._rebuild_parameter': callable('torch._utils._rebuild_parameter', {
      call: (args) => { if (!isRecord(args[0], 'tensor')) throw badArgs('torch._utils._rebuild_parameter', what); return args[0]; },
    }),
    'torch._utils._rebuild_parameter_with_state': callable('torch._utils._rebuild_parameter_with_state', {
      call: (args) => { if (!isRecord(args[0], 'tensor')) throw badArgs('torch._utils._rebuild_parameter_with_state', what); return args[0]; },
    }),
    'torch.storage._load_from_bytes': callable('torch.storage._load_from_bytes', {
      call: (args) => {
        if (!(args[0] instanceof Uint8Array)) throw badArgs('torch.storage._load_from_bytes', what);
        return loadFromBytes(args[0]);
      },
    }),
    'torch_utils.persistence._reconstruct_persistent_obj': callable('torch_utils.persistence._reconstruct_persistent_obj', {
      call: (args): PersistentModule => {
        const meta = args[0];
        if (!(meta instanceof Map) || meta.get('type') !== 'class' || typeof meta.get('class_name') !== 'string' || !(meta.get('state') instanceof Map)) {
          throw badArgs('torch_utils.persistence._reconstruct_persistent_obj', what);
        }
        // meta.module_src (the defining Python file) is deliberately not kept.
        return { kind: 'module', className: meta.get('class_name') as string, state: meta.get('state') as Map<unknown, unknown> };
      },
    }),
    'numpy.dtype': callable('numpy.dtype', {
      call: (args): NumpyDtype => {
        if (typeof args[0] !== 'string') throw badArgs('numpy.dtype', what);
        const order = /^[<>|=]/.exec(args[0])?.[0] as NumpyDtype['byteOrder'] | undefined;
        return { kind: 'np-dtype', code: dtypeCode(args[0]), byteOrder: order ?? '<' };
      },
    }),
    'numpy.ndarray': callable('numpy.ndarray', {}),
  };
  const scalar = callable('numpy.core.multiarray.scalar', {
    call: (args) => {
      const [dtype, raw] = args;
      if (!isRecord(dtype, 'np-dtype')) throw badArgs('numpy.core.multiarray.scalar', what);
      // Python 3 pickles give bytes; a protocol-2 pickle of a Python 2 scalar gives a latin-1 str.
      const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff) : null;
      if (!bytes) throw badArgs('numpy.core.multiarray.scalar', what);
      return numpyScalar(dtype as NumpyDtype, bytes, what);
    },
  });
  const reconstruct = callable('numpy.core.multiarray._reconstruct', {
    call: (args): NumpyArray => {
      if (args[0] !== table['numpy.ndarray']) throw badArgs('numpy.core.multiarray._reconstruct', what);
      return { kind: 'ndarray', dtype: null, shape: [], raw: null };
    },
  });
  for (const core of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
    table[`${core}.scalar`] = scalar;
    table[`${core}._reconstruct`] = reconstruct;
  }
  for (const [name, dtype] of Object.entries(STORAGE_TYPES)) {
    table[`torch.${name}`] = { ...callable(`torch.${name}`, {}), storageType: { kind: 'storage-type', dtype } } as Callable;
  }
  // Own properties only: no name can reach Object.prototype.
  return (module, name) => (Object.hasOwn(table, `${module}.${name}`) ? table[`${module}.${name}`] : undefined);
}

/** The dtype a `torch.*Storage` global names, or null for anything else. */
export function storageTypeOf(v: unknown): StorageDtype | null {
  const t = (v as { storageType?: StorageType } | null)?.storageType;
  return t ? t.dtype : null;
}

/** BUILD for numpy's dtype and ndarray records; everything else is refused by the reader. */
export function buildNumpy(what: string) {
  return (target: unknown, state: unknown): boolean => {
    if (isRecord(target, 'np-dtype') && Array.isArray(state)) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
      const order = state[1];
      if (order === '<' || order === '>' || order === '|' || order === '=') (target as NumpyDtype).byteOrder = order;
      return true;
    }
    if (isRecord(target, 'ndarray') && Array.isArray(state)) {
      // (version, shape, dtype, is_fortran, raw) — version is absent in old pickles.
      const s = state.length === 5 ? state.slice(1) : state;
      const [shape, dtype, fortran, raw] = s;
      if (!Array.isArray(shape) || !shape.every(nonNegInt) || !isRecord(dtype, 'np-dtype') || !(raw instanceof Uint8Array)) {
        throw new EngineError('bad_model', `${what}: a numpy array has a state Ganvas does not understand (object arrays are not supported)`);
      }
      if (fortran === true && shape.length > 1) throw new EngineError('bad_model', `${what}: Fortran-order numpy arrays are not supported`);
      Object.assign(target, { shape: [...shape], dtype, raw });
      return true;
    }
    return false;
  };
}

/** A numpy array's values as plain numbers (int and float dtypes). */
export function numpyValues(a: NumpyArray, what: string): number[] {
  if (!a.dtype || !a.raw) throw new EngineError('bad_model', `${what}: a numpy array has no data`);
  const count = a.shape.reduce((x, y) => x * y, 1);
  const size = Number(/\d+$/.exec(a.dtype.code)?.[0] ?? 0);
  if (!size || a.raw.length < count * size) throw new EngineError('bad_model', `${what}: a numpy array of ${a.dtype.code} has ${a.raw.length} bytes for ${count} values`);
  return Array.from({ length: count }, (_, i) => numpyScalar(a.dtype!, a.raw!.subarray(i * size, (i + 1) * size), what) as number);
}
