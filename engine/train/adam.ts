import { tf } from '../nets/tf.js';
import type { WeightTensor } from '../nets/weights.js';

/**
 * Adam (Kingma & Ba) with its moments kept as plain tensors, so a checkpoint holds the optimiser exactly and
 * a resumed run continues bit for bit.
 */
export class Adam {
  private m: tf.Variable[];
  private v: tf.Variable[];
  t = 0;

  constructor(readonly vars: tf.Variable[], readonly lr: number, readonly beta1: number, readonly beta2: number, readonly eps = 1e-8) {
    this.m = vars.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = vars.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  step(grads: tf.Tensor[]): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const update = tf.div(tf.mul(m, this.lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        this.vars[i]!.assign(tf.sub(this.vars[i]!, update));
      });
    });
  }

  exportState(prefix: string): [string, WeightTensor][] {
    const out: [string, WeightTensor][] = [[`${prefix}t`, { shape: [1], data: new Float32Array([this.t]) }]];
    this.m.forEach((m, i) => out.push([`${prefix}m.${i}`, { shape: m.shape, data: m.dataSync() as Float32Array }]));
    this.v.forEach((v, i) => out.push([`${prefix}v.${i}`, { shape: v.shape, data: v.dataSync() as Float32Array }]));
    return out;
  }

  loadState(w: Map<string, WeightTensor>, prefix: string): void {
    this.t = w.get(`${prefix}t`)!.data[0]!;
    const set = (vars: tf.Variable[], key: string) => vars.forEach((x, i) => {
      const t = w.get(`${prefix}${key}.${i}`);
      if (!t || t.data.length !== x.size) throw new Error(`checkpoint lacks optimiser state ${prefix}${key}.${i}`);
      const v = tf.tensor(t.data, x.shape);
      x.assign(v);
      v.dispose();
    });
    set(this.m, 'm');
    set(this.v, 'v');
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
