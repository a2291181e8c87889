/**
 * Reading users' StyleGAN checkpoints without Python (issue 13, item 1 and its bad-input section).
 *
 * - The pickle reader against pickles Python wrote in every protocol, and its refusal of globals.
 * - Small synthetic checkpoints committed in test/data/stylegan-import (make_fixtures.py there): an NVlabs-style
 *   snapshot, rosinality zip and legacy files, and one bad file per failure the issue lists.
 * - The public reference files in ../shared/fixtures/import (README.md there): every one reads, its tensors have
 *   the documented shapes, w_avg / magnitude_ema are bit-equal to the reference, and a mapping network written
 *   here as plain float math from the extracted tensors reproduces the reference w for ψ = 1 and 0.7.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../engine/api/errors.js';
import { unpickle } from '../engine/import/pickle.js';
import { readStyleGanCheckpoint, type StyleGanCheckpoint } from '../engine/import/stylegan-checkpoint.js';
import { buildNumpy, torchGlobals, type PersistentModule } from '../engine/import/torch-globals.js';
import { loadTorchCheckpoint } from '../engine/import/torch-load.js';
import { flattenModule, flattenStateDict } from '../engine/import/torch-modules.js';
import { styleWeightsByRow } from '../engine/import/style-weights.js';
import { readNpz, type NpyArray } from './npz.js';

const DATA = join(import.meta.dirname, 'data', 'stylegan-import');
const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'import');
const missing = (files: string[]) => {
  const gone = files.filter((f) => !existsSync(join(FIXTURES, f)));
  return gone.length ? `SKIPPED: ${gone.join(', ')} not found in ${FIXTURES}` : null;
};
/** `it` when the public fixtures are there (fresh clones may not have them), else `it.skip` with the reason in its name. */
const withFixtures = (files: string[]) => {
  const why = missing(files);
  return (name: string, fn: () => void | Promise<void>, timeout?: number) => (why ? it.skip(`${name} — ${why}`, fn) : it(name, fn, timeout));
};

const bytesOf = (path: string) => new Uint8Array(readFileSync(path));
const read = (file: string, dir = DATA) => readStyleGanCheckpoint(bytesOf(join(dir, file)), file);
const f32 = (a: NpyArray | undefined): Float32Array => {
  if (!a || a.dtype !== 'f4') throw new Error('expected a float32 array');
  return a.data;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
/** The EngineError a call throws (fails the test when it throws nothing or something else). */
const errorOf = (fn: () => unknown): EngineError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected an EngineError, but nothing was thrown');
};

/**
 * The mapping network as plain float math from the extracted tensors: normalise z (and the class embedding),
 * then each fc `act(x·(W·gain)ᵀ + b·biasGain)` with lrelu = leaky_relu(0.2)·√2, then truncation toward `avg`.
 */
function mapping(ck: StyleGanCheckpoint, z: Float32Array, c: Float32Array | null, psi: number, avg: Float32Array | null): Float32Array {
  const { zDim, cDim } = ck.config;
  const normalise = (v: Float64Array) => {
    let s = 0;
    for (const x of v) s += x * x;
    const k = 1 / Math.sqrt(s / v.length + 1e-8);
    return v.map((x) => x * k);
  };
  const dense = (x: Float64Array, wName: string, bName: string, wGain: number, bGain: number, lrelu: boolean) => {
    const W = ck.tensors.get(wName)!, b = ck.tensors.get(bName)!;
    const [out, inn] = W.shape as [number, number];
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < inn; i++) s += x[i]! * W.data[o * inn + i]!;
      const v = s * wGain + b.data[o]! * bGain;
      y[o] = lrelu ? (v >= 0 ? v : 0.2 * v) * Math.SQRT2 : v;
    }
    return y;
  };
  let x = normalise(Float64Array.from(z.subarray(0, zDim)));
  if (cDim > 0) {
    const e = ck.modules.get('mapping.embed')!.attrs;
    const y = normalise(dense(Float64Array.from(c!), 'mapping.embed.weight', 'mapping.embed.bias', e.weight_gain as number, e.bias_gain as number, false));
    x = Float64Array.from([...x, ...y]);
  }
  for (const l of ck.mapping) x = dense(x, l.weight, l.bias, l.weightGain, l.biasGain, l.activation === 'lrelu');
  if (psi === 1) return Float32Array.from(x);
  return Float32Array.from(x, (v, i) => avg![i]! + psi * (v - avg![i]!));
}

/** Row `i` of a [N, D] array. */
const row = (a: Float32Array, i: number, d: number) => a.subarray(i * d, (i + 1) * d);

describe('the pickle reader', () => {
  // pickle.dumps(obj, protocol=p) for p = 0…5 of one object using every basic type (Python 3.11).
  const dumps = [
    '286470300a56696e74730a70310a286c70320a49300a6149310a61493235350a614936353533350a614936353533360a61492d310a61492d323134373438333634380a614c323134373438333634384c0a614c313138303539313632303731373431313330333432344c0a614c2d313138303539313632303731373431313330333432344c0a617356666c6f6174730a70330a286c70340a46302e350a61462d302e30303132350a6173566e6f6e650a70350a4e7356626f6f6c730a70360a286c70370a4930310a614930300a617356746578740a70380a5668e96c6c6f0a70390a735662797465730a7031300a635f636f646563730a656e636f64650a7031310a28565c753030303001ff0a7031320a566c6174696e310a7031330a747031340a527031350a73567475706c65730a7031360a286c7031370a2874612849310a747031380a612849310a49320a747031390a612849310a49320a49330a747032300a612849310a49320a49330a49340a747032310a6173567365740a7032320a635f5f6275696c74696e5f5f0a7365740a7032330a28286c7032340a49370a61747032350a527032360a735666726f7a656e0a7032370a635f5f6275696c74696e5f5f0a66726f7a656e7365740a7032380a28286c7032390a49380a61747033300a527033310a73566f640a7033320a63636f6c6c656374696f6e730a4f726465726564446963740a7033330a2874527033340a56610a7033350a49310a7373567368617265640a7033360a286c7033370a286c7033380a49310a6149320a61616733380a61732e',
    '7d7100285804000000696e747371015d7102284b004b014bff4dffff4a000001004affffffff4a000000804c323134373438333634384c0a4c313138303539313632303731373431313330333432344c0a4c2d313138303539313632303731373431313330333432344c0a655806000000666c6f61747371035d710428473fe000000000000047bf547ae147ae147b6558040000006e6f6e6571054e5805000000626f6f6c7371065d7107284930310a4930300a655804000000746578747108580600000068c3a96c6c6f710958050000006279746573710a635f636f646563730a656e636f64650a710b2858040000000001c3bf710c58060000006c6174696e31710d74710e52710f58060000007475706c657371105d71112829284b01747112284b014b02747113284b014b024b03747114284b014b024b034b047471156558030000007365747116635f5f6275696c74696e5f5f0a7365740a7117285d71184b076174711952711a580600000066726f7a656e711b635f5f6275696c74696e5f5f0a66726f7a656e7365740a711c285d711d4b086174711e52711f58020000006f64712063636f6c6c656374696f6e730a4f726465726564446963740a71212952712258010000006171234b0173580600000073686172656471245d7125285d7126284b014b0265682665752e',
    '80027d7100285804000000696e747371015d7102284b004b014bff4dffff4a000001004affffffff4a000000808a0500000080008a090000000000000000408a090000000000000000c0655806000000666c6f61747371035d710428473fe000000000000047bf547ae147ae147b6558040000006e6f6e6571054e5805000000626f6f6c7371065d7107288889655804000000746578747108580600000068c3a96c6c6f710958050000006279746573710a635f636f646563730a656e636f64650a710b58040000000001c3bf710c58060000006c6174696e31710d86710e52710f58060000007475706c657371105d711128294b018571124b014b028671134b014b024b03877114284b014b024b034b047471156558030000007365747116635f5f6275696c74696e5f5f0a7365740a71175d71184b076185711952711a580600000066726f7a656e711b635f5f6275696c74696e5f5f0a66726f7a656e7365740a711c5d711d4b086185711e52711f58020000006f64712063636f6c6c656374696f6e730a4f726465726564446963740a71212952712258010000006171234b0173580600000073686172656471245d7125285d7126284b014b0265682665752e',
    '80037d7100285804000000696e747371015d7102284b004b014bff4dffff4a000001004affffffff4a000000808a0500000080008a090000000000000000408a090000000000000000c0655806000000666c6f61747371035d710428473fe000000000000047bf547ae147ae147b6558040000006e6f6e6571054e5805000000626f6f6c7371065d7107288889655804000000746578747108580600000068c3a96c6c6f710958050000006279746573710a43030001ff710b58060000007475706c6573710c5d710d28294b0185710e4b014b0286710f4b014b024b03877110284b014b024b034b047471116558030000007365747112636275696c74696e730a7365740a71135d71144b0761857115527116580600000066726f7a656e7117636275696c74696e730a66726f7a656e7365740a71185d71194b086185711a52711b58020000006f64711c63636f6c6c656374696f6e730a4f726465726564446963740a711d2952711e580100000061711f4b0173580600000073686172656471205d7121285d7122284b014b0265682265752e',
    '80049521010000000000007d94288c04696e7473945d94284b004b014bff4dffff4a000001004affffffff4a000000808a0500000080008a090000000000000000408a090000000000000000c0658c06666c6f617473945d9428473fe000000000000047bf547ae147ae147b658c046e6f6e65944e8c05626f6f6c73945d94288889658c0474657874948c0668c3a96c6c6f948c0562797465739443030001ff948c067475706c6573945d9428294b0185944b014b0286944b014b024b038794284b014b024b034b047494658c03736574948f94284b07908c0666726f7a656e94284b0891948c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0161944b01738c06736861726564945d94285d94284b014b0265681e65752e',
    '80059521010000000000007d94288c04696e7473945d94284b004b014bff4dffff4a000001004affffffff4a000000808a0500000080008a090000000000000000408a090000000000000000c0658c06666c6f617473945d9428473fe000000000000047bf547ae147ae147b658c046e6f6e65944e8c05626f6f6c73945d94288889658c0474657874948c0668c3a96c6c6f948c0562797465739443030001ff948c067475706c6573945d9428294b0185944b014b0286944b014b024b038794284b014b024b034b047494658c03736574948f94284b07908c0666726f7a656e94284b0891948c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0161944b01738c06736861726564945d94285d94284b014b0265681e65752e',
  ];
  const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
  const load = (bytes: Uint8Array) => unpickle(bytes, { what: 'test.pkl', globals: torchGlobals('test.pkl', () => null), build: buildNumpy('test.pkl') }).value;

  it.each(dumps.map((d, p) => [p, d] as const))('reads protocol %i: ints of every width, floats, text, bytes, tuples, sets, OrderedDict, shared references', (_, d) => {
    const v = load(hex(d)) as Map<string, unknown>;
    expect(v.get('ints')).toEqual([0, 1, 255, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2n ** 70n, -(2n ** 70n)]);
    expect(v.get('floats')).toEqual([0.5, -1.25e-3]);
    expect(v.get('none')).toBeNull();
    expect(v.get('bools')).toEqual([true, false]);
    expect(v.get('text')).toBe('héllo');
    expect(v.get('bytes')).toEqual(new Uint8Array([0, 1, 255]));
    expect(v.get('tuples')).toEqual([[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
    expect(v.get('set')).toEqual(new Set([7]));
    expect(v.get('frozen')).toEqual(new Set([8]));
    expect(v.get('od')).toEqual(new Map([['a', 1]]));
    const shared = v.get('shared') as unknown[][];
    expect(shared[0]).toBe(shared[1]); // the memo gives back the same object, as Python's does
  });

  it('refuses a global outside the allow-list by its name, whether it comes by GLOBAL or STACK_GLOBAL', () => {
    // pickle.dumps(os.system, protocol=2) and pickle.dumps({'x': subprocess.Popen}, protocol=4)
    expect(errorOf(() => load(hex('800263706f7369780a73797374656d0a71002e'))).message).toMatch(/posix\.system.*nothing in it was executed/);
    expect(errorOf(() => load(hex('8004951f000000000000007d948c0178948c0a73756270726f63657373948c05506f70656e949394732e'))).message).toMatch(/subprocess\.Popen/);
  });

  it('reports a truncated pickle as truncated', () => {
    const d = hex(dumps[4]!);
    for (const n of [1, 12, 40, d.length - 1]) expect(errorOf(() => load(d.subarray(0, n))).message).toMatch(/truncated/);
  });
});

describe('synthetic checkpoints (test/data/stylegan-import)', () => {
  it('reads an NVlabs-style snapshot, taking G_ema (not G), with its config from attributes and shapes', () => {
    const ck = read('tiny-sg2.pkl');
    const ref = readNpz(join(DATA, 'tiny-sg2.ref.npz'));
    expect(ck.format).toBe('stylegan2-ada');
    expect(ck.container).toBe('pickle');
    expect(ck.config).toEqual({ zDim: 8, wDim: 8, cDim: 0, resolution: 8, imgChannels: 3, numWs: 4, mappingLayers: 2, channels: { 4: 6, 8: 5 }, architecture: 'skip', convClamp: 256 });
    expect(ck.wAvg).toEqual(f32(ref.w_avg));
    expect(maxDiff(ck.wAvg!, f32(ref.g_w_avg))).toBeGreaterThan(0.1); // G's buffer differs: G_ema was taken
    expect([...ck.noise.keys()]).toEqual(['synthesis.b4.conv1', 'synthesis.b8.conv0', 'synthesis.b8.conv1']);
    expect(ck.noise.get('synthesis.b8.conv0')!.const.shape).toEqual([8, 8]);
    expect(ck.tensors.get('synthesis.b8.conv0.weight')!.shape).toEqual([5, 6, 3, 3]);
    // Gains are the file's own attributes (a numpy float64 scalar for weight_gain).
    expect(ck.mapping[0]!.weightGain).toBeCloseTo(0.01 / Math.sqrt(8), 12);
    expect(ck.modules.get('synthesis.b8.torgb')!.attrs.weight_gain).toBeCloseTo(1 / Math.sqrt(5), 12);
    // The Python source a persistent module carries is dropped, never kept.
    expect(JSON.stringify([...ck.modules.values()])).not.toContain('synthetic test module');
  });

  it('a mapping written from the extracted tensors reproduces the synthetic reference w (ψ = 1 and 0.7)', () => {
    const ck = read('tiny-sg2.pkl');
    const ref = readNpz(join(DATA, 'tiny-sg2.ref.npz'));
    const z = f32(ref.z);
    for (const [psi, key] of [[1, 'w_psi1'], [0.7, 'w_psi07']] as const) {
      for (let i = 0; i < 3; i++) expect(maxDiff(mapping(ck, row(z, i, 8), null, psi, ck.wAvg), row(f32(ref[key]), i, 8))).toBeLessThan(1e-5);
    }
  });

  it('reads rosinality checkpoints in the torch zip and the legacy torch.save format', () => {
    const zip = read('tiny-rosinality.pt');
    expect(zip.container).toBe('torch-zip');
    expect(zip.format).toBe('rosinality');
    expect(zip.config).toEqual({ zDim: 8, wDim: 8, cDim: 0, resolution: 8, imgChannels: 3, numWs: 4, mappingLayers: 3, channels: { 4: 6, 8: 5 }, architecture: 'skip', convClamp: null });
    expect(zip.wAvg).toBeNull(); // train.py checkpoints store no average w
    expect(zip.training.args).toMatchObject({ size: 8, n_mlp: 3, arch: 'stylegan2' });
    expect([...zip.noise.keys()]).toEqual(['conv1', 'convs.0', 'convs.1']);
    const legacy = read('tiny-rosinality-legacy.pt');
    expect(legacy.container).toBe('torch-legacy');
    expect(legacy.config).toEqual(zip.config);
    expect(legacy.wAvg).toHaveLength(8); // convert_weight.py's latent_avg
    expect(legacy.tensors.get('convs.0.conv.blur.kernel')!.data.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 5);
  });
});

describe('style weights for SeFa', () => {
  it('gives each conv row its affine weight as [wDim, channels] with the gain applied, in the runner\'s row order', () => {
    const sg2 = read('tiny-sg2.pkl');
    const rows = styleWeightsByRow(sg2);
    expect([...rows.keys()]).toEqual([0, 1, 2]); // b4.conv1, b8.conv0, b8.conv1 (ToRGB-only row 3 has none)
    const w = sg2.tensors.get('synthesis.b8.conv0.affine.weight')!; // [in-channels 6, wDim 8]
    const gain = sg2.modules.get('synthesis.b8.conv0.affine')!.attrs.weight_gain as number;
    const r1 = rows.get(1)!;
    expect([r1.inDim, r1.outDim]).toEqual([8, 6]);
    expect(r1.data[3 * 6 + 5]).toBeCloseTo(w.data[5 * 8 + 3]! * gain, 7);
    const ros = styleWeightsByRow(read('tiny-rosinality.pt'));
    expect([...ros.keys()]).toEqual([0, 1, 2]);
    expect(ros.get(2)!.outDim).toBe(5); // convs.1 modulates its 5 input channels
  });
});

describe('tensor layouts and dtypes (layouts.* in test/data/stylegan-import)', () => {
  // torch.save / pickle of base [3, 4] = arange(12)·0.37 − 1.1, base.t(), base[1:, 2:], and base as half, bfloat16 and double.
  it.each(['layouts.pt', 'layouts-legacy.pt', 'layouts.pkl'])('%s: strides, storage offsets and float dtypes give the right values', (file) => {
    const { value } = loadTorchCheckpoint(bytesOf(join(DATA, file)), file);
    const tensors = flattenStateDict(value as Map<unknown, unknown>, file);
    const a = tensors.get('a')!;
    expect(a.shape).toEqual([3, 4]);
    const at = (r: number, c: number) => a.data[r * 4 + c]!;
    expect(tensors.get('a_t')!.shape).toEqual([4, 3]);
    expect(Array.from(tensors.get('a_t')!.data)).toEqual(Array.from({ length: 12 }, (_, i) => at(i % 3, Math.floor(i / 3))));
    expect(Array.from(tensors.get('a_slice')!.data)).toEqual([at(1, 2), at(1, 3), at(2, 2), at(2, 3)]);
    expect(maxDiff(tensors.get('a_double')!.data, a.data)).toBe(0);
    expect(maxDiff(tensors.get('a_half')!.data, a.data)).toBeLessThan(2 ** -10 * 2.1); // fp16 rounding of |x| < 2.1
    expect(maxDiff(tensors.get('a_half')!.data, a.data)).toBeGreaterThan(0);
    expect(maxDiff(tensors.get('a_bf16')!.data, a.data)).toBeLessThan(2 ** -7 * 2.1);
    expect(maxDiff(a.data, Array.from({ length: 12 }, (_, i) => i * 0.37 - 1.1))).toBeLessThan(1e-6);
  });
});

describe('bad input: clear errors, nothing executed', () => {
  it('an integer a megabyte wide is refused at once (it would take quadratic time to build)', () => {
    const n = 1 << 20;
    const b = new Uint8Array(2 + 5 + n + 1);
    b.set([0x80, 0x02, 0x8b, n & 255, (n >> 8) & 255, (n >> 16) & 255, 0]);
    b[b.length - 1] = 0x2e;
    const t = performance.now();
    expect(errorOf(() => readStyleGanCheckpoint(b, 'wide.pkl')).message).toMatch(/integer of 1048576 bytes .* wider than Ganvas reads/);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('an expanded view that would unfold to 2^25 values is refused; a small one reads as repeated values', () => {
    const { value } = loadTorchCheckpoint(bytesOf(join(DATA, 'expanded.pt')), 'expanded.pt');
    const m = value as Map<string, unknown>;
    expect(Array.from(flattenStateDict(new Map([['small', m.get('small')]]), 'expanded.pt').get('small')!.data)).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(errorOf(() => flattenStateDict(m, 'expanded.pt')).message).toMatch(/shape \[33554432\] repeats 1 stored values .* not supported/);
  });

  it('an unknown global is refused by name and not executed', () => {
    const marker = '/tmp/ganvas-pickle-was-executed'; // what the file's builtins.eval payload would write
    rmSync(marker, { force: true });
    const e = errorOf(() => read('evil-global.pkl'));
    expect(e.code).toBe('bad_model');
    expect(e.message).toContain('builtins.eval');
    expect(existsSync(marker)).toBe(false);
  });

  it('a truncated file is reported as truncated, in each container', () => {
    for (const file of ['tiny-sg2.pkl', 'tiny-rosinality.pt', 'tiny-rosinality-legacy.pt']) {
      const bytes = bytesOf(join(DATA, file));
      for (const n of [0, 64, bytes.length >> 1, bytes.length - 30]) {
        const e = errorOf(() => readStyleGanCheckpoint(bytes.subarray(0, n), file));
        expect(e.message, `${file} cut at ${n}`).toMatch(n === 0 ? /empty/ : /truncated/);
      }
    }
  });

  it('a file of the wrong kind (a discriminator only, a dataset) says what it holds', () => {
    expect(errorOf(() => read('d-only.pkl')).message).toMatch(/discriminator.*no generator/);
    expect(errorOf(() => read('dataset.pt')).message).toMatch(/not a StyleGAN checkpoint: it holds images, labels/);
    expect(errorOf(() => read('dataset-images.zip')).message).toMatch(/this zip is not a torch checkpoint \(it has no data\.pkl\)/);
    expect(errorOf(() => readStyleGanCheckpoint(new TextEncoder().encode('{"not": "a pickle"}'), 'x.json')).message).toMatch(/not a pickle or a torch checkpoint/);
  });

  it('a missing tensor is named', () => {
    expect(errorOf(() => read('missing-tensor.pkl')).message).toMatch(/no tensor synthesis\.b8\.conv1\.weight/);
    expect(errorOf(() => read('rosinality-missing-noise.pt')).message).toMatch(/no tensor noises\.noise_2/);
  });

  it('a pickle whose attribute contains itself is refused, not recursed into forever', () => {
    expect(errorOf(() => read('cyclic-attribute.pkl')).message).toMatch(/nested more than 32 levels deep \(or contains itself\)/);
  });

  it('damaged bytes (headers, opcodes, central directory) only ever give an EngineError', () => {
    // Seeded random overwrites in the first and last 4 kB of each container, where its structure lives.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let refused = 0;
    for (const file of ['tiny-sg2.pkl', 'tiny-rosinality.pt', 'tiny-rosinality-legacy.pt']) {
      const original = bytesOf(join(DATA, file));
      for (let n = 0; n < 120; n++) {
        const b = original.slice();
        for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
          const r = Math.floor(rand() * 8192);
          b[r < 4096 ? r : b.length - 1 - (r - 4096)] = Math.floor(rand() * 256);
        }
        try {
          readStyleGanCheckpoint(b, file);
        } catch (e) {
          expect(e, `${file} mutation ${n}: ${(e as Error).message}`).toBeInstanceOf(EngineError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(100); // the mutations do reach the structure
  });

  it('an absurd resolution is refused', () => {
    expect(errorOf(() => read('absurd-resolution.pkl')).message).toMatch(/resolution of 65536/);
    expect(errorOf(() => read('rosinality-absurd-resolution.pt')).message).toMatch(/resolution of 2\^15 px/);
  });
});

describe('the public reference checkpoints (../shared/fixtures/import)', () => {
  const FILES = ['sg2ada-32.pkl', 'sg2ada-32-c4.pkl', 'sg3-t-32.pkl', 'rosinality-32.pt'];
  const REFS = FILES.map((f) => f.replace(/\.(pkl|pt)$/, '.ref.npz'));
  const fixture = withFixtures([...FILES, ...REFS]);
  const loaded = new Map<string, { ck: StyleGanCheckpoint; ref: Record<string, NpyArray> }>();
  beforeAll(() => {
    if (missing([...FILES, ...REFS])) return;
    for (const f of FILES) loaded.set(f, { ck: read(f, FIXTURES), ref: readNpz(join(FIXTURES, f.replace(/\.(pkl|pt)$/, '.ref.npz'))) });
  }, 60_000);
  const get = (f: string) => loaded.get(f)!;
  const scalar = (a: NpyArray | undefined) => (a && a.dtype === 'i8' ? Number(a.data[0]) : NaN);

  fixture('every file reads, with the family, resolution, num_ws and c_dim its reference records', () => {
    const formats = { 'sg2ada-32.pkl': 'stylegan2-ada', 'sg2ada-32-c4.pkl': 'stylegan2-ada', 'sg3-t-32.pkl': 'stylegan3-t', 'rosinality-32.pt': 'rosinality' };
    for (const f of FILES) {
      const { ck, ref } = get(f);
      expect(ck.format, f).toBe(formats[f as keyof typeof formats]);
      expect(ck.config.resolution, f).toBe(scalar(ref.resolution));
      expect(ck.config.numWs, f).toBe(scalar(ref.num_ws));
      if (ref.c_dim) expect(ck.config.cDim, f).toBe(scalar(ref.c_dim));
    }
  });

  fixture('channel tables and tensor shapes are as the README documents', () => {
    const sg2 = get('sg2ada-32.pkl').ck;
    expect(sg2.config.channels).toEqual({ 4: 40, 8: 40, 16: 24, 32: 12 });
    expect(sg2.config).toMatchObject({ zDim: 512, wDim: 512, mappingLayers: 2, architecture: 'skip', convClamp: 256 });
    expect(sg2.tensors.get('synthesis.b4.const')!.shape).toEqual([40, 4, 4]);
    expect(sg2.tensors.get('synthesis.b32.torgb.weight')!.shape).toEqual([3, 12, 1, 1]);
    expect(sg2.noise.get('synthesis.b32.conv1')!.const.shape).toEqual([32, 32]);
    expect(sg2.tensors.get('synthesis.b8.conv0.noise_strength')!.shape).toEqual([]);
    expect(sg2.noise.size).toBe(7);
    const c4 = get('sg2ada-32-c4.pkl').ck;
    expect(c4.tensors.get('mapping.embed.weight')!.shape).toEqual([512, 4]);
    expect(c4.tensors.get('mapping.fc0.weight')!.shape).toEqual([512, 1024]);
    const sg3 = get('sg3-t-32.pkl').ck.sg3!;
    expect(sg3.input).toEqual({ channels: 28, size: [36, 36], samplingRate: 16, bandwidth: 2 });
    expect(sg3.outputScale).toBe(0.25);
    expect(sg3.layers.map((l) => l.outChannels)).toEqual([28, 28, 28, 28, 28, 28, 28, 28, 24, 20, 17, 14, 12, 12, 3]);
    expect(sg3.layers[5]).toMatchObject({ inSize: [36, 36], outSize: [52, 52], upFactor: 4, downFactor: 2, padding: [-6, -9, -6, -9] });
    expect(sg3.layers[5]!.upFilter!.shape).toEqual([24]);
    expect(sg3.layers[13]).toMatchObject({ outSize: [32, 32], padding: [-11, -12, -11, -12] });
    expect(sg3.layers[14]).toMatchObject({ isTorgb: true, upFilter: null, downFilter: null, convKernel: 1 });
    const ros = get('rosinality-32.pt').ck;
    expect(ros.config.channels).toEqual({ 4: 40, 8: 40, 16: 24, 32: 16 });
    expect(ros.config.mappingLayers).toBe(8);
    expect(ros.tensors.get('convs.0.conv.weight')!.shape).toEqual([1, 40, 40, 3, 3]);
    expect(ros.noise.get('convs.5')!.const.shape).toEqual([1, 1, 32, 32]);
    expect(ros.training.args).toMatchObject({ size: 32, channel_multiplier: 2, latent: 512, n_mlp: 8 });
  });

  fixture('w_avg is the stored buffer, bit for bit; StyleGAN3 magnitude EMAs and input transform likewise', () => {
    for (const f of ['sg2ada-32.pkl', 'sg2ada-32-c4.pkl', 'sg3-t-32.pkl']) {
      const { ck, ref } = get(f);
      expect(maxDiff(ck.wAvg!, f32(ref.w_avg)), f).toBe(0);
    }
    const { ck, ref } = get('sg3-t-32.pkl');
    expect(maxDiff(Float32Array.from(ck.sg3!.layers, (l) => l.magnitudeEma), f32(ref.magnitude_ema))).toBe(0);
    expect(maxDiff(ck.tensors.get('synthesis.input.transform')!.data, f32(ref.input_transform))).toBe(0);
  });

  fixture('a mapping written from the extracted G_ema tensors reproduces the reference w within 1e-4 (ψ = 1 and 0.7)', () => {
    const diffs: Record<string, number> = {};
    for (const f of FILES) {
      const { ck, ref } = get(f);
      const z = f32(ref.z), d = ck.config.zDim;
      const c = ref.c ? f32(ref.c) : null;
      const cases: [number, string][] = [[1, 'w_psi1']];
      if (ck.wAvg) cases.push([0.7, 'w_psi07']); // rosinality stores no average: its ψ < 1 needs an estimate (converter)
      for (const [psi, key] of cases) {
        let m = 0;
        for (let i = 0; i < 4; i++) m = Math.max(m, maxDiff(mapping(ck, row(z, i, d), c && row(c, i, ck.config.cDim), psi, ck.wAvg), row(f32(ref[key]), i, ck.config.wDim)));
        diffs[`${f} ${key}`] = m;
      }
    }
    console.log('max |w − reference|:', diffs);
    for (const [k, m] of Object.entries(diffs)) expect(m, k).toBeLessThan(1e-4);
  });

  fixture('the reader takes G_ema: the same mapping with the file\'s G tensors misses the reference', () => {
    const { ck, ref } = get('sg2ada-32.pkl');
    const { value } = loadTorchCheckpoint(bytesOf(join(FIXTURES, 'sg2ada-32.pkl')), 'sg2ada-32.pkl');
    const G = flattenModule((value as Map<string, unknown>).get('G') as PersistentModule, 'G');
    const z = row(f32(ref.z), 0, 512), w = row(f32(ref.w_psi1), 0, 512);
    const withG = mapping({ ...ck, tensors: G.tensors }, z, null, 1, null);
    const gap = maxDiff(withG, w);
    console.log('max |w(G) − reference| =', gap);
    expect(gap).toBeGreaterThan(1e-2);
    expect(maxDiff(mapping(ck, z, null, 1, null), w)).toBeLessThan(1e-4);
  });

  fixture('a truncated network pickle and a truncated torch zip are refused as truncated', () => {
    for (const f of ['sg2ada-32.pkl', 'rosinality-32.pt']) {
      const bytes = bytesOf(join(FIXTURES, f));
      expect(errorOf(() => readStyleGanCheckpoint(bytes.subarray(0, Math.floor(bytes.length * 0.6)), f)).message, f).toMatch(/truncated/);
    }
  });
});
