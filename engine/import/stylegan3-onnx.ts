/**
 * StyleGAN3-T synthesis (fixtures README §1c) as an ONNX graph: ws [B, L, W] → image [B, 3, R, R].
 *
 * - Input: Fourier features whose frequencies and phases are rotated and translated per sample by an affine of
 *   ws[0], damped near the bandwidth, sampled on the fixed grid, then mixed by a 1×1 conv.
 * - Each layer: a modulated conv (demodulated except ToRGB) scaled by rsqrt(magnitude_ema), then the filtered
 *   lrelu: bias, ×up (zero insertion, padding or crop, FIR, as separable ConvTransposes), lrelu·√2 and clamp,
 *   FIR and ×down (a strided Conv).
 * R files (radial 2-D down filters, 1×1 convs) are refused: no reference file exists to check them against.
 */
import { EngineError } from '../api/errors.js';
import { GraphBuilder } from '../nets/onnx/graph.js';
import type { Sg3Layer, StyleGanCheckpoint, Tensor } from './stylegan-checkpoint.js';

const ints = (v: number[]) => ({ ints: v });
const scaled = (a: Float32Array, k: number) => a.map((v) => v * k);

function attr(ck: StyleGanCheckpoint, path: string, key: string, fallback: number): number {
  const v = ck.modules.get(path)?.attrs[key];
  return typeof v === 'number' ? v : fallback;
}

/** s = w·(A·gain)ᵀ + b·biasGain, from a FullyConnectedLayer's tensors and attributes. */
function affine(g: GraphBuilder, ck: StyleGanCheckpoint, path: string, row: string, extraGain = 1): string {
  const w = ck.tensors.get(`${path}.weight`)!, b = ck.tensors.get(`${path}.bias`)!;
  const wg = attr(ck, path, 'weight_gain', 1 / Math.sqrt(w.shape[1]!)) * extraGain, bg = attr(ck, path, 'bias_gain', 1) * extraGain;
  return g.op('Gemm', [row, g.const(`${path}.weight`, scaled(w.data, wg), w.shape), g.const(`${path}.bias`, scaled(b.data, bg), [b.shape[0]!])], { transB: 1 });
}

function col(g: GraphBuilder, x: string, k: number): string {
  return g.op('Slice', [x, g.int64('s', [k]), g.int64('e', [k + 1]), g.int64('axis', [1])]);
}

/** The Fourier-feature input [B, C, H, W]. */
function fourierInput(g: GraphBuilder, ck: StyleGanCheckpoint, row0: string): string {
  const inp = ck.sg3!.input;
  const T = (n: string) => ck.tensors.get(`synthesis.input.${n}`)!;
  const t = affine(g, ck, 'synthesis.input.affine', row0); // [B, 4]: r_c, r_s, t_x, t_y
  const rc0 = col(g, t, 0), rs0 = col(g, t, 1);
  const norm = g.op('Sqrt', [g.op('Add', [g.op('Mul', [rc0, rc0]), g.op('Mul', [rs0, rs0])])]);
  const tn = g.op('Div', [t, norm]);
  const [rc, rs, tx, ty] = [0, 1, 2, 3].map((k) => col(g, tn, k)) as [string, string, string, string];
  const neg = (x: string) => g.op('Neg', [x]);
  // Rows of R·M (rotation times translation by −t), then times the stored transform.
  const m02 = g.op('Sub', [g.op('Mul', [rs, ty]), g.op('Mul', [rc, tx])]);
  const m12 = neg(g.op('Add', [g.op('Mul', [rs, tx]), g.op('Mul', [rc, ty])]));
  const transform = g.const('input.transform', T('transform').data, [3, 3]);
  const t0 = g.op('MatMul', [g.op('Concat', [rc, neg(rs), m02], { axis: 1 }), transform]);
  const t1 = g.op('MatMul', [g.op('Concat', [rs, rc, m12], { axis: 1 }), transform]);
  const [t00, t01, t02] = [0, 1, 2].map((k) => col(g, t0, k)) as [string, string, string];
  const [t10, t11, t12] = [0, 1, 2].map((k) => col(g, t1, k)) as [string, string, string];
  const freqs = T('freqs'); // [C, 2]
  const c = inp.channels;
  const fx0 = g.const('input.freqs_x', Float32Array.from({ length: c }, (_, i) => freqs.data[2 * i]!), [1, c]);
  const fy0 = g.const('input.freqs_y', Float32Array.from({ length: c }, (_, i) => freqs.data[2 * i + 1]!), [1, c]);
  const phases = g.const('input.phases', T('phases').data, [1, c]);
  // phases' = phases + freqs·T[:2, 2] (with the untransformed freqs); freqs' = freqs·T[:2, :2].
  const ph = g.op('Add', [phases, g.op('Add', [g.op('Mul', [fx0, t02]), g.op('Mul', [fy0, t12])])]);
  const fx = g.op('Add', [g.op('Mul', [fx0, t00]), g.op('Mul', [fy0, t10])]);
  const fy = g.op('Add', [g.op('Mul', [fx0, t01]), g.op('Mul', [fy0, t11])]);
  const fnorm = g.op('Sqrt', [g.op('Add', [g.op('Mul', [fx, fx]), g.op('Mul', [fy, fy])])]);
  const damp = g.op('Clip', [
    g.op('Sub', [g.scalar('one', 1), g.op('Div', [g.op('Sub', [fnorm, g.scalar('bandwidth', inp.bandwidth)]), g.scalar('band', inp.samplingRate / 2 - inp.bandwidth)])]),
    g.scalar('zero', 0), g.scalar('one', 1),
  ]);
  const [w, h] = inp.size;
  const grid = (n: number) => Float32Array.from({ length: n }, (_, i) => (i + 0.5 - n / 2) / inp.samplingRate);
  const nc11 = g.int64('nc11', [0, -1, 1, 1]);
  const per = (x: string) => g.op('Reshape', [x, nc11]);
  const xs = g.const('input.grid_x', grid(w), [1, 1, 1, w]);
  const ys = g.const('input.grid_y', grid(h), [1, 1, h, 1]);
  const arg = g.op('Add', [g.op('Add', [g.op('Mul', [per(fx), xs]), g.op('Mul', [per(fy), ys])]), per(ph)]);
  const feat = g.op('Mul', [g.op('Sin', [g.op('Mul', [arg, g.scalar('two_pi', 2 * Math.PI)])]), per(damp)]);
  const weight = T('weight');
  return g.op('Conv', [feat, g.const('input.weight', scaled(weight.data, 1 / Math.sqrt(c)), [weight.shape[0]!, c, 1, 1])], { kernel_shape: ints([1, 1]) });
}

/** A 1-D FIR as a depthwise kernel along one axis: [c, 1, 1, K] (width) or [c, 1, K, 1] (height). */
function fir1d(f: Tensor, c: number, axis: 'x' | 'y', gain: number, flip: boolean): { data: Float32Array; dims: number[] } {
  const k = f.data.length;
  const data = new Float32Array(c * k);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < k; i++) data[ch * k + i] = f.data[flip ? k - 1 - i : i]! * gain;
  return { data, dims: axis === 'x' ? [c, 1, 1, k] : [c, 1, k, 1] };
}

/**
 * ×up along one axis: zero insertion, padding p0 / p1 (negative crops), true convolution with f. As a
 * ConvTranspose (stride up) the full result is trimmed by K−1−p0 before and K−up−p1 after; a negative trim is
 * zero padding, added by Pad since ConvTranspose's pads cannot be negative.
 */
function upsample1d(g: GraphBuilder, x: string, f: Tensor, c: number, up: number, p0: number, p1: number, axis: 'x' | 'y', name: string): string {
  const k = f.data.length;
  const begin = k - 1 - p0, end = k - up - p1;
  const kern = fir1d(f, c, axis, up, false);
  const trim = (v: number) => Math.max(0, v);
  const pads = axis === 'x' ? [0, trim(begin), 0, trim(end)] : [trim(begin), 0, trim(end), 0];
  let y = g.op('ConvTranspose', [x, g.const(`${name}.up_${axis}`, kern.data, kern.dims)], {
    group: c, strides: ints(axis === 'x' ? [1, up] : [up, 1]), kernel_shape: ints(kern.dims.slice(2)), pads: ints(pads),
  });
  if (begin < 0 || end < 0) {
    const extra = axis === 'x' ? [0, 0, 0, Math.max(0, -begin), 0, 0, 0, Math.max(0, -end)] : [0, 0, Math.max(0, -begin), 0, 0, 0, Math.max(0, -end), 0];
    y = g.op('Pad', [y, g.int64('pads', extra)]);
  }
  return y;
}

function layerOnnx(g: GraphBuilder, ck: StyleGanCheckpoint, l: Sg3Layer, x: string, row: string): string {
  const path = `synthesis.${l.name}`;
  const w = ck.tensors.get(`${path}.weight`)!;
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const nc11 = g.int64('nc11', [0, -1, 1, 1]);
  let s = affine(g, ck, `${path}.affine`, row, l.isTorgb ? 1 / Math.sqrt(i * kh * kw) : 1);
  let weight = w.data;
  if (!l.isTorgb) {
    // Pre-normalisation: W per output channel by rsqrt(mean W²); s by rsqrt(mean s²) over the whole batch.
    weight = new Float32Array(w.data.length);
    const per = i * kh * kw;
    for (let a = 0; a < o; a++) {
      let m = 0;
      for (let q = 0; q < per; q++) m += w.data[a * per + q]! ** 2;
      const k = 1 / Math.sqrt(m / per);
      for (let q = 0; q < per; q++) weight[a * per + q] = w.data[a * per + q]! * k;
    }
    s = g.op('Mul', [s, g.op('Reciprocal', [g.op('Sqrt', [g.op('ReduceMean', [g.op('Mul', [s, s])], { keepdims: 1 })])])]);
  }
  const pad = l.convKernel - 1;
  let y = g.op('Conv', [g.op('Mul', [x, g.op('Reshape', [s, nc11])]), g.const(`${path}.weight`, weight, w.shape)], { kernel_shape: ints([kh, kw]), pads: ints([pad, pad, pad, pad]) });
  const inputGain = 1 / Math.sqrt(l.magnitudeEma);
  if (!l.isTorgb) {
    const sq = new Float32Array(i * o);
    const k = kh * kw;
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) { let t = 0; for (let q = 0; q < k; q++) t += weight[(a * i + b) * k + q]! ** 2; sq[b * o + a] = t; }
    const d = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [g.op('MatMul', [g.op('Mul', [s, s]), g.const(`${path}.weight_sq`, sq, [i, o])]), g.scalar('eps', 1e-8)])])]);
    y = g.op('Mul', [y, g.op('Reshape', [g.op('Mul', [d, g.scalar(`${path}.input_gain`, inputGain)]), nc11])]);
  } else {
    y = g.op('Mul', [y, g.scalar(`${path}.input_gain`, inputGain)]);
  }
  // filtered_lrelu: bias, up-FIR (x then y), activation and clamp, down-FIR and subsampling.
  y = g.op('Add', [y, g.const(`${path}.bias`, ck.tensors.get(`${path}.bias`)!.data, [1, o, 1, 1])]);
  const [px0, px1, py0, py1] = l.padding;
  if (l.upFilter) {
    y = upsample1d(g, y, l.upFilter, o, l.upFactor, px0, px1, 'x', path);
    y = upsample1d(g, y, l.upFilter, o, l.upFactor, py0, py1, 'y', path);
  } else if (l.upFactor !== 1 || l.padding.some((p) => p !== 0)) {
    throw new EngineError('bad_model', `${ck.fileName}: layer ${l.name} resamples without an up_filter`);
  }
  if (!l.isTorgb) y = g.op('Mul', [g.op('LeakyRelu', [y], { alpha: { float: 0.2 } }), g.scalar('sqrt2', Math.SQRT2)]);
  if (l.convClamp !== null) y = g.op('Clip', [y, g.scalar('clamp_lo', -l.convClamp), g.scalar('clamp_hi', l.convClamp)]);
  if (l.downFilter) {
    const fx = fir1d(l.downFilter, o, 'x', 1, true), fy = fir1d(l.downFilter, o, 'y', 1, true);
    y = g.op('Conv', [y, g.const(`${path}.down_x`, fx.data, fx.dims)], { group: o, kernel_shape: ints(fx.dims.slice(2)), strides: ints([1, l.downFactor]) });
    y = g.op('Conv', [y, g.const(`${path}.down_y`, fy.data, fy.dims)], { group: o, kernel_shape: ints(fy.dims.slice(2)), strides: ints([l.downFactor, 1]) });
  } else if (l.downFactor !== 1) {
    throw new EngineError('bad_model', `${ck.fileName}: layer ${l.name} downsamples without a down_filter`);
  }
  return y;
}

export function sg3SynthesisOnnx(ck: StyleGanCheckpoint): Uint8Array {
  if (ck.format !== 'stylegan3-t' || !ck.sg3) {
    throw new EngineError('bad_model', `${ck.fileName}: ${ck.format} synthesis is not converted yet (StyleGAN3-T is)`);
  }
  const g = new GraphBuilder('synthesis');
  const { numWs, wDim, resolution } = ck.config;
  const ws = g.input('ws', ['batch', numWs, wDim]);
  const row = (r: number) => g.op('Gather', [ws, g.int64(`row${r}`, [r], [])], { axis: 1 });
  let x = fourierInput(g, ck, row(0));
  ck.sg3.layers.forEach((l, i) => (x = layerOnnx(g, ck, l, x, row(i + 1))));
  const img = g.op('Mul', [x, g.scalar('output_scale', ck.sg3.outputScale)]);
  g.output(img, 'image', ['batch', ck.config.imgChannels, resolution, resolution]);
  return g.toBytes('StyleGAN3-T synthesis network imported by Ganvas');
}
