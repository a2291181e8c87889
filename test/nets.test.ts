import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Discriminator } from '../engine/nets/discriminator.js';
import { Generator } from '../engine/nets/generator.js';
import { eager } from '../engine/nets/eager-ops.js';
import { exportOnnx } from '../engine/nets/onnx/onnx-ops.js';
import { generatorConfig } from '../engine/runtime/weights-check.js';
import { shippedModelsDir } from '../engine/runtime/registry.js';
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

describe('ONNX export equals the eager tfjs forward pass: one apply(), two interpreters (max abs diff ≤ 1e-4)', () => {
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

  it('discriminator (not shipped as ONNX, but its apply() runs on both interpreters alike), batch 4 at 16 px', async () => {
    const D = new Discriminator({ resolution: 16, channels: TINY_G.channels }, 2);
    for (const [name, p] of D.namedParams()) if (/bias/.test(name)) p.variable.assign(tf.randomNormal(p.variable.shape, 0, 0.3, 'float32', 12));
    const img = tf.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 13) as tf.Tensor4D;
    const ref = D.forward(img).dataSync();
    const bytes = exportOnnx('discriminator', D, 'test', (ops) => ops.output(D.apply(ops, ops.input('image', [4, 3, 16, 16])), 'logits', [4, 1]));
    const { logits } = await (await openSession(bytes, 'discriminator')).run({ image: feed(nchw(img)) });
    expect(logits!.dims).toEqual([4, 1]);
    expect(maxAbsDiff(logits!.data, ref)).toBeLessThanOrEqual(1e-4);
    expect(new Set(Array.from(ref, (v) => v.toFixed(4))).size).toBe(4); // four different scores, not one constant
  });

  it('a wrong shape at a block boundary is refused with the block and both shapes named, on both interpreters', () => {
    const G = tinyGenerator();
    const ws = tf.zeros([2, G.numWs - 1, TINY_G.wDim]) as tf.Tensor3D;
    expect(() => G.synthesis.forward(ws)).toThrow(/SynthesisNetwork synthesis: ws should be \[\?, 6, 16\] but is \[2, 5, 16\] \(tfjs\)/);
    const I = tinyInpainter();
    expect(() => I.forward(tf.zeros([1, 16, 16, 4]) as tf.Tensor4D, tf.zeros([1, 16, 16, 1]) as tf.Tensor4D)).toThrow(/Inpainter: image should be \[\?, 3, \?, \?\] but is \[1, 4, 16, 16\]/);
    expect(() => I.forward(tf.zeros([1, 18, 16, 3]) as tf.Tensor4D, tf.zeros([1, 18, 16, 1]) as tf.Tensor4D)).toThrow(/multiples of 4, not 18×16/);
    const D = new Discriminator({ resolution: 16, channels: TINY_G.channels });
    expect(() => exportOnnx('d', D, '', (ops) => D.apply(ops, ops.input('image', [1, 3, 8, 8])))).toThrow(/Discriminator: image should be \[\?, 3, 16, 16\] but is \[1, 3, 8, 8\] \(onnx\)/);
    // Nested layers name their place in the net.
    const layer = G.synthesis.blocks[1]!.conv0!;
    expect(() => layer.apply(eager, eager.nhwc(tf.zeros([1, 4, 4, 5]) as tf.Tensor4D), eager.plain(tf.zeros([1, TINY_G.wDim])), 'const'))
      .toThrow(/ModulatedConv synthesis\.blocks\.1\.conv0\.conv: input should be \[\?, 16, \?, \?\] but is \[1, 5, 4, 4\]/);
  });

  it('refuses a file that is not an ONNX model with a clear error', async () => {
    await expect(openSession(new TextEncoder().encode('definitely not protobuf'), 'broken.onnx')).rejects.toThrow(/broken\.onnx is not a model onnxruntime can load/);
  });
});

describe('ONNX files we write', () => {
  // Debian's python3-onnx gives the reference checker; .ci/run installs it. Where it is missing the test says so.
  const python = '/usr/bin/python3';
  const hasChecker = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

  it.skipIf(!hasChecker)(`pass onnx.checker.check_model (full check): mapping, synthesis, inpainter, and the shipped files${hasChecker ? '' : ' [skipped: python3-onnx is not installed]'}`, () => {
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

});

describe('the export of the shipped weights reproduces the shipped ONNX files (max abs diff ≤ 1e-5), so packages need not change', () => {
  const dir = (id: string) => join(shippedModelsDir, id);
  const card = (id: string) => JSON.parse(readFileSync(join(dir(id), 'model.json'), 'utf8'));
  const shipped = (id: string, file: string) => openSession(readFileSync(join(dir(id), file)), `${id}/${file}`);
  const weights = (id: string) => readWeights(readFileSync(join(dir(id), 'weights.gnvw')));

  it('faces64: mapping (ψ = 1 and 0.7) and synthesis on random inputs', async () => {
    const G = new Generator(generatorConfig(card('faces64')));
    G.load(weights('faces64'), 'G_ema.');
    const [oldMap, newMap] = [await shipped('faces64', 'mapping.onnx'), await openSession(G.mapping.toOnnx(), 'mapping')];
    const z = tf.randomNormal([6, G.config.zDim], 0, 1, 'float32', 21);
    for (const psi of [1, 0.7]) {
      const feeds = { z: feed(z), psi: { data: new Float32Array([psi]), dims: [1] } };
      const [a, b] = [(await oldMap.run(feeds)).w!, (await newMap.run(feeds)).w!];
      expect(b.dims).toEqual(a.dims);
      expect(maxAbsDiff(b.data, a.data)).toBeLessThanOrEqual(1e-5);
    }
    const [oldSyn, newSyn] = [await shipped('faces64', 'synthesis.onnx'), await openSession(G.synthesis.toOnnx(), 'synthesis')];
    const ws = tf.add(tf.randomNormal([4, G.numWs, G.config.wDim], 0, 0.5, 'float32', 22), tf.expandDims(G.mapping.forward(tf.randomNormal([4, G.config.zDim], 0, 1, 'float32', 23) as tf.Tensor2D), 1));
    const [a, b] = [(await oldSyn.run({ ws: feed(ws) })).image!, (await newSyn.run({ ws: feed(ws) })).image!];
    expect(b.dims).toEqual([4, 3, 64, 64]);
    expect(maxAbsDiff(b.data, a.data)).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...Array.from(a.data)) - Math.min(...Array.from(a.data))).toBeGreaterThan(1); // an image, not a constant
    G.dispose();
  }, 60_000);

  it('inpaint256 at a non-square size, with a hole', async () => {
    const c = card('inpaint256');
    const I = new Inpainter({ resolution: c.resolution, channels: c.inpainter.channels, prefill: c.inpainter.prefill === 'pyramid' });
    I.load(weights('inpaint256'), 'G.');
    const image = tf.randomUniform([2, 3, 48, 80], -1, 1, 'float32', 24);
    const mask = tf.tidy(() => tf.pad(tf.ones([2, 1, 20, 30]), [[0, 0], [0, 0], [10, 18], [20, 30]]));
    const feeds = { image: feed(image), mask: feed(mask) };
    const a = (await (await shipped('inpaint256', 'inpainter.onnx')).run(feeds)).output!;
    const b = (await (await openSession(I.toOnnx(), 'inpainter')).run(feeds)).output!;
    expect(b.dims).toEqual([2, 3, 48, 80]);
    expect(maxAbsDiff(b.data, a.data)).toBeLessThanOrEqual(1e-5);
    // The net's correction of the hole (about 1e-3 on noise) is 100× the tolerance: the comparison covers the net.
    expect(maxAbsDiff(a.data, image.dataSync())).toBeGreaterThan(1e-4);
    I.dispose();
  }, 60_000);
});
