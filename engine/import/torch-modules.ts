/**
 * Flattens what torch pickles hold into names → tensors and plain attributes: an NVlabs persistent module tree
 * (`_modules` / `_parameters` / `_buffers` / `__dict__`), or a state_dict (a Map of names → tensors).
 * Tensors are copied out as contiguous Float32Arrays; nothing else in the file is copied.
 */
import { EngineError } from '../api/errors.js';
import { isRecord, numpyValues, type NumpyArray, type PersistentModule, type TorchTensor } from './torch-globals.js';
import { tensorToFloat32 } from './torch-load.js';

export interface Tensor { shape: number[]; data: Float32Array }

/** JSON-like values: what a module's plain attributes become (numpy arrays as number lists). */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export interface ModuleInfo { className: string; attrs: Record<string, Plain> }

export interface FlatModule {
  tensors: Map<string, Tensor>;
  /** Every module by dotted path ('' for the root). */
  modules: Map<string, ModuleInfo>;
  /** Parameters and buffers stored as None (SG3's ToRGB filters), by full name. */
  absent: Set<string>;
}

/** Deeper than any real attribute; a pickle can build cycles (a list that contains itself), which must not recurse forever. */
const MAX_DEPTH = 32;

/** A value as plain data; tensors, modules and other records become null (they are read as tensors instead). */
export function toPlain(v: unknown, what: string, depth = 0): Plain {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if ((Array.isArray(v) || v instanceof Map) && depth >= MAX_DEPTH) throw new EngineError('bad_model', `${what}: an attribute is nested more than ${MAX_DEPTH} levels deep (or contains itself)`);
  if (Array.isArray(v)) return v.map((x) => toPlain(x, what, depth + 1));
  if (v instanceof Map) {
    const o: Record<string, Plain> = {};
    for (const [k, x] of v) if (typeof k === 'string' || typeof k === 'number') o[String(k)] = toPlain(x, what, depth + 1);
    return o;
  }
  if (isRecord(v, 'ndarray')) return numpyValues(v as NumpyArray, what);
  return null;
}

export function readTensor(t: TorchTensor, name: string, what: string): Tensor {
  const data = tensorToFloat32(t, `${what}: ${name}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new EngineError('bad_model', `${what}: tensor ${name} holds a non-finite value (${data[i]}) at index ${i}`);
  }
  return { shape: t.shape, data };
}

const STATE_KEYS_SKIPPED = /^_|^training$/;

/** Walks an NVlabs persistent module tree, as torch's state_dict() names things. */
export function flattenModule(root: PersistentModule, what: string): FlatModule {
  const out: FlatModule = { tensors: new Map(), modules: new Map(), absent: new Set() };
  const seen = new Set<PersistentModule>();
  const walk = (m: PersistentModule, path: string, depth: number) => {
    if (depth > MAX_DEPTH) throw new EngineError('bad_model', `${what}: modules are nested more than ${MAX_DEPTH} deep`);
    if (seen.has(m)) throw new EngineError('bad_model', `${what}: module ${path || '(root)'} contains itself`);
    seen.add(m);
    const state = m.state;
    const attrs: Record<string, Plain> = {};
    for (const [k, v] of state) if (typeof k === 'string' && !STATE_KEYS_SKIPPED.test(k)) attrs[k] = toPlain(v, what);
    const init = state.get('_init_kwargs');
    if (init instanceof Map) attrs._init_kwargs = toPlain(init, what);
    out.modules.set(path, { className: m.className, attrs });
    const prefix = path ? `${path}.` : '';
    for (const group of ['_parameters', '_buffers']) {
      const g = state.get(group);
      if (!(g instanceof Map)) continue;
      for (const [k, t] of g) {
        if (typeof k !== 'string') continue;
        if (t === null) out.absent.add(prefix + k);
        else if (isRecord(t, 'tensor')) out.tensors.set(prefix + k, readTensor(t as TorchTensor, prefix + k, what));
        else throw new EngineError('bad_model', `${what}: ${prefix + k} is in ${group} but is not a tensor`);
      }
    }
    const children = state.get('_modules');
    if (children instanceof Map) {
      for (const [k, c] of children) {
        if (typeof k !== 'string' || c === null) continue;
        if (!isRecord(c, 'module')) throw new EngineError('bad_model', `${what}: submodule ${prefix + k} is not a module`);
        walk(c as PersistentModule, prefix + k, depth + 1);
      }
    }
  };
  walk(root, '', 0);
  return out;
}

/** A state_dict (name → tensor); entries that are not float tensors are skipped. */
export function flattenStateDict(dict: Map<unknown, unknown>, what: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, t] of dict) {
    if (typeof k !== 'string' || !isRecord(t, 'tensor')) continue;
    const tensor = t as TorchTensor;
    if (!/^(float|bfloat)/.test(tensor.storage.dtype)) continue;
    out.set(k, readTensor(tensor, k, what));
  }
  return out;
}
