import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../engine/nets/generator.js';
import { Inpainter } from '../engine/nets/inpainter.js';
import { tf } from '../engine/nets/tf.js';
import { readWeights } from '../engine/nets/weights.js';
import { generatorConfig } from '../engine/runtime/weights-check.js';
import { ModelRegistry, shippedModelsDir } from '../engine/runtime/registry.js';
import { tempDir } from './helpers.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const ref = (id: string) => {
  const w = readWeights(readFileSync(join(shippedModelsDir, id, 'reference.gnvw')));
  return (n: string) => w.get(`ref.${n}`)!;
};

describe('the shipped models', () => {
  it('are listed with their licences by `ganvas models list`', () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'ganvas.js'), '--home', tempDir(), 'models', 'list'], { encoding: 'utf8' });
    expect(out).toMatch(/faces64\s+generator\s+64 px\s+shipped/);
    expect(out).toMatch(/inpaint256\s+inpainter\s+256 px\s+shipped/);
    expect(out).toMatch(/licence: CC0-1\.0/);
    expect(out).toMatch(/licence: CC-BY-SA-4\.0/);
  });

  it('faces64: the engine (tfjs and ONNX) computes what the PyTorch script that trained it computes', async () => {
    const model = await new ModelRegistry(tempDir()).get('faces64');
    const r = ref('faces64');
    const G = new Generator(generatorConfig(model.card));
    G.load(readWeights(model.weights!), 'G_ema.');
    const z = r('z'), ws = r('ws'), image = r('image');
    const psi = await model.sessions.mapping!.run({ z: { data: z.data, dims: z.shape }, psi: { data: new Float32Array([0.7]), dims: [1] } });
    expect(maxAbsDiff(psi.w!.data, r('w_psi').data)).toBeLessThanOrEqual(1e-4);
    const onnx = await model.sessions.synthesis!.run({ ws: { data: ws.data, dims: ws.shape } });
    expect(maxAbsDiff(onnx.image!.data, image.data)).toBeLessThanOrEqual(1e-4);
    const tfjs = tf.transpose(G.synthesis.forward(tf.tensor3d(ws.data, ws.shape as [number, number, number]), 'const'), [0, 3, 1, 2]);
    expect(maxAbsDiff(tfjs.dataSync(), image.data)).toBeLessThanOrEqual(1e-4);
    // and the reference is an image, not a constant
    const px = Array.from(image.data);
    expect(Math.max(...px) - Math.min(...px)).toBeGreaterThan(1);
    G.dispose();
  });

  it('inpaint256: the engine (tfjs and ONNX) computes what the PyTorch script that trained it computes', async () => {
    const model = await new ModelRegistry(tempDir()).get('inpaint256');
    const r = ref('inpaint256');
    const image = r('image'), mask = r('mask'), expected = r('inpainted');
    const onnx = await model.sessions.inpainter!.run({ image: { data: image.data, dims: image.shape }, mask: { data: mask.data, dims: mask.shape } });
    expect(maxAbsDiff(onnx.output!.data, expected.data)).toBeLessThanOrEqual(1e-4);
    const I = new Inpainter({ resolution: 256, channels: model.card.inpainter!.channels!, prefill: model.card.inpainter!.prefill === 'pyramid' });
    I.load(readWeights(model.weights!), 'G.');
    const nhwc = (t: { data: Float32Array; shape: number[] }) => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;
    const [out] = I.forward(nhwc(image), nhwc(mask));
    expect(maxAbsDiff(tf.transpose(out, [0, 3, 1, 2]).dataSync(), expected.data)).toBeLessThanOrEqual(1e-4);
    I.dispose();
  });

  it('carry model cards with their quality figures, a sample grid and the command that reproduces them', () => {
    for (const id of ['faces64', 'inpaint256']) {
      const dir = join(shippedModelsDir, id);
      const card = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      expect(card.provenance.command).toMatch(/build\/models\/export\.ts/);
      expect(card.provenance.seconds).toBeGreaterThan(600);
      expect(existsSync(join(dir, 'samples.png'))).toBe(true);
      const text = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
      expect(text).toMatch(/\(samples\.png\)/);
      if (id === 'faces64') {
        expect(card.metrics.swd).toHaveLength(3);
        expect(text).toMatch(/SWD/);
      } else {
        // The object-removal bench's figures for this exact package, next to the peers measured in the same run.
        expect(card.metrics).toMatchObject({ bench: expect.stringMatching(/bench:inpaint/), cases: expect.any(Number), holeL1: expect.any(Number), holeSsim: expect.any(Number) });
        expect(text).toContain(`hash** \`${card.hash.slice(0, 16)}`);
        expect(text).toMatch(/OpenCV Telea/);
        expect(text).toMatch(/OpenCV shift-map/);
      }
    }
  });
});
