import { broadcast } from '../engine/edit/latent-space.js';
import { Generator } from '../engine/nets/generator.js';
import { Inpainter } from '../engine/nets/inpainter.js';
import { tf } from '../engine/nets/tf.js';
import { openSession } from '../engine/runtime/onnx.js';
import { selectTrainingBackend } from '../engine/nets/backend.js';
import { defaultTrainConfig, GanTrainer } from '../engine/train/gan-trainer.js';
import { benchGenerator as gen, timed, torchPeer } from './peers.js';
import type { BenchRow } from './run.js';

/**
 * The nets against the same architectures in PyTorch (Debian python3-torch, 2 threads), measured in the same
 * run: generator frames and inpainter passes in onnxruntime (how the studio renders), and training steps in
 * the tfjs training core (how it fine-tunes). Augmentation is off on both sides of the training rows.
 */

export async function benchNets(): Promise<BenchRow[]> {
  const ours: Record<string, number> = {};
  const cases: (Record<string, unknown> & { name: string; batch: number })[] = [];

  for (const res of [64, 128]) {
    const G = new Generator(gen(res));
    const mapping = await openSession(G.mapping.toOnnx(), 'mapping');
    const synthesis = await openSession(G.synthesis.toOnnx(), 'synthesis');
    for (const batch of [1, 8]) {
      const name = `generator ${res} px, batch ${batch} (onnxruntime)`;
      const z = new Float32Array(batch * 128).map(() => Math.random() * 2 - 1);
      const reps = res === 64 ? 60 : 20;
      ours[name] = await timed(async () => {
        const { w } = await mapping.run({ z: { data: z, dims: [batch, 128] }, psi: { data: new Float32Array([1]), dims: [1] } });
        const ws = new Float32Array(batch * G.numWs * 128);
        for (let b = 0; b < batch; b++) ws.set(broadcast(w!.data.subarray(b * 128, (b + 1) * 128), G.numWs), b * G.numWs * 128);
        await synthesis.run({ ws: { data: ws, dims: [batch, G.numWs, 128] } });
      }, reps);
      cases.push({ name, kind: 'generator', ...gen(res), batch, reps });
    }
    G.dispose();
  }

  const I = new Inpainter({ resolution: 256, channels: 16 });
  const inp = await openSession(I.toOnnx(), 'inpainter');
  const iname = 'inpainter 256², batch 1 (onnxruntime)';
  const image = new Float32Array(3 * 256 * 256).map(() => Math.random() * 2 - 1);
  const mask = new Float32Array(256 * 256).map((_, i) => (i % 256 > 64 && i % 256 < 128 && i > 64 * 256 && i < 128 * 256 ? 1 : 0));
  ours[iname] = await timed(() => inp.run({ image: { data: image, dims: [1, 3, 256, 256] }, mask: { data: mask, dims: [1, 1, 256, 256] } }), 10);
  cases.push({ name: iname, kind: 'inpainter', resolution: 256, channels: 16, batch: 1, reps: 10 });
  I.dispose();

  const { backend } = await selectTrainingBackend();
  for (const res of [32, 64]) {
    const name = `training step ${res} px, batch 8 (tfjs ${backend})`;
    const r = res * res * 3;
    const data = { images: new Uint8Array(16 * r).map((_, i) => (i * 37) & 255), count: 16 };
    const trainer = new GanTrainer(gen(res), { ...defaultTrainConfig, batch: 8, r1Every: 4, augment: [] }, data);
    ours[name] = await timed(() => trainer.trainStep(), 4);
    trainer.dispose();
    cases.push({ name, kind: 'train', ...gen(res), batch: 8, reps: 4, r1Every: 4 });
  }
  await tf.setBackend('cpu');

  const peer = torchPeer(cases);
  return cases.map((c) => ({
    name: c.name, figure: ours[c.name]!, unit: 'ms', peer: peer ? 'PyTorch CPU, 2 threads' : 'PyTorch (not installed)',
    peerFigure: peer?.[c.name] ?? NaN, ratio: peer ? peer[c.name]! / ours[c.name]! : NaN,
    throughput: (c.batch * 1000) / ours[c.name]!, peerThroughput: peer ? (c.batch * 1000) / peer[c.name]! : NaN,
  }));
}
