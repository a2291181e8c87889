import type * as Ort from 'onnxruntime-node';
import { Discriminator } from '../../nets/discriminator.js';
import type { EmittedGraph } from '../../nets/autodiff/emit-onnx.js';
import { Generator, type GeneratorConfig } from '../../nets/generator.js';
import { fileTensor, layoutOf, LOGICAL_AXES, type Layout } from '../../nets/module.js';
import { tf } from '../../nets/tf.js';
import type { WeightTensor } from '../../nets/weights.js';
import { mix, TrainingDiverged, type StepStats, type TrainConfig } from '../gan-trainer.js';
import { adamScalars, type AdamHyper } from './adam-graph.js';
import { augmentDraws } from './augment-graph.js';
import { dStepGraph, emaGraph, gStepGraph, next, type PhaseSpec } from './step-graphs.js';

/** D's rate and β's are scaled for lazy R1 as in StyleGAN2 (c = every / (every + 1)), as GanTrainer does. */
const lazyR1 = (config: TrainConfig) => config.r1Every / (config.r1Every + 1);
function adamHypers(config: TrainConfig): { optG: AdamHyper; optD: AdamHyper } {
  const { beta1, beta2, eps } = config.adam;
  const c = lazyR1(config);
  return { optG: { beta1, beta2, eps }, optD: { beta1: beta1 ** c, beta2: beta2 ** c, eps } };
}

export interface OrtTrainerOptions {
  /** onnxruntime execution providers, in order of preference ('cpu' always works). */
  executionProviders?: string[];
  intraOpNumThreads?: number;
}

/**
 * StyleGAN2's loop as GanTrainer runs it (same losses, Adam settings, per-step seeds and checkpoint format), but
 * every phase is one onnxruntime run of a graph from step-graphs.ts: weights and Adam moments live as onnxruntime
 * tensors and each run's outputs become the next run's inputs. JavaScript only draws the step's latents and picks
 * its real images and DiffAugment's random draws (augment-graph.ts).
 */
export class OrtGanTrainer {
  step = 0;
  private readonly state = new Map<string, Ort.Tensor>();
  private adamSteps = { optG: 0, optD: 0 };
  private readonly lr: { optG: number; optD: number };
  private readonly hyper: { optG: AdamHyper; optD: AdamHyper };

  private constructor(
    private readonly ort: typeof Ort,
    readonly gConfig: GeneratorConfig,
    readonly config: TrainConfig,
    private readonly data: { images: Uint8Array; count: number },
    private readonly sessions: { g: Ort.InferenceSession; d: Ort.InferenceSession; dR1: Ort.InferenceSession; ema: Ort.InferenceSession },
    /** GanTrainer's checkpoints hold Adam moments in tfjs memory order; the graphs take them in file order. */
    private readonly momentLayouts: Map<string, Layout>,
  ) {
    this.lr = { optG: config.lrG, optD: config.lrD * lazyR1(config) };
    this.hyper = adamHypers(config);
  }

  /** Builds and loads the phase graphs; state comes from a GanTrainer-format checkpoint (`checkpoint()`). */
  static async create(gConfig: GeneratorConfig, config: TrainConfig, data: { images: Uint8Array; count: number }, checkpoint: [string, WeightTensor][], options: OrtTrainerOptions = {}): Promise<OrtGanTrainer> {
    // tfjs draws random noise unseeded, so no other engine could reproduce it, nor a resume: refused, tfjs runs it.
    if (config.noise !== 'const') throw new Error(`the onnxruntime trainer trains with stored noise only (asked for ${config.noise} noise)`);
    const ort = await import('onnxruntime-node');
    const graphs = OrtGanTrainer.graphs(gConfig, config);
    const momentLayouts = OrtGanTrainer.momentLayouts(gConfig);
    const open = (g: EmittedGraph) => ort.InferenceSession.create(g.bytes, {
      executionProviders: options.executionProviders ?? ['cpu'], intraOpNumThreads: options.intraOpNumThreads ?? 2, graphOptimizationLevel: 'all',
    });
    const sessions = { g: await open(graphs.g), d: await open(graphs.d), dR1: await open(graphs.dR1), ema: await open(graphs.ema) };
    const trainer = new OrtGanTrainer(ort, gConfig, config, data, sessions, momentLayouts);
    trainer.restore(checkpoint);
    return trainer;
  }

  /** The four phase graphs, traced from nets of this configuration (their weights are never read). */
  static graphs(gConfig: GeneratorConfig, config: TrainConfig): { g: EmittedGraph; d: EmittedGraph; dR1: EmittedGraph; ema: EmittedGraph } {
    const G = new Generator(gConfig, 0);
    const D = new Discriminator({ resolution: gConfig.resolution, channels: gConfig.channels }, 0);
    try {
      const hyper = adamHypers(config);
      const spec: PhaseSpec = {
        G, D, batch: config.batch, augment: config.augment, adamG: hyper.optG, adamD: hyper.optD, styleMixing: config.styleMixing > 0, wAvgBeta: config.wAvgBeta,
      };
      return { g: gStepGraph(spec), d: dStepGraph(spec, null), dR1: dStepGraph(spec, (config.r1Gamma / 2) * config.r1Every), ema: emaGraph(spec) };
    } finally {
      G.dispose();
      D.dispose();
    }
  }

  private static momentLayouts(gConfig: GeneratorConfig): Map<string, Layout> {
    const G = new Generator(gConfig, 0);
    const D = new Discriminator({ resolution: gConfig.resolution, channels: gConfig.channels }, 0);
    const out = new Map<string, Layout>();
    for (const [opt, net] of [['optG', G], ['optD', D]] as const) {
      net.trainableVariables().forEach((v, i) => {
        out.set(`${opt}.m.${i}`, layoutOf(v));
        out.set(`${opt}.v.${i}`, layoutOf(v));
      });
    }
    G.dispose();
    D.dispose();
    return out;
  }

  get imagesSeen(): number {
    return this.step * this.config.batch;
  }

  private tensor(data: Float32Array, dims: readonly number[]): Ort.Tensor {
    return new this.ort.Tensor('float32', data, dims);
  }

  private latents(k: number): Ort.Tensor {
    const z = tf.randomNormal([this.config.batch, this.gConfig.zDim], 0, 1, 'float32', mix(this.config.seed, this.step, k));
    const t = this.tensor(z.dataSync() as Float32Array, z.shape);
    z.dispose();
    return t;
  }

  /** The same images GanTrainer picks for this step, as NCHW. */
  private reals(): Ort.Tensor {
    const { batch } = this.config;
    const r = this.gConfig.resolution;
    const u = tf.randomUniform([batch], 0, this.data.count, 'float32', mix(this.config.seed, this.step, 1));
    const pick = u.dataSync();
    u.dispose();
    const out = new Float32Array(batch * 3 * r * r);
    for (let i = 0; i < batch; i++) {
      const at = Math.floor(pick[i]!) * r * r * 3;
      for (let p = 0; p < r * r; p++) for (let c = 0; c < 3; c++) out[((i * 3 + c) * r * r) + p] = this.data.images[at + p * 3 + c]! / 127.5 - 1;
    }
    return this.tensor(out, [batch, 3, r, r]);
  }

  private adamFeeds(opt: 'optG' | 'optD'): Record<string, Ort.Tensor> {
    const s = adamScalars(this.lr[opt], this.hyper[opt], ++this.adamSteps[opt]);
    return { [`${opt}.lr_c1`]: this.tensor(new Float32Array([s.lrOverC1]), []), [`${opt}.c2`]: this.tensor(new Float32Array([s.c2]), []) };
  }

  /** Runs a phase: inputs from the state or `extra`; every `next:` output replaces its state entry. */
  private async run(session: Ort.InferenceSession, extra: Record<string, Ort.Tensor>): Promise<Record<string, number>> {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const name of session.inputNames) {
      const v = extra[name] ?? this.state.get(name);
      if (!v) throw new Error(`onnxruntime trainer: nothing to feed ${name}`);
      feeds[name] = v;
    }
    const out = await session.run(feeds);
    const scalars: Record<string, number> = {};
    for (const [name, t] of Object.entries(out)) {
      if (name.startsWith('next:')) this.state.set(name.slice(5), t);
      else scalars[name] = (t.data as Float32Array)[0]!;
    }
    return scalars;
  }

  /** z (and with style mixing z2 and the row mask) for fakes number k, drawn as GanTrainer.fakeWs draws them. */
  private fakeFeeds(k: number): Record<string, Ort.Tensor> {
    const feeds: Record<string, Ort.Tensor> = { z: this.latents(k) };
    if (this.config.styleMixing <= 0) return feeds;
    const L = 2 * Math.log2(this.gConfig.resolution) - 2;
    const u = tf.randomUniform([2], 0, 1, 'float32', mix(this.config.seed, this.step, 100 + k));
    const [draw, at] = u.dataSync();
    u.dispose();
    const rows = new Float32Array(L);
    if (draw! < this.config.styleMixing) {
      rows.fill(1, 1 + Math.floor(at! * (L - 1)));
      feeds.z2 = this.latents(200 + k);
    } else feeds.z2 = this.tensor(new Float32Array(this.config.batch * this.gConfig.zDim), [this.config.batch, this.gConfig.zDim]);
    feeds.mix = this.tensor(rows, [1, L, 1]);
    return feeds;
  }

  /** GanTrainer's EMA β for the current step (with its optional ramp-up of the half-life). */
  private emaBeta(): number {
    const { emaKimg, emaRampUp, batch } = this.config;
    const full = emaKimg * 1000;
    const halfLife = emaRampUp === null ? full : Math.min(full, (this.step + 1) * batch * emaRampUp + 1);
    return 0.5 ** (batch / Math.max(1e-8, halfLife));
  }

  /** DiffAugment's draws for purpose k (3: G's fakes, 5: D's fakes, 6: reals), as GanTrainer.augment makes them. */
  private augmentFeeds(k: number): Record<string, Ort.Tensor> {
    if (!this.config.augment.length) return {};
    const r = this.gConfig.resolution;
    const draws = augmentDraws(this.config.augment, [this.config.batch, 3, r, r], mix(this.config.seed, this.step, k), `aug${k}`);
    return Object.fromEntries(Object.entries(draws).map(([n, d]) => [n, this.tensor(d.data, d.dims)]));
  }

  async trainStep(): Promise<StepStats> {
    const g = await this.run(this.sessions.g, { ...this.fakeFeeds(2), ...this.augmentFeeds(3), ...this.adamFeeds('optG') });
    const doR1 = this.step % this.config.r1Every === 0;
    const d = await this.run(doR1 ? this.sessions.dR1 : this.sessions.d, {
      ...this.fakeFeeds(4), reals: this.reals(), ...this.augmentFeeds(5), ...this.augmentFeeds(6), ...this.adamFeeds('optD'),
    });
    const lossG = g.lossG!, lossD = d.lossD!;
    if (!Number.isFinite(lossG) || !Number.isFinite(lossD)) {
      throw new TrainingDiverged(`training diverged at step ${this.step + 1} (G loss ${lossG}, D loss ${lossD})`);
    }
    await this.run(this.sessions.ema, { z: this.latents(7), 'ema.beta': this.tensor(new Float32Array([this.emaBeta()]), []) });
    this.step++;
    return { lossG, lossD, r1: doR1 ? d.r1! : null };
  }

  /** The state in GanTrainer's checkpoint format (values in file layout), so either engine can resume it. */
  checkpoint(): [string, WeightTensor][] {
    const out: [string, WeightTensor][] = [['step', { shape: [1], data: new Float32Array([this.step]) }]];
    for (const [name, t] of this.state) {
      const layout = this.momentLayouts.get(name);
      const perm = layout && LOGICAL_AXES[layout];
      if (!perm) out.push([name, { shape: [...t.dims], data: t.data as Float32Array }]);
      else out.push([name, tf.tidy(() => {
        const m = tf.transpose(tf.tensor(t.data as Float32Array, t.dims as number[]), perm);
        return { shape: m.shape, data: m.dataSync() as Float32Array };
      })]);
    }
    out.push(['optG.t', { shape: [1], data: new Float32Array([this.adamSteps.optG]) }], ['optD.t', { shape: [1], data: new Float32Array([this.adamSteps.optD]) }]);
    return out;
  }

  restore(checkpoint: [string, WeightTensor][]): void {
    this.state.clear();
    for (const [name, t] of checkpoint) {
      if (name === 'step') this.step = t.data[0]!;
      else if (name === 'optG.t') this.adamSteps.optG = t.data[0]!;
      else if (name === 'optD.t') this.adamSteps.optD = t.data[0]!;
      else {
        const layout = this.momentLayouts.get(name);
        const raw = layout ? tf.tensor(t.data, t.shape) : null;
        const f = raw ? fileTensor(raw, layout!) : t;
        raw?.dispose();
        this.state.set(name, this.tensor(f.data, f.shape));
      }
    }
  }

  async dispose(): Promise<void> {
    for (const s of Object.values(this.sessions)) await s.release();
  }
}
