/**
 * A StyleGAN2 generator (NVlabs StyleGAN2-ADA or rosinality) as one neutral plan: every gain folded into the
 * weights, every filter and noise image ready to become an ONNX constant. Both families compute the same maths
 * under different names (fixtures README §1b and §2c), so one graph writer (stylegan2-onnx.ts) serves both.
 */
import { EngineError } from '../api/errors.js';
import type { StyleGanCheckpoint, Tensor } from './stylegan-checkpoint.js';

/** A modulated conv: style s = w·Aᵀ + b; y = conv(x·s, W) (· demodulation), then noise, bias, activation, clamp. */
export interface StyledConv {
  name: string;
  /** The ws row that styles it. */
  row: number;
  /** [O, I, k, k] with its weight gain applied. */
  weight: Tensor;
  /** [I, wDim] and [I], gains applied (for ToRGB the style gain too). */
  affineWeight: Float32Array;
  affineBias: Float32Array;
  demodulate: boolean;
  /**
   * Upsampling ×2: transposed conv (stride 2, no padding, weight as [I, O, k, k]), then this FIR [kh, kw]
   * (true convolution, gain included) with padding 1 on every side.
   */
  upFilter: Tensor | null;
  /** noise_const · strength, [R, R]; null: no noise. */
  noise: Float32Array | null;
  bias: Float32Array;
  /** 'lrelu': leaky ReLU with slope 0.2; 'linear': none. Either way the result is multiplied by actGain (√2 for lrelu). */
  activation: 'lrelu' | 'linear';
  actGain: number;
  clamp: number | null;
}

export interface PlanBlock {
  resolution: number;
  conv0: StyledConv | null;
  conv1: StyledConv;
  /** null for the inner blocks of the 'orig' architecture, where only the last block makes an image. */
  torgb: StyledConv | null;
  /** The FIR that upsamples the previous image ×2 (gain included): zero insertion, pad 2 before / 1 after. */
  skipFilter: Tensor | null;
}

export interface MappingPlan {
  /** [out, in] and [out], gains applied. */
  layers: { weight: Tensor; bias: Float32Array; lrelu: boolean }[];
  zDim: number;
  wDim: number;
  /** Class-conditional models: c [B, cDim] → embedding [B, E] (gains applied), normalised and appended to z. */
  embed: { weight: Tensor; bias: Float32Array } | null;
  cDim: number;
}

export interface Sg2Plan {
  mapping: MappingPlan;
  /** The constant input [C, 4, 4]. */
  constInput: Tensor;
  blocks: PlanBlock[];
  numWs: number;
  resolution: number;
}

const scaled = (a: Float32Array, k: number) => a.map((v) => v * k);
const t = (shape: number[], data: Float32Array): Tensor => ({ shape, data });

function unsupported(ck: StyleGanCheckpoint, why: string): never {
  throw new EngineError('bad_model', `${ck.fileName}: ${why}`);
}

export function planMapping(ck: StyleGanCheckpoint): MappingPlan {
  let embed: MappingPlan['embed'] = null;
  if (ck.config.cDim > 0) {
    const w = ck.tensors.get('mapping.embed.weight')!, b = ck.tensors.get('mapping.embed.bias')!;
    const a = ck.modules.get('mapping.embed')?.attrs ?? {};
    const wg = typeof a.weight_gain === 'number' ? a.weight_gain : 1 / Math.sqrt(ck.config.cDim);
    const bg = typeof a.bias_gain === 'number' ? a.bias_gain : 1;
    embed = { weight: t(w.shape, scaled(w.data, wg)), bias: scaled(b.data, bg) };
  }
  return {
    zDim: ck.config.zDim, wDim: ck.config.wDim, embed, cDim: ck.config.cDim,
    layers: ck.mapping.map((l) => {
      const w = ck.tensors.get(l.weight)!, b = ck.tensors.get(l.bias)!;
      return { weight: t(w.shape, scaled(w.data, l.weightGain)), bias: scaled(b.data, l.biasGain), lrelu: l.activation === 'lrelu' };
    }),
  };
}

export function planSynthesis(ck: StyleGanCheckpoint): Sg2Plan {
  if (ck.format === 'stylegan2-ada') return planNvlabs(ck);
  if (ck.format === 'rosinality') return planRosinality(ck);
  unsupported(ck, `${ck.format} synthesis is not converted yet (StyleGAN2-ADA and rosinality are)`);
}

function planNvlabs(ck: StyleGanCheckpoint): Sg2Plan {
  // 'orig' is 'skip' without the inner ToRGBs (only the last block makes the image). 'resnet' adds residual
  // skips with √½ gains; no reference file exists to check a conversion of it against, so it is refused.
  const arch = ck.config.architecture;
  if (arch !== 'skip' && arch !== 'orig') unsupported(ck, `its synthesis architecture is '${arch}'; 'skip' (the StyleGAN2 default) and 'orig' are converted, 'resnet' not yet`);
  const T = (name: string) => ck.tensors.get(name)!;
  const gain = (path: string, key: string, fallback: number) => {
    const v = ck.modules.get(path)?.attrs[key];
    return typeof v === 'number' ? v : fallback;
  };
  const styled = (path: string, row: number, isTorgb: boolean, up: boolean): StyledConv => {
    const w = T(`${path}.weight`);
    const affine = `${path}.affine`;
    const aw = T(`${affine}.weight`), ab = T(`${affine}.bias`);
    // Style gain: the affine layer's own gains, times ToRGB's weight_gain (1/√(I·k²)) which scales the styles.
    const styleGain = isTorgb ? gain(path, 'weight_gain', 1 / Math.sqrt(w.data.length / w.shape[0]!)) : 1;
    const a = gain(affine, 'weight_gain', 1 / Math.sqrt(aw.shape[1]!)) * styleGain, b = gain(affine, 'bias_gain', 1) * styleGain;
    const noise = ck.noise.get(path);
    const clampAttr = ck.modules.get(path)?.attrs.conv_clamp;
    return {
      name: path, row, weight: w, affineWeight: scaled(aw.data, a), affineBias: scaled(ab.data, b), demodulate: !isTorgb,
      upFilter: up ? upFilterOf(T(`${path}.resample_filter`)) : null,
      noise: noise ? scaled(noise.const.data, noise.strength) : null,
      bias: T(`${path}.bias`).data,
      activation: isTorgb || ck.modules.get(path)?.attrs.activation === 'linear' ? 'linear' : 'lrelu',
      actGain: isTorgb ? 1 : gain(path, 'act_gain', Math.SQRT2),
      clamp: typeof clampAttr === 'number' ? clampAttr : null,
    };
  };
  // NVlabs stores the unit-gain FIR; upsampling ×2 multiplies it by up² = 4.
  const upFilterOf = (f: Tensor) => t(f.shape, scaled(f.data, 4));
  const blocks: PlanBlock[] = [];
  let k = 0;
  for (let r = 4; r <= ck.config.resolution; r *= 2, k++) {
    const b = `synthesis.b${r}`;
    const filter = T(`${b}.resample_filter`);
    blocks.push({
      resolution: r,
      conv0: r === 4 ? null : styled(`${b}.conv0`, 2 * k - 1, false, true),
      conv1: styled(`${b}.conv1`, 2 * k, false, false),
      torgb: arch === 'skip' || r === ck.config.resolution ? styled(`${b}.torgb`, 2 * k + 1, true, false) : null,
      skipFilter: r === 4 || arch !== 'skip' ? null : upFilterOf(filter),
    });
  }
  const c = T('synthesis.b4.const');
  return { mapping: planMapping(ck), constInput: c, blocks, numWs: ck.config.numWs, resolution: ck.config.resolution };
}

function planRosinality(ck: StyleGanCheckpoint): Sg2Plan {
  const T = (name: string) => ck.tensors.get(name)!;
  const styled = (path: string, row: number, isTorgb: boolean, up: boolean): StyledConv => {
    const w5 = T(`${path}.conv.weight`); // [1, O, I, k, k]
    const [, o, i, kh, kw] = w5.shape as [number, number, number, number, number];
    const aw = T(`${path}.conv.modulation.weight`), ab = T(`${path}.conv.modulation.bias`);
    // EqualLinear (lr_mul 1): W/√in, bias as stored. ModulatedConv2d: weight × 1/√(I·k²), folded into W here.
    const noise = ck.noise.get(path);
    return {
      name: path, row,
      weight: t([o, i, kh, kw], scaled(w5.data, 1 / Math.sqrt(i * kh * kw))),
      affineWeight: scaled(aw.data, 1 / Math.sqrt(aw.shape[1]!)), affineBias: ab.data,
      demodulate: !isTorgb,
      upFilter: up ? T(`${path}.conv.blur.kernel`) : null,
      noise: noise ? scaled(noise.const.data, noise.strength) : null,
      bias: isTorgb ? T(`${path}.bias`).data : T(`${path}.activate.bias`).data,
      activation: isTorgb ? 'linear' : 'lrelu',
      actGain: isTorgb ? 1 : Math.SQRT2,
      clamp: null,
    };
  };
  const blocks: PlanBlock[] = [{ resolution: 4, conv0: null, conv1: styled('conv1', 0, false, false), torgb: styled('to_rgb1', 1, true, false), skipFilter: null }];
  let k = 1;
  for (let r = 8; r <= ck.config.resolution; r *= 2, k++) {
    blocks.push({
      resolution: r,
      conv0: styled(`convs.${2 * k - 2}`, 2 * k - 1, false, true),
      conv1: styled(`convs.${2 * k - 1}`, 2 * k, false, false),
      torgb: styled(`to_rgbs.${k - 1}`, 2 * k + 1, true, false),
      skipFilter: T(`to_rgbs.${k - 1}.upsample.kernel`),
    });
  }
  const c = T('input.input');
  return { mapping: planMapping(ck), constInput: t(c.shape.slice(1), c.data), blocks, numWs: ck.config.numWs, resolution: ck.config.resolution };
}
