/**
 * A user's StyleGAN checkpoint in the latent studio, through the contract only: the NVlabs pickle is dropped
 * (models.importFile: read without executing anything, converted to ONNX, checked, installed), and the studio's
 * tools run on it. The rendered pixels are compared with the original code's output for the same w+
 * (../shared/fixtures/import/sg2ada-32.ref.npz, README §3 there).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { tempDir } from './helpers.js';
import { readNpz } from './npz.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'import');
const have = existsSync(join(FIXTURES, 'sg2ada-32.pkl')) && existsSync(join(FIXTURES, 'sg2ada-32.ref.npz'));

describe.skipIf(!have)(`an imported StyleGAN2-ADA pickle in the latent studio${have ? '' : ` (SKIPPED: no sg2ada-32.pkl in ${FIXTURES})`}`, () => {
  it('imports from dropped bytes, renders the original\'s images for its w+, and samples, slides, mixes and interpolates', async () => {
    const home = tempDir();
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: join(home, 'none') });
    await engine.call('project.create', { name: 'P', width: 256, height: 256, path: 'p.ganvas' }); // in the library folder: a page may name no other place
    const info = await engine.call('models.importFile', { name: 'sg2ada-32.pkl', bytes: new Uint8Array(readFileSync(join(FIXTURES, 'sg2ada-32.pkl'))) });
    expect(info).toMatchObject({ id: 'sg2ada-32', kind: 'generator', resolution: 32, styleBased: true, numWs: 8, source: 'imported' });
    expect(info.licence).toMatch(/^unconfirmed: .*non-commercial/);

    const ref = readNpz(join(FIXTURES, 'sg2ada-32.ref.npz'));
    const ws = ref.ws_psi07!.data as Float32Array, img = ref.img_psi07!.data as Float32Array;
    const rows = 8 * 512, px = 32 * 32;
    for (let k = 0; k < 2; k++) {
      const state = await engine.call('latent.place', { modelId: 'sg2ada-32', latent: ws.slice(k * rows, (k + 1) * rows), psi: 1, display: 32 });
      const layer = state.layers.at(-1)!;
      const { data } = await sharp((await engine.call('asset.get', { hash: layer.assetHash })).bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let worst = 0;
      for (let p = 0; p < px; p++) for (let c = 0; c < 3; c++) {
        const want = Math.min(255, Math.max(0, (img[k * 3 * px + c * px + p]! + 1) * 127.5));
        worst = Math.max(worst, Math.abs(data[p * 3 + c]! - want));
      }
      expect(worst, `sample ${k}: worst byte difference from the original code's image`).toBeLessThanOrEqual(0.02 * 127.5 + 0.5);
    }

    const { images, size } = await engine.call('latent.sample', { modelId: 'sg2ada-32', seeds: [1, 2, 3], psi: 0.7 });
    expect([images.length, size]).toEqual([3, 32]);
    const target = (await engine.call('project.state', {})).layers.at(-1)!;
    const vector = Float32Array.from({ length: 512 }, (_, i) => (i === 3 ? 1 : 0));
    const before = (await engine.call('latent.get', { layerId: target.id })).ws;
    await engine.call('latent.apply', { layerId: target.id, sliders: [{ vector, alpha: 2, start: 0, end: 3 }], mixes: [{ fromSeed: 9, start: 6, end: 7 }] });
    const after = (await engine.call('latent.get', { layerId: target.id })).ws;
    for (let l = 0; l < 8; l++) for (let i = 0; i < 512; i++) {
      const want = l <= 3 ? before[l * 512 + i]! + (i === 3 ? 2 : 0) : l >= 6 ? after[l * 512 + i]! : before[l * 512 + i]!;
      expect(after[l * 512 + i], `row ${l}, ${i}`).toBeCloseTo(want, 5);
    }
    const { gif, frames } = await engine.call('latent.interpolate', { modelId: 'sg2ada-32', keys: [{ seed: 1 }, { seed: 2 }], frames: 4, space: 'w', method: 'lerp', psi: 0.7, display: 32, delayMs: 50 });
    expect([frames.length, String.fromCharCode(...gif.slice(0, 6))]).toEqual([4, 'GIF89a']);
    expect((await engine.call('latent.mixGrid', { modelId: 'sg2ada-32', rows: [1], cols: [2, 3], start: 0, end: 3, psi: 0.7, cell: 32 })).png.length).toBeGreaterThan(100);
    const dirs = await engine.call('direction.compute', { modelId: 'sg2ada-32', method: 'ganspace', count: 2, start: 0, end: 2 }); // coarse: the first third of 8 rows
    expect(dirs.map((d) => d.name)).toEqual(['GANSpace 1 (coarse)', 'GANSpace 2 (coarse)']);
    engine.close();
  }, 180_000);

  it('refuses a pickle that would run code, naming the global, and installs nothing', async () => {
    const home = tempDir();
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: join(home, 'none') });
    // protocol 2: GLOBAL 'posix system', a string, TUPLE1, REDUCE — what `pickle.dumps(os.system("…"))`-style payloads are.
    const evil = new Uint8Array([0x80, 0x02, ...Buffer.from('cposix\nsystem\nq\x00X\x05\x00\x00\x00touchq\x01\x85q\x02Rq\x03.', 'latin1')]);
    await expect(engine.call('models.importFile', { name: 'ffhq.pkl', bytes: evil })).rejects.toThrow(/posix\.system/);
    expect((await engine.call('models.list', {})).map((m) => m.id)).toEqual([]);
    engine.close();
  });
});
