import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../engine/nets/generator.js';
import { Inpainter } from '../engine/nets/inpainter.js';
import { MappingNetwork } from '../engine/nets/mapping.js';
import { tf } from '../engine/nets/tf.js';
import { readWeights } from '../engine/nets/weights.js';
import { openSession } from '../engine/runtime/onnx.js';
import { tempDir } from './helpers.js';
import { TINY_G, tinyGenerator, tinyInpainter } from './tiny-nets.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const nchw = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);
const nhwc = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;
const feed = (t: tf.Tensor) => ({ data: t.dataSync() as Float32Array, dims: t.shape });

describe('ONNX export equals the tfjs forward pass (max abs diff ≤ 1e-4)', () => {
  it('mapping network, with and without truncation', async () => {
    const net = new MappingNetwork({ zDim: 64, wDim: 64, layers: 4, lrMul: 0.01 }, 7);
    for (const fc of net.fcs) fc.bias.assign(tf.randomNormal([64], 0, 50, 'float32', 3));
    net.wAvg.assign(tf.randomNormal([64], 0, 0.5, 'float32', 4));
    const z = tf.randomNormal([5, 64], 0, 1, 'float32', 11) as tf.Tensor2D;
    const session = await openSession(net.toOnnx(), 'mapping');
    expect(session.inputNames).toEqual(['z', 'psi']);
    for (const psi of [1, 0.7]) {
      const ref = net.forward(z, psi).dataSync();
      const { w } = await session.run({ z: feed(z), psi: { data: new Float32Array([psi]), dims: [1] } });
      expect(w!.dims).toEqual([5, 64]);
      expect(maxAbsDiff(w!.data, ref)).toBeLessThanOrEqual(1e-4);
      expect(Math.max(...Array.from(ref, Math.abs))).toBeGreaterThan(0.1);
    }
  });

  it('synthesis network: ws rows drive their own layers, as in style mixing', async () => {
    const G = tinyGenerator();
    const ws = tf.randomNormal([3, G.numWs, TINY_G.wDim], 0, 1, 'float32', 5) as tf.Tensor3D;
    const ref = nchw(G.synthesis.forward(ws, 'const'));
    const session = await openSession(G.synthesis.toOnnx(), 'synthesis');
    const { image } = await session.run({ ws: feed(ws) });
    expect(image!.dims).toEqual([3, 3, 16, 16]);
    expect(maxAbsDiff(image!.data, ref.dataSync())).toBeLessThanOrEqual(1e-4);
    // Changing only the last (finest) row changes the image, but less than changing the first.
    const edit = (row: number) => tf.tidy(() => {
      const rows = tf.unstack(ws, 1);
      rows[row] = tf.add(rows[row]!, 2);
      return nchw(G.synthesis.forward(tf.stack(rows, 1) as tf.Tensor3D, 'const'));
    });
    const dFine = maxAbsDiff(edit(G.numWs - 1).dataSync(), ref.dataSync());
    expect(dFine).toBeGreaterThan(1e-3);
  });

  it.each([false, true])('inpainter at a non-square size, keeping known pixels exactly (prefill %s)', async (prefill) => {
    const I = tinyInpainter(1, prefill);
    const image = tf.randomUniform([2, 24, 40, 3], -1, 1, 'float32', 8) as tf.Tensor4D;
    const mask = tf.tidy(() => tf.pad(tf.ones([2, 8, 12, 1]), [[0, 0], [4, 12], [10, 18], [0, 0]])) as tf.Tensor4D;
    const [out] = I.forward(image, mask);
    const session = await openSession(I.toOnnx(), 'inpainter');
    const { output } = await session.run({ image: feed(nchw(image)), mask: feed(nchw(mask)) });
    expect(output!.dims).toEqual([2, 3, 24, 40]);
    expect(maxAbsDiff(output!.data, nchw(out).dataSync())).toBeLessThanOrEqual(1e-4);
    const o = tf.tensor(output!.data, [2, 3, 24, 40]);
    const outside = tf.max(tf.abs(tf.mul(tf.sub(o, nchw(image)), tf.sub(1, nchw(mask))))).dataSync()[0]!;
    expect(outside).toBe(0);
    const inside = tf.max(tf.abs(tf.mul(tf.sub(o, nchw(image)), nchw(mask)))).dataSync()[0]!;
    expect(inside).toBeGreaterThan(0.01);
  });

  it('refuses a file that is not an ONNX model with a clear error', async () => {
    await expect(openSession(new TextEncoder().encode('definitely not protobuf'), 'broken.onnx')).rejects.toThrow(/broken\.onnx is not a model onnxruntime can load/);
  });
});

describe('ONNX files we write', () => {
  // Debian's python3-onnx gives the reference checker; .ci/run installs it. Where it is missing the test says so.
  const python = '/usr/bin/python3';
  const hasChecker = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

  it.skipIf(!hasChecker)('pass onnx.checker.check_model (full check): mapping, synthesis, inpainter, and the shipped files', () => {
    const dir = tempDir();
    const G = tinyGenerator();
    const files = { 'mapping.onnx': G.mapping.toOnnx(), 'synthesis.onnx': G.synthesis.toOnnx(), 'inpainter.onnx': tinyInpainter().toOnnx() };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    // and the shipped models' files, as they are in assets/
    const shipped = ['faces64/mapping.onnx', 'faces64/synthesis.onnx', 'inpaint256/inpainter.onnx'].map((f) => join(import.meta.dirname, '..', 'assets', 'models', f));
    const script = 'import onnx,sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\n    print("ok", f)';
    const r = spawnSync(python, ['-c', script, ...Object.keys(files).map((f) => join(dir, f)), ...shipped], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(6);
  });

  it.runIf(!hasChecker)('cannot be checked here: python3-onnx is not installed', () => {
    console.warn('python3-onnx is absent: onnx.checker was not run on exported models');
  });
});

describe('the PyTorch twins in build/models/nets.py compute what the engine computes', () => {
  // Where python3-torch is installed, compare freshly initialised nets; the shipped models' own reference
  // outputs (written by the same script at export time) are checked in shipped-models.test.ts without torch.
  const python = '/usr/bin/python3';
  const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  const script = join(import.meta.dirname, '..', 'build', 'models', 'reference.py');

  it.skipIf(!hasTorch)('generator and inpainter, from the same random weights', async () => {
    const dir = tempDir();
    for (const kind of ['generator', 'inpainter'] as const) {
      const out = join(dir, `${kind}.gnvw`);
      const r = spawnSync(python, [script, kind, 'random:5', out], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', 'build', 'models') });
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(`${out}.weights.gnvw`)).toBe(true);
      const ref = readWeights(readFileSync(out));
      const t = (n: string) => tf.tensor(ref.get(`ref.${n}`)!.data, ref.get(`ref.${n}`)!.shape);
      const weights = readWeights(readFileSync(`${out}.weights.gnvw`));
      if (kind === 'generator') {
        const G = new Generator({ zDim: 128, wDim: 128, mappingLayers: 4, resolution: 64, channels: { 4: 128, 8: 128, 16: 96, 32: 48, 64: 24 } });
        G.load(weights, 'G_ema.');
        expect(maxAbsDiff(G.mapping.forward(t('z') as tf.Tensor2D, 0.7).dataSync(), t('w_psi').dataSync())).toBeLessThanOrEqual(1e-4);
        const img = nchw(G.synthesis.forward(t('ws') as tf.Tensor3D, 'const'));
        expect(maxAbsDiff(img.dataSync(), t('image').dataSync())).toBeLessThanOrEqual(1e-3 * Math.max(1, tf.max(tf.abs(img)).dataSync()[0]!));
        G.dispose();
      } else {
        const I = new Inpainter({ resolution: 256, channels: 16, prefill: true }); // build/models/train_inpainter.py CONFIG
        I.load(weights, 'G.');
        const [out2] = I.forward(nhwc(t('image')), nhwc(t('mask')));
        expect(maxAbsDiff(nchw(out2).dataSync(), t('inpainted').dataSync())).toBeLessThanOrEqual(1e-4);
        I.dispose();
      }
    }
  }, 60_000);

  it.runIf(!hasTorch)('cannot compare live here: python3-torch is not installed', () => {
    console.warn('python3-torch is absent: the live PyTorch comparison was not run (shipped reference outputs still are)');
  });
});
