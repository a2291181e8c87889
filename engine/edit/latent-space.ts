/**
 * Latent arithmetic: seeds to z, interpolation, directions applied to a layer range, style mixing. A latent
 * is always kept as w+ — one w row per synthesis layer, ws[L, W] — so every edit is a change of rows.
 */
import { mulberry32, normals } from '../random.js';

/** z for a seed: standard normal draws (Box–Muller over mulberry32), the same on every machine. */
export function zFromSeed(seed: number, zDim: number): Float32Array {
  return normals(mulberry32(seed * 2654435761 + 12345), zDim);
}

export function broadcast(w: Float32Array, numWs: number): Float32Array {
  const ws = new Float32Array(numWs * w.length);
  for (let l = 0; l < numWs; l++) ws.set(w, l * w.length);
  return ws;
}

export const lerp = (a: Float32Array, b: Float32Array, t: number) => a.map((v, i) => v + (b[i]! - v) * t);

/** Spherical interpolation (for z, whose samples live near a sphere); falls back to lerp for parallel vectors. */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
  const omega = Math.acos(cos);
  if (omega < 1e-4) return lerp(a, b, t);
  const s = Math.sin(omega);
  const ka = Math.sin((1 - t) * omega) / s, kb = Math.sin(t * omega) / s;
  return a.map((v, i) => ka * v + kb * b[i]!);
}

export interface LayerRange { start: number; end: number } // rows start…end inclusive

/** StyleGAN's coarse / middle / fine split of the rows, as the visualizer and GANSpace use it. */
export function presetRange(preset: 'all' | 'coarse' | 'middle' | 'fine', numWs: number): LayerRange {
  const third = Math.ceil(numWs / 3);
  if (preset === 'coarse') return { start: 0, end: third - 1 };
  if (preset === 'middle') return { start: third, end: Math.min(numWs - 1, 2 * third - 1) };
  if (preset === 'fine') return { start: Math.min(numWs - 1, 2 * third), end: numWs - 1 };
  return { start: 0, end: numWs - 1 };
}

/** ws + α·d on the rows of `range` (d has W entries). */
export function applyDirection(ws: Float32Array, wDim: number, d: Float32Array, alpha: number, range: LayerRange): Float32Array {
  if (d.length !== wDim) throw new Error(`a direction of ${d.length} values does not fit a ${wDim}-dimensional w`);
  const out = new Float32Array(ws);
  for (let l = range.start; l <= range.end; l++) for (let i = 0; i < wDim; i++) out[l * wDim + i] = out[l * wDim + i]! + alpha * d[i]!;
  return out;
}

/** Style mixing: rows of `range` from `other`, the rest from `base`. */
export function mixRows(base: Float32Array, other: Float32Array, wDim: number, range: LayerRange): Float32Array {
  const out = new Float32Array(base);
  out.set(other.subarray(range.start * wDim, (range.end + 1) * wDim), range.start * wDim);
  return out;
}

export function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

export function normalize(v: Float32Array): Float32Array {
  const n = norm(v) || 1;
  return v.map((x) => x / n);
}

/** Removes from `d` its component along `other` (InterFaceGAN's conditional manipulation). */
export function projectOut(d: Float32Array, other: Float32Array): Float32Array {
  const o = normalize(other);
  const k = d.reduce((s, x, i) => s + x * o[i]!, 0);
  return normalize(d.map((x, i) => x - k * o[i]!));
}
