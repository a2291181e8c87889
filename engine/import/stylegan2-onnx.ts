/**
 * Writes a StyleGAN2 plan (stylegan2-plan.ts) as Ganvas's two generator graphs (engine/runtime/signature.ts):
 * mapping z [B, Z] + psi [1] → w [B, W], and synthesis ws [B, L, W] → image [B, 3, R, R].
 *
 * The modulated convs use the unfused form: conv(x · s) · d, with d = rsqrt(s² · Σ_k W² + 1e-8) per sample and
 * output channel, which equals convolving with per-sample demodulated weights but needs only standard ONNX ops
 * with the weights as constants. Upsampling uses ConvTranspose (stride 2) for both the ×2 conv and the FIR
 * upsampler of the RGB skip; FIR filters are flipped for ONNX Conv, which correlates where upfirdn convolves.
 */
import { GraphBuilder } from '../nets/onnx/graph.js';
import type { MappingPlan, Sg2Plan, StyledConv } from './stylegan2-plan.js';
import type { Tensor } from './stylegan-checkpoint.js';

const ints = (v: number[]) => ({ ints: v });

function pixelNorm(g: GraphBuilder, x: string): string {
  const meanSq = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: ints([1]), keepdims: 1 });
  return g.op('Div', [x, g.op('Sqrt', [g.op('Add', [meanSq, g.scalar('eps', 1e-8)])])]);
}

/**
 * How a class-conditional mapping gets its class: a third graph input c [B, cDim] (one-hot), or one class baked
 * in (Ganvas's generator contract takes z and psi only, so a package per class fits it today).
 */
export type ClassInput = { kind: 'input' } | { kind: 'fixed'; index: number };

/** Mapping: pixel norm (of z, and of the class embedding), fc layers, truncation toward w_avg with the graph's psi input. */
export function mappingOnnx(plan: MappingPlan, wAvg: Float32Array, cls: ClassInput | null = null): Uint8Array {
  const g = new GraphBuilder('mapping');
  const z = g.input('z', ['batch', plan.zDim]);
  const psi = g.input('psi', [1]);
  let x = pixelNorm(g, z);
  if (plan.embed) {
    if (!cls) throw new Error('a class-conditional mapping needs a class input or a fixed class');
    let c: string;
    if (cls.kind === 'input') {
      c = g.input('c', ['batch', plan.cDim]);
    } else {
      // One-hot of the chosen class, repeated over the batch as z's rows: (z·0) sums to a [B, 1] column of zeros.
      const oneHot = new Float32Array(plan.cDim);
      oneHot[cls.index] = 1;
      const zeros = g.op('ReduceSum', [g.op('Mul', [z, g.scalar('zero', 0)]), g.int64('axis1', [1])], { keepdims: 1 });
      c = g.op('Add', [zeros, g.const('class_one_hot', oneHot, [1, plan.cDim])]);
    }
    const e = g.op('Gemm', [c, g.const('embed.weight', plan.embed.weight.data, plan.embed.weight.shape), g.const('embed.bias', plan.embed.bias, [plan.embed.bias.length])], { transB: 1 });
    x = g.op('Concat', [x, pixelNorm(g, e)], { axis: 1 });
  }
  plan.layers.forEach((l, i) => {
    x = g.op('Gemm', [x, g.const(`fc${i}.weight`, l.weight.data, l.weight.shape), g.const(`fc${i}.bias`, l.bias, [l.bias.length])], { transB: 1 });
    if (l.lrelu) x = g.op('Mul', [g.op('LeakyRelu', [x], { alpha: { float: 0.2 } }), g.scalar('sqrt2', Math.SQRT2)]);
  });
  const avg = g.const('w_avg', wAvg, [plan.wDim]);
  const w = g.op('Add', [avg, g.op('Mul', [g.op('Sub', [x, avg]), psi])]);
  g.output(w, 'w', ['batch', plan.wDim]);
  return g.toBytes('StyleGAN2 mapping network imported by Ganvas');
}

/** [kh, kw] FIR → a depthwise ONNX Conv/ConvTranspose weight [c, 1, kh, kw], optionally flipped in both axes. */
function depthwise(f: Tensor, c: number, flip: boolean): { data: Float32Array; dims: number[] } {
  const [kh, kw] = f.shape as [number, number];
  const data = new Float32Array(c * kh * kw);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) data[ch * kh * kw + i * kw + j] = flip ? f.data[(kh - 1 - i) * kw + (kw - 1 - j)]! : f.data[i * kw + j]!;
    }
  }
  return { data, dims: [c, 1, kh, kw] };
}

/** [O, I, kh, kw] → [I, O, kh, kw] (ConvTranspose's layout), no flip. */
function swapInOut(w: Tensor): Float32Array {
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const k = kh * kw;
  const out = new Float32Array(w.data.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out.set(w.data.subarray((a * i + b) * k, (a * i + b + 1) * k), (b * o + a) * k);
  return out;
}

/** Σ over the kernel of W², as [I, O]: demodulation is then s² · this. */
function sumSquaresIO(w: Tensor): Float32Array {
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const k = kh * kw;
  const out = new Float32Array(i * o);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += w.data[(a * i + b) * k + q]! ** 2;
      out[b * o + a] = s;
    }
  }
  return out;
}

function styledConv(g: GraphBuilder, x: string, row: string, c: StyledConv, resolution: number): string {
  const [o, i, kh, kw] = c.weight.shape as [number, number, number, number];
  const n = c.name;
  const s = g.op('Gemm', [row, g.const(`${n}.affine.weight`, c.affineWeight, [i, c.affineWeight.length / i]), g.const(`${n}.affine.bias`, c.affineBias, [i])], { transB: 1 });
  const perChannel = g.int64('nc11', [0, -1, 1, 1]);
  let y: string;
  const xs = g.op('Mul', [x, g.op('Reshape', [s, perChannel])]);
  if (c.upFilter) {
    const t = g.op('ConvTranspose', [xs, g.const(`${n}.weight`, swapInOut(c.weight), [i, o, kh, kw])], { strides: ints([2, 2]), kernel_shape: ints([kh, kw]) });
    const f = depthwise(c.upFilter, o, true);
    y = g.op('Conv', [t, g.const(`${n}.fir`, f.data, f.dims)], { group: o, kernel_shape: ints(f.dims.slice(2)), pads: ints([1, 1, 1, 1]) });
  } else {
    const p = (kh - 1) / 2;
    y = g.op('Conv', [xs, g.const(`${n}.weight`, c.weight.data, c.weight.shape)], { kernel_shape: ints([kh, kw]), pads: ints([p, p, p, p]) });
  }
  if (c.demodulate) {
    const ss = g.op('MatMul', [g.op('Mul', [s, s]), g.const(`${n}.weight_sq`, sumSquaresIO(c.weight), [i, o])]);
    const d = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ss, g.scalar('eps', 1e-8)])])]);
    y = g.op('Mul', [y, g.op('Reshape', [d, perChannel])]);
  }
  if (c.noise) y = g.op('Add', [y, g.const(`${n}.noise`, c.noise, [1, 1, resolution, resolution])]);
  y = g.op('Add', [y, g.const(`${n}.bias`, c.bias, [1, o, 1, 1])]);
  if (c.activation === 'lrelu') y = g.op('LeakyRelu', [y], { alpha: { float: 0.2 } });
  if (c.actGain !== 1) y = g.op('Mul', [y, g.scalar(`${n}.act_gain`, c.actGain)]);
  if (c.clamp !== null) y = g.op('Clip', [y, g.scalar('clamp_lo', -c.clamp), g.scalar('clamp_hi', c.clamp)]);
  return y;
}

/** Synthesis: const → blocks; each ToRGB output is added to the ×2-upsampled image so far ('skip'), or only the last block has one ('orig'). */
export function synthesisOnnx(plan: Sg2Plan): Uint8Array {
  const g = new GraphBuilder('synthesis');
  const wDim = plan.mapping.wDim;
  const ws = g.input('ws', ['batch', plan.numWs, wDim]);
  const rows = Array.from({ length: plan.numWs }, (_, r) => g.op('Gather', [ws, g.int64(`row${r}`, [r], [])], { axis: 1 }));
  const batch = g.op('Slice', [g.op('Shape', [ws]), g.int64('start', [0]), g.int64('end', [1])]);
  const constant = g.const('const', plan.constInput.data, [1, ...plan.constInput.shape]);
  let x = g.op('Expand', [constant, g.op('Concat', [batch, g.int64('ones', [1, 1, 1])], { axis: 0 })]);
  let img: string | null = null;
  for (const b of plan.blocks) {
    if (b.conv0) x = styledConv(g, x, rows[b.conv0.row]!, b.conv0, b.resolution);
    x = styledConv(g, x, rows[b.conv1.row]!, b.conv1, b.resolution);
    if (!b.torgb) continue;
    const rgb = styledConv(g, x, rows[b.torgb.row]!, b.torgb, b.resolution);
    if (img && b.skipFilter) {
      // upfirdn2d up=2 with pads (2, 1) = ConvTranspose stride 2 with the unflipped filter, trimming 1 px per side.
      const c = b.torgb.weight.shape[0]!;
      const f = depthwise(b.skipFilter, c, false);
      const up = g.op('ConvTranspose', [img, g.const(`b${b.resolution}.skip_fir`, f.data, f.dims)], {
        group: c, strides: ints([2, 2]), kernel_shape: ints(f.dims.slice(2)), pads: ints([1, 1, 1, 1]),
      });
      img = g.op('Add', [up, rgb]);
    } else {
      img = rgb;
    }
  }
  const channels = plan.blocks[plan.blocks.length - 1]!.torgb!.weight.shape[0]!;
  g.output(img!, 'image', ['batch', channels, plan.resolution, plan.resolution]);
  return g.toBytes('StyleGAN2 synthesis network imported by Ganvas');
}
