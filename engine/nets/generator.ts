import { Seeds } from './layers.js';
import { MappingNetwork } from './mapping.js';
import { Module } from './module.js';
import { SynthesisNetwork, type NoiseMode } from './synthesis.js';
import { tf } from './tf.js';

export interface GeneratorConfig {
  zDim: number;
  wDim: number;
  mappingLayers: number;
  resolution: number;
  /** Feature maps per resolution, e.g. { 4: 128, 8: 128, 16: 96, 32: 48, 64: 24 }. */
  channels: Record<number, number>;
}

/** StyleGAN2-like generator: mapping z → w, broadcast to ws[B, L, W], synthesis ws → image (NHWC in tfjs). */
export class Generator extends Module {
  readonly mapping: MappingNetwork;
  readonly synthesis: SynthesisNetwork;

  constructor(readonly config: GeneratorConfig, seed = 0) {
    super();
    const seeds = new Seeds(seed * 1000);
    this.mapping = this.child('mapping', new MappingNetwork({ zDim: config.zDim, wDim: config.wDim, layers: config.mappingLayers, lrMul: 0.01 }, seeds.next()));
    this.synthesis = this.child('synthesis', new SynthesisNetwork({ wDim: config.wDim, resolution: config.resolution, channels: config.channels }, seeds));
  }

  get numWs(): number {
    return this.synthesis.numWs;
  }

  broadcast(w: tf.Tensor2D): tf.Tensor3D {
    return tf.tile(tf.expandDims(w, 1), [1, this.numWs, 1]) as tf.Tensor3D;
  }

  forward(z: tf.Tensor2D, psi = 1, noise: NoiseMode = 'const'): tf.Tensor4D {
    return this.synthesis.forward(this.broadcast(this.mapping.forward(z, psi)), noise);
  }
}
