/**
 * The style (affine) weights of an imported generator's modulated convs by ws row, for SeFa (closed-form
 * factorisation of the w → style maps). Layout and row convention are those of
 * engine/edit/generator-runner.ts `affineWeights`: [in = wDim, out = channels], effective gains applied.
 * Rows that only feed a ToRGB (or SG3's input transform) have no entry: SeFa uses the convs' styles.
 */
import type { StyleGanCheckpoint, Tensor } from './stylegan-checkpoint.js';

export interface StyleWeights { data: Float32Array; inDim: number; outDim: number }

/** [out, in] · gain → [in, out]. */
function transposed(w: Tensor, gain: number): StyleWeights {
  const [out, inn] = w.shape as [number, number];
  const data = new Float32Array(out * inn);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) data[i * out + o] = w.data[o * inn + i]! * gain;
  return { data, inDim: inn, outDim: out };
}

export function styleWeightsByRow(ck: StyleGanCheckpoint): Map<number, StyleWeights> {
  const rows = new Map<number, StyleWeights>();
  const nvGain = (path: string, w: Tensor) => {
    const g = ck.modules.get(path)?.attrs.weight_gain;
    return typeof g === 'number' ? g : 1 / Math.sqrt(w.shape[1]!);
  };
  const add = (row: number, name: string, gain: (w: Tensor) => number) => {
    const w = ck.tensors.get(name);
    if (w) rows.set(row, transposed(w, gain(w)));
  };
  if (ck.format === 'rosinality') {
    add(0, 'conv1.conv.modulation.weight', (w) => 1 / Math.sqrt(w.shape[1]!));
    for (let k = 0; ck.tensors.has(`convs.${k}.conv.modulation.weight`); k++) add(k + 1, `convs.${k}.conv.modulation.weight`, (w) => 1 / Math.sqrt(w.shape[1]!));
  } else if (ck.sg3) {
    ck.sg3.layers.forEach((l, i) => {
      if (!l.isTorgb) add(i + 1, `synthesis.${l.name}.affine.weight`, (w) => nvGain(`synthesis.${l.name}.affine`, w));
    });
  } else {
    let k = 0;
    for (let r = 4; r <= ck.config.resolution; r *= 2, k++) {
      if (r > 4) add(2 * k - 1, `synthesis.b${r}.conv0.affine.weight`, (w) => nvGain(`synthesis.b${r}.conv0.affine`, w));
      add(2 * k, `synthesis.b${r}.conv1.affine.weight`, (w) => nvGain(`synthesis.b${r}.conv1.affine`, w));
    }
  }
  return rows;
}
