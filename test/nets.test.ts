import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MappingNetwork } from '../engine/nets/mapping.js';
import { tf } from '../engine/nets/tf.js';
import { openSession } from '../engine/runtime/onnx.js';
import { tempDir } from './helpers.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('mapping network', () => {
  it('its ONNX export, run in onnxruntime, equals the tfjs forward (with truncation)', async () => {
    const net = new MappingNetwork({ zDim: 64, wDim: 64, layers: 4, lrMul: 0.01 }, 7);
    // Give biases and w_avg non-zero values so the export is checked on every parameter, not only weights.
    for (const fc of net.fcs) fc.bias.assign(tf.randomNormal([64], 0, 50, 'float32', 3));
    net.wAvg.assign(tf.randomNormal([64], 0, 0.5, 'float32', 4));
    const z = tf.randomNormal([5, 64], 0, 1, 'float32', 11) as tf.Tensor2D;
    const session = await openSession(net.toOnnx(), 'mapping');
    expect(session.inputNames).toEqual(['z', 'psi']);
    for (const psi of [1, 0.7]) {
      const ref = net.forward(z, psi).dataSync() as Float32Array;
      const { w } = await session.run({ z: { data: z.dataSync() as Float32Array, dims: [5, 64] }, psi: { data: new Float32Array([psi]), dims: [1] } });
      expect(w!.dims).toEqual([5, 64]);
      expect(maxAbsDiff(w!.data, ref)).toBeLessThanOrEqual(1e-4);
      expect(Math.max(...ref.map(Math.abs))).toBeGreaterThan(0.1); // not a trivially zero output
    }
  });

  it('refuses a file that is not an ONNX model with a clear error', async () => {
    await expect(openSession(new TextEncoder().encode('definitely not protobuf'), 'broken.onnx')).rejects.toThrow(/broken\.onnx is not a model onnxruntime can load/);
  });
});

describe('ONNX files we write', () => {
  // Debian's python3-onnx gives the reference checker; .ci/run installs it. Where it is missing the test says so.
  const python = '/usr/bin/python3';
  const hasChecker = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0;

  it.skipIf(!hasChecker)('pass onnx.checker.check_model (full check)', () => {
    const dir = tempDir();
    const file = join(dir, 'mapping.onnx');
    writeFileSync(file, new MappingNetwork({ zDim: 32, wDim: 32, layers: 2, lrMul: 0.01 }).toOnnx());
    const r = spawnSync(python, ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });

  it.runIf(!hasChecker)('cannot be checked here: python3-onnx is not installed', () => {
    console.warn('python3-onnx is absent: onnx.checker was not run on exported models');
  });
});
