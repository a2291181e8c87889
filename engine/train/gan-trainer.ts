import { Discriminator } from '../nets/discriminator.js';
import { Generator, type GeneratorConfig } from '../nets/generator.js';
import { tf } from '../nets/tf.js';
import type { Weights, WeightTensor } from '../nets/weights.js';
import { Adam } from './adam.js';
import { diffAugment, type Augment } from './augment.js';
import { fineTuneRecipe, type Recipe } from './recipe.js';

/** One run's settings: engine/train/recipe.json's fine-tuning recipe (`defaultTrainConfig`), flattened, and a seed. */
export interface TrainConfig {
  batch: number;
  lrG: number;
  lrD: number;
  adam: Recipe['adam'];
  /** R1 weight γ; the penalty runs every `r1Every` D steps, scaled up to match (lazy regularisation). */
  r1Gamma: number;
  r1Every: number;
  styleMixing: number;
  noise: Recipe['noise'];
  /** Half-life of the EMA of G's weights, in thousands of images, and its optional ramp-up (see Recipe). */
  emaKimg: number;
  emaRampUp: number | null;
  wAvgBeta: number;
  augment: Augment[];
  seed: number;
}

export function trainConfig(r: Recipe, seed = 0): TrainConfig {
  return {
    batch: r.batch, lrG: r.lr.G, lrD: r.lr.D, adam: r.adam, r1Gamma: r.r1.gamma, r1Every: r.r1.every, styleMixing: r.styleMixing,
    noise: r.noise, emaKimg: r.ema.halfLifeKimg, emaRampUp: r.ema.rampUp, wAvgBeta: r.wAvgBeta, augment: r.augment, seed,
  };
}

export const defaultTrainConfig: TrainConfig = trainConfig(fineTuneRecipe());

export class TrainingDiverged extends Error {}

export interface StepStats { lossG: number; lossD: number; r1: number | null }

/** Deterministic per-step seeds: the same (seed, step, purpose) always draws the same numbers, across a resume. */
export const mix = (seed: number, step: number, k: number) => (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0;

/**
 * The GAN training loop of StyleGAN2: non-saturating logistic loss, lazy R1 on reals, Adam (β1 = 0, β2 = 0.99),
 * an EMA of G for sampling, DiffAugment on everything D sees. All randomness comes from per-step seeds and the
 * whole state is checkpointable, so a resumed run continues bit for bit.
 */
export class GanTrainer {
  readonly G: Generator;
  readonly D: Discriminator;
  readonly Gema: Generator;
  private readonly optG: Adam;
  private readonly optD: Adam;
  step = 0;

  constructor(readonly gConfig: GeneratorConfig, readonly config: TrainConfig, private readonly data: { images: Uint8Array; count: number }) {
    this.G = new Generator(gConfig, config.seed);
    this.Gema = new Generator(gConfig, config.seed);
    this.D = new Discriminator({ resolution: gConfig.resolution, channels: gConfig.channels }, config.seed);
    // Lazy R1 makes D's steps longer; its rate and β2 are scaled as in StyleGAN2 (c = every / (every + 1)).
    const { beta1, beta2, eps } = config.adam;
    const c = config.r1Every / (config.r1Every + 1);
    this.optG = new Adam(this.G.trainableVariables(), config.lrG, beta1, beta2, eps);
    this.optD = new Adam(this.D.trainableVariables(), config.lrD * c, beta1 ** c, beta2 ** c, eps);
    this.copyInto(this.Gema, this.G);
  }

  /** Starts from a model's weights (fine-tuning): G and its EMA from G_ema, D from D when the package has one. */
  loadModel(weights: Weights): void {
    this.G.load(weights, 'G_ema.');
    this.Gema.load(weights, 'G_ema.');
    if ([...weights.keys()].some((k) => k.startsWith('D.'))) this.D.load(weights, 'D.');
  }

  get imagesSeen(): number {
    return this.step * this.config.batch;
  }

  private copyInto(to: Generator, from: Generator): void {
    const src = new Map([...from.namedParams()].map(([n, p]) => [n, p.variable]));
    for (const [n, p] of to.namedParams()) p.variable.assign(src.get(n)!);
  }

  private reals(): tf.Tensor4D {
    const { batch } = this.config;
    const r = this.gConfig.resolution;
    const pick = tf.randomUniform([batch], 0, this.data.count, 'float32', mix(this.config.seed, this.step, 1)).dataSync();
    const out = new Float32Array(batch * r * r * 3);
    for (let i = 0; i < batch; i++) {
      const at = Math.floor(pick[i]!) * r * r * 3;
      for (let j = 0; j < r * r * 3; j++) out[i * r * r * 3 + j] = this.data.images[at + j]! / 127.5 - 1;
    }
    return tf.tensor4d(out, [batch, r, r, 3]);
  }

  private latents(k: number): tf.Tensor2D {
    return tf.randomNormal([this.config.batch, this.gConfig.zDim], 0, 1, 'float32', mix(this.config.seed, this.step, k)) as tf.Tensor2D;
  }

  /** The ws[B, L, W] that fakes number k of this step are rendered from. */
  fakeWs(k: number): tf.Tensor3D {
    return this.styleMix(this.G.broadcast(this.G.mapping.forward(this.latents(k))), k);
  }

  private fakes(k: number): tf.Tensor4D {
    return this.G.synthesis.forward(this.fakeWs(k), this.config.noise);
  }

  /**
   * Style mixing regularisation (StyleGAN §3.1): with probability `styleMixing` the rows from a random cut on take
   * w of a second latent, so that no layer range relies on its neighbours' style.
   */
  private styleMix(ws: tf.Tensor3D, k: number): tf.Tensor3D {
    if (this.config.styleMixing <= 0) return ws;
    const [draw, at] = tf.randomUniform([2], 0, 1, 'float32', mix(this.config.seed, this.step, 100 + k)).dataSync();
    if (draw! >= this.config.styleMixing) return ws;
    const cut = 1 + Math.floor(at! * (this.G.numWs - 1)); // 1 … numWs − 1, as torch.randint(1, num_ws)
    const w2 = this.G.broadcast(this.G.mapping.forward(this.latents(200 + k)));
    return tf.concat([tf.slice(ws, [0, 0, 0], [-1, cut, -1]), tf.slice(w2, [0, cut, 0], [-1, -1, -1])], 1) as tf.Tensor3D;
  }

  private augment(x: tf.Tensor4D, k: number): tf.Tensor4D {
    return this.config.augment.length ? diffAugment(x, this.config.augment, mix(this.config.seed, this.step, k)) : x;
  }

  trainStep(): StepStats {
    const { r1Every, r1Gamma } = this.config;
    // G: non-saturating loss, softplus(−D(G(z))).
    const g = tf.variableGrads(() => tf.mean(tf.softplus(tf.neg(this.D.forward(this.augment(this.fakes(2), 3))))) as tf.Scalar, this.G.trainableVariables());
    const lossG = g.value.dataSync()[0]!;
    this.optG.step(this.G.trainableVariables().map((v) => g.grads[v.name] ?? tf.zerosLike(v)));
    tf.dispose([g.value, ...Object.values(g.grads)]);

    // D: softplus(D(fake)) + softplus(−D(real)), plus γ/2·‖∇D(real)‖² every r1Every steps.
    const doR1 = this.step % r1Every === 0;
    let r1 = null as number | null;
    const fake = tf.tidy(() => this.fakes(4));
    const real = this.reals();
    const d = tf.variableGrads(() => {
      const realAug = this.augment(real, 6);
      let loss = tf.add(tf.mean(tf.softplus(this.D.forward(this.augment(fake, 5)))), tf.mean(tf.softplus(tf.neg(this.D.forward(realAug)))));
      if (doR1) {
        const grad = tf.grad((x: tf.Tensor) => tf.sum(this.D.forward(x as tf.Tensor4D)))(realAug);
        const penalty = tf.mean(tf.sum(tf.square(grad), [1, 2, 3]));
        r1 = penalty.dataSync()[0]!;
        loss = tf.add(loss, tf.mul(penalty, (r1Gamma / 2) * r1Every));
      }
      return loss as tf.Scalar;
    }, this.D.trainableVariables());
    const lossD = d.value.dataSync()[0]!;
    this.optD.step(this.D.trainableVariables().map((v) => d.grads[v.name] ?? tf.zerosLike(v)));
    tf.dispose([d.value, ...Object.values(d.grads), fake, real]);

    if (!Number.isFinite(lossG) || !Number.isFinite(lossD)) {
      throw new TrainingDiverged(`training diverged at step ${this.step + 1} (G loss ${lossG}, D loss ${lossD})`);
    }
    this.updateEma();
    tf.tidy(() => {
      const z = tf.randomNormal([this.config.batch, this.gConfig.zDim], 0, 1, 'float32', mix(this.config.seed, this.step, 7)) as tf.Tensor2D;
      this.G.mapping.trackAverage(this.G.mapping.forward(z), this.config.wAvgBeta);
    });
    this.step++;
    return { lossG, lossD, r1 };
  }

  /** Images over which the EMA halves its distance to G, after `step` steps. */
  private emaHalfLife(): number {
    const { emaKimg, emaRampUp, batch } = this.config;
    const full = emaKimg * 1000;
    return emaRampUp === null ? full : Math.min(full, (this.step + 1) * batch * emaRampUp + 1);
  }

  private updateEma(): void {
    const beta = 0.5 ** (this.config.batch / Math.max(1e-8, this.emaHalfLife()));
    const src = new Map([...this.G.namedParams()].map(([n, p]) => [n, p.variable]));
    tf.tidy(() => {
      for (const [n, p] of this.Gema.namedParams()) {
        const s = src.get(n)!;
        p.variable.assign(p.trainable ? tf.add(s, tf.mul(tf.sub(p.variable, s), beta)) : s);
      }
    });
  }

  /**
   * The settings this trainer runs with, read back from its optimisers and config (D's rate and β2 with the lazy-R1
   * scaling undone), in the recipe's shape: test/train.test.ts compares them with engine/train/recipe.json.
   */
  effectiveSettings(): Recipe {
    const c = this.config.r1Every / (this.config.r1Every + 1);
    return {
      batch: this.config.batch,
      lr: { G: this.optG.lr, D: this.optD.lr / c },
      adam: { beta1: this.optG.beta1, beta2: this.optG.beta2, eps: this.optG.eps },
      r1: { gamma: this.config.r1Gamma, every: this.config.r1Every },
      styleMixing: this.config.styleMixing,
      noise: this.config.noise,
      ema: { halfLifeKimg: this.config.emaKimg, rampUp: this.config.emaRampUp },
      wAvgBeta: this.config.wAvgBeta,
      augment: this.config.augment,
    };
  }

  /** The whole training state: nets, EMA, optimiser moments and the step. */
  checkpoint(): [string, WeightTensor][] {
    return [
      ['step', { shape: [1], data: new Float32Array([this.step]) }],
      ...this.G.exportWeights('G.'), ...this.Gema.exportWeights('G_ema.'), ...this.D.exportWeights('D.'),
      ...this.optG.exportState('optG.'), ...this.optD.exportState('optD.'),
    ];
  }

  restore(w: Weights): void {
    this.G.load(w, 'G.');
    this.Gema.load(w, 'G_ema.');
    this.D.load(w, 'D.');
    this.optG.loadState(w, 'optG.');
    this.optD.loadState(w, 'optD.');
    this.step = w.get('step')!.data[0]!;
  }

  dispose(): void {
    for (const m of [this.G, this.Gema, this.D]) m.dispose();
    this.optG.dispose();
    this.optD.dispose();
  }
}
