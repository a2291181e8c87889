import '../engine/nets/gradients.js';
import { selectTrainingBackend } from '../engine/nets/backend.js';
import { defaultTrainConfig, GanTrainer, type TrainConfig } from '../engine/train/gan-trainer.js';
import { OrtGanTrainer } from '../engine/train/ort/ort-gan-trainer.js';
import { benchGenerator as gen, timed, torchPeer } from './peers.js';
import type { BenchRow } from './run.js';

/**
 * Training steps (G step, D step with lazy R1 every 4th step, EMA) compiled to ONNX and run by onnxruntime-node on
 * the CPU, against the same step in PyTorch CPU (bench/torch_peer.py's train case, the twins in
 * build/models/nets.py) and in the tfjs trainer, all measured in this run with 2 threads. Augmentation off.
 * img/s counts the batch's images per whole step. Every engine times the same steps 1…reps after a warm-up step 0,
 * so each includes the same lazy-R1 steps (every 4th).
 */

export async function benchTrainOrt(resolutions = [32, 64], reps = 4): Promise<BenchRow[]> {
  // The tfjs peer on its fastest backend here (WebAssembly where tfjs-node is absent), as the worker would pick.
  const { backend } = await selectTrainingBackend();
  const rows: BenchRow[] = [];
  for (const res of resolutions) {
    const batch = 8;
    // As bench/torch_peer.py's train case: no augmentation, no style mixing, Adam (0, 0.99).
    const config: TrainConfig = { ...defaultTrainConfig, batch, r1Every: 4, augment: [], styleMixing: 0 };
    const r = res * res * 3;
    const data = { images: new Uint8Array(16 * r).map((_, i) => (i * 37) & 255), count: 16 };
    const tfjs = new GanTrainer(gen(res), config, data);
    const ort = await OrtGanTrainer.create(gen(res), config, data, tfjs.checkpoint(), { intraOpNumThreads: 2 });
    const ortMs = await timed(() => ort.trainStep(), reps);
    await ort.dispose();
    console.error(`${res} px: onnxruntime ${ortMs.toFixed(0)} ms/step`);
    const tfjsMs = await timed(() => tfjs.trainStep(), reps); // same steps (and so the same R1 steps) as the others
    tfjs.dispose();
    console.error(`${res} px: tfjs ${backend} ${tfjsMs.toFixed(0)} ms/step`);
    const name = `training step ${res} px, batch ${batch} (onnxruntime CPU)`;
    const peer = torchPeer([{ name, kind: 'train', ...gen(res), batch, reps, r1Every: 4 }]);
    const torchMs = peer?.[name] ?? NaN;
    console.error(`${res} px: PyTorch ${torchMs.toFixed(0)} ms/step`);
    const row = (peerName: string, peerMs: number): BenchRow => ({
      name, figure: ortMs, unit: 'ms', peer: peerName, peerFigure: peerMs, ratio: peerMs / ortMs,
      throughput: (batch * 1000) / ortMs, peerThroughput: (batch * 1000) / peerMs,
    });
    rows.push(row(peer ? 'PyTorch CPU, 2 threads' : 'PyTorch (not installed)', torchMs), row(`tfjs ${backend} trainer`, tfjsMs));
  }
  return rows;
}
