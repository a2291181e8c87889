import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Discriminator } from '../engine/nets/discriminator.js';
import { Generator } from '../engine/nets/generator.js';
import { Inpainter } from '../engine/nets/inpainter.js';
import { exportOnnx } from '../engine/nets/onnx/onnx-ops.js';
import { tf } from '../engine/nets/tf.js';
import { readWeights, type Weights } from '../engine/nets/weights.js';
import { openSession } from '../engine/runtime/onnx.js';
import { tempDir } from './helpers.js';

/**
 * The PyTorch twins of the engine's nets (build/models/nets.py, which pretrains the shipped models) are pinned by
 * committed fixtures written by build/models/twin_fixtures.py: seeded weights, inputs, and the twins' outputs.
 * The engine's tfjs forward and its ONNX export must reproduce those outputs; where PyTorch is installed the
 * fixtures are also written afresh and compared, so a twin that drifted from the engine is caught either way.
 */
const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'test', 'fixtures');
const netsPy = join(root, 'build', 'models', 'nets.py');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
// PyTorch and tfjs sum convolutions in different orders: float32 rounding, nothing more.
const TOLERANCE = 1e-5; // measured: at most 2.2e-6 (the synthesis image)

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const spread = (a: ArrayLike<number>) => Math.max(...Array.from(a)) - Math.min(...Array.from(a));

interface Stamp { netsPySha256: string; command: string; psi: number; generator: { z_dim: number; w_dim: number; mapping_layers: number; resolution: number; channels: Record<string, number> }; inpainterChannels: number }

function twins(dir: string): { w: Weights; stamp: Stamp; t: (name: string) => tf.Tensor } {
  const w = readWeights(readFileSync(join(dir, 'twins.gnvw')), 'twins.gnvw');
  const stamp = JSON.parse(readFileSync(join(dir, 'twins.json'), 'utf8')) as Stamp;
  const t = (name: string) => {
    const x = w.get(name);
    if (!x) throw new Error(`twins.gnvw lacks ${name}`);
    return tf.tensor(x.data, x.shape);
  };
  return { w, stamp, t };
}

const nchw = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);
const nhwc = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;
const feed = (t: tf.Tensor) => ({ data: t.dataSync() as Float32Array, dims: t.shape });

/** Each check returns the largest difference per output, for both interpreters. */
async function generatorDiffs(dir: string): Promise<number[]> {
  const { w, stamp, t } = twins(dir);
  const c = stamp.generator;
  const G = new Generator({ zDim: c.z_dim, wDim: c.w_dim, mappingLayers: c.mapping_layers, resolution: c.resolution, channels: c.channels });
  G.load(w, 'G.');
  const z = t('in.z'), ws = t('in.ws');
  const diffs = [
    maxAbsDiff(G.mapping.forward(z as tf.Tensor2D).dataSync(), t('out.w').dataSync()),
    maxAbsDiff(G.mapping.forward(z as tf.Tensor2D, stamp.psi).dataSync(), t('out.w_psi').dataSync()),
    maxAbsDiff(nchw(G.synthesis.forward(ws as tf.Tensor3D, 'const')).dataSync(), t('out.image').dataSync()),
  ];
  const mapping = await openSession(G.mapping.toOnnx(), 'mapping');
  const synthesis = await openSession(G.synthesis.toOnnx(), 'synthesis');
  diffs.push(maxAbsDiff((await mapping.run({ z: feed(z), psi: { data: new Float32Array([stamp.psi]), dims: [1] } })).w!.data, t('out.w_psi').dataSync()));
  diffs.push(maxAbsDiff((await synthesis.run({ ws: feed(ws) })).image!.data, t('out.image').dataSync()));
  expect(spread(t('out.image').dataSync())).toBeGreaterThan(0.5);
  G.dispose();
  return diffs;
}

async function discriminatorDiffs(dir: string): Promise<number[]> {
  const { w, stamp, t } = twins(dir);
  const c = stamp.generator;
  const D = new Discriminator({ resolution: c.resolution, channels: c.channels });
  D.load(w, 'D.');
  const img = t('in.img');
  const expected = t('out.logits').dataSync();
  const onnx = exportOnnx('discriminator', D, 'test', (ops) => ops.output(D.apply(ops, ops.input('image', img.shape)), 'logits', [img.shape[0]!, 1]));
  const { logits } = await (await openSession(onnx, 'discriminator')).run({ image: feed(img) });
  expect(spread(expected)).toBeGreaterThan(1e-3);
  const diffs = [maxAbsDiff(D.forward(nhwc(img)).dataSync(), expected), maxAbsDiff(logits!.data, expected)];
  D.dispose();
  return diffs;
}

async function inpainterDiffs(dir: string): Promise<number[]> {
  const { w, stamp, t } = twins(dir);
  const image = t('in.image'), mask = t('in.mask');
  const diffs: number[] = [];
  for (const [prefill, out] of [[false, 'out.inpainted'], [true, 'out.inpainted_prefill']] as const) {
    const I = new Inpainter({ resolution: 32, channels: stamp.inpainterChannels, prefill });
    I.load(w, 'I.');
    const expected = t(out).dataSync();
    diffs.push(maxAbsDiff(nchw(I.forward(nhwc(image), nhwc(mask))[0]).dataSync(), expected));
    const { output } = await (await openSession(I.toOnnx(), 'inpainter')).run({ image: feed(image), mask: feed(mask) });
    diffs.push(maxAbsDiff(output!.data, expected));
    expect(maxAbsDiff(expected, image.dataSync())).toBeGreaterThan(0.05); // the twin filled the hole
    I.dispose();
  }
  return diffs;
}

describe('the PyTorch twins (build/models/nets.py), pinned by committed fixtures', () => {
  it('the fixtures are stamped with the current nets.py', () => {
    const { stamp } = twins(fixtures);
    const now = createHash('sha256').update(readFileSync(netsPy)).digest('hex');
    expect(now, `build/models/nets.py changed since the twin fixtures were written: regenerate the twin fixtures with \`${stamp.command}\` (needs python3-torch), check that this file passes, and commit test/fixtures/twins.*`).toBe(stamp.netsPySha256);
  });

  it('generator: tfjs mapping (ψ = 1, 0.7) and synthesis, and their ONNX export, give the fixture outputs', async () => {
    for (const d of await generatorDiffs(fixtures)) expect(d).toBeLessThanOrEqual(TOLERANCE);
  });

  it('discriminator: tfjs and ONNX give the fixture logits', async () => {
    for (const d of await discriminatorDiffs(fixtures)) expect(d).toBeLessThanOrEqual(TOLERANCE);
  });

  it('inpainter, with the hole zeroed and pyramid-filled: tfjs and ONNX give the fixture outputs', async () => {
    for (const d of await inpainterDiffs(fixtures)) expect(d).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe.skipIf(!hasTorch)(`the PyTorch twins, live: fixtures written now by nets.py give the same outputs${hasTorch ? '' : ' [skipped: python3-torch is not installed]'}`, () => {
  it('generator, discriminator and inpainter: tfjs and ONNX give the live twins\' outputs', async () => {
    const dir = tempDir();
    const r = spawnSync(python, [join(root, 'build', 'models', 'twin_fixtures.py'), '--out', dir], { encoding: 'utf8', cwd: join(root, 'build', 'models') });
    expect(r.status, r.stderr).toBe(0);
    const diffs = [...(await generatorDiffs(dir)), ...(await discriminatorDiffs(dir)), ...(await inpainterDiffs(dir))];
    for (const d of diffs) expect(d).toBeLessThanOrEqual(TOLERANCE);
  }, 60_000);
});
