import { tf } from './tf.js';
import { WeightFileError, type Weights, type WeightTensor } from './weights.js';

/**
 * How a parameter is laid out in tfjs compared with weight files and ONNX (which share PyTorch's layout):
 * conv kernels are [kh, kw, in, out] in tfjs and [out, in, kh, kw] in files; 'chw' maps [H, W, C] to [C, H, W].
 */
export type Layout = 'plain' | 'conv' | 'chw';

const TO_FILE: Record<Layout, number[] | null> = { plain: null, conv: [3, 2, 0, 1], chw: [2, 0, 1] };
const FROM_FILE: Record<Layout, number[] | null> = { plain: null, conv: [2, 3, 1, 0], chw: [1, 2, 0] };

interface Param { variable: tf.Variable; layout: Layout; trainable: boolean }

/** Each parameter's layout, for the interpreters (engine/nets/ops.ts) that see it through `ops.param(variable)`. */
const layouts = new WeakMap<tf.Variable, Layout>();
export const layoutOf = (v: tf.Variable): Layout => layouts.get(v) ?? 'plain';
/** tfjs axis j of a parameter holds its file (logical) axis LOGICAL_AXES[layout][j]; null: the same order. */
export const LOGICAL_AXES = FROM_FILE;

/** A named tree of parameters, as in torch.nn.Module: names match the weight files the pretraining scripts write. */
export abstract class Module {
  private readonly params = new Map<string, Param>();
  private readonly children = new Map<string, Module>();
  private parent: { module: Module; key: string } | null = null;

  /** Where this module sits in its net, e.g. 'synthesis.blocks.2.conv0', for shape errors. */
  get where(): string {
    const path: string[] = [];
    for (let m: Module | null = this; m?.parent; m = m.parent.module) path.unshift(m.parent.key);
    return `${this.constructor.name}${path.length ? ` ${path.join('.')}` : ''}`;
  }

  protected param(key: string, init: tf.Tensor, layout: Layout = 'plain', trainable = true): tf.Variable {
    // Variables keep tfjs' generated names: explicit names must be unique across every model in the process.
    const variable = tf.variable(init, trainable);
    init.dispose();
    layouts.set(variable, layout);
    this.params.set(key, { variable, layout, trainable });
    return variable;
  }

  protected child<M extends Module>(key: string, m: M): M {
    this.children.set(key, m);
    m.parent = { module: this, key };
    return m;
  }

  *namedParams(prefix = ''): Generator<[string, Param]> {
    for (const [k, p] of this.params) yield [prefix + k, p];
    for (const [k, c] of this.children) yield* c.namedParams(`${prefix}${k}.`);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.namedParams()].filter(([, p]) => p.trainable).map(([, p]) => p.variable);
  }

  /** Loads every parameter from `weights` (names prefixed by `prefix`); refuses missing or misshapen tensors. */
  load(weights: Weights, prefix: string): void {
    const updates: [tf.Variable, tf.Tensor][] = [];
    try {
      for (const [name, p] of this.namedParams(prefix)) {
        const t = weights.get(name);
        if (!t) throw new WeightFileError(`weights lack ${name}`);
        const perm = FROM_FILE[p.layout];
        const fileShape = perm ? TO_FILE[p.layout]!.map((i) => p.variable.shape[i]!) : p.variable.shape;
        if (t.shape.join(',') !== fileShape.join(',')) {
          throw new WeightFileError(`${name} has shape [${t.shape}] but the net needs [${fileShape}]`);
        }
        const raw = tf.tensor(t.data, t.shape);
        updates.push([p.variable, perm ? tf.transpose(raw, perm) : raw]);
        if (perm) raw.dispose();
      }
      for (const [v, t] of updates) v.assign(t);
    } finally {
      for (const [, t] of updates) t.dispose();
    }
  }

  /** Every parameter in file layout, for writing weight files (fine-tuning) and ONNX constants. */
  exportWeights(prefix: string): [string, WeightTensor][] {
    return [...this.namedParams(prefix)].map(([name, p]) => [name, fileTensor(p.variable, p.layout)]);
  }

  dispose(): void {
    for (const [, p] of this.namedParams()) p.variable.dispose();
  }
}

export function fileTensor(v: tf.Tensor, layout: Layout): WeightTensor {
  const perm = TO_FILE[layout];
  const t = perm ? tf.transpose(v, perm) : v;
  try {
    return { shape: t.shape, data: t.dataSync() as Float32Array };
  } finally {
    if (perm) t.dispose();
  }
}
