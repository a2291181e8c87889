import { join } from 'node:path';
import { Discriminator } from '../engine/nets/discriminator.js';
import { Generator } from '../engine/nets/generator.js';
import { Inpainter } from '../engine/nets/inpainter.js';
import { tf } from '../engine/nets/tf.js';
import { writePackage } from '../engine/runtime/write-package.js';

export const TINY_G = { zDim: 16, wDim: 16, mappingLayers: 2, resolution: 16, channels: { 4: 16, 8: 16, 16: 8 } };

/** A small generator whose biases, noise strengths and w_avg are non-zero, so exports are checked on every parameter. */
export function tinyGenerator(seed = 1): Generator {
  const G = new Generator(TINY_G, seed);
  let k = 100 + seed;
  for (const [name, p] of G.namedParams()) {
    if (/bias|noise_strength|w_avg/.test(name)) {
      const v = tf.randomNormal(p.variable.shape, 0, 0.3, 'float32', k++);
      p.variable.assign(v);
      v.dispose();
    }
  }
  return G;
}

export function tinyInpainter(seed = 1, prefill = false): Inpainter {
  const I = new Inpainter({ resolution: 32, channels: 8, prefill }, seed);
  let k = 200 + seed;
  for (const [name, p] of I.namedParams()) {
    if (/bias/.test(name)) {
      const v = tf.randomNormal(p.variable.shape, 0, 0.1, 'float32', k++);
      p.variable.assign(v);
      v.dispose();
    }
  }
  return I;
}

/** The tiny generator (and its discriminator) as an installed package `tiny` under `home`, for training tests. */
export function tinyPackage(home: string): string {
  const dir = join(home, 'models', 'tiny');
  writePackage(dir, {
    id: 'tiny', name: 'Tiny test generator', licence: 'CC0-1.0', data: 'none (random init)', provenance: { source: 'trained', parent: null },
  }, { kind: 'generator', G: tinyGenerator(), D: new Discriminator({ resolution: 16, channels: TINY_G.channels }, 1) });
  return dir;
}
