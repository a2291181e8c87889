import { describe, expect, it } from 'vitest';
import { createDispatcher, type Handlers } from '../engine/api/dispatch.js';
import { methodNames, methods } from '../engine/api/contract.js';
import { decodeFrame, encodeFrame } from '../engine/api/wire.js';
import { Engine } from '../engine/engine.js';
import { tempDir } from './helpers.js';

describe('contract', () => {
  it('the engine implements exactly the methods of the contract', () => {
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home: tempDir() });
    expect(Object.keys(engine.handlers).sort()).toEqual([...methodNames].sort());
  });

  it('validates requests at the boundary and turns errors into replies', async () => {
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home: tempDir() });
    const dispatch = createDispatcher(engine.handlers);
    expect(await dispatch('project.drop', {})).toMatchObject({ ok: false, e: { code: 'unknown_method' } });
    expect(await dispatch('layer.update', { id: 'a', patch: {} })).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    expect(await dispatch('layer.update', { id: 'a', patch: { x: Number.NaN } })).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    expect(await dispatch('layer.import', { name: 'x', bytes: 'aGVsbG8=' })).toMatchObject({
      ok: false, e: { code: 'bad_request', message: expect.stringMatching(/bytes/) },
    });
    expect(await dispatch('project.state', { extra: 1 })).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    expect(await dispatch('project.state', {})).toMatchObject({ ok: false, e: { code: 'no_project' } });
    const info = await dispatch('engine.info', {});
    expect(info.ok && methods['engine.info'].reply.safeParse(info.r).success).toBe(true);
  });

  it('reports unexpected failures as internal errors without throwing', async () => {
    const boom = { 'engine.info': () => { throw new TypeError('kaput'); } } as unknown as Handlers;
    const seen: unknown[] = [];
    const out = await createDispatcher(boom, (e) => seen.push(e))('engine.info', {});
    expect(out).toEqual({ ok: false, e: { code: 'internal', message: 'kaput' } });
    expect(seen).toHaveLength(1);
  });

  it('carries bytes and float tensors as binary on the wire', () => {
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7) & 255);
    const latent = new Float32Array([0.5, -1.25, 3e-8]);
    const frame = encodeFrame({ t: 'call', id: 7, m: 'layer.import', p: { name: 'x', bytes, latent } });
    expect(frame.byteLength).toBeLessThan(4096 + 12 + 100); // raw bytes: no base64 (×1.33), no JSON arrays
    const back = decodeFrame(frame) as { t: 'call'; p: { bytes: Uint8Array; latent: Float32Array } };
    expect(back.p.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back.p.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(back.p.latent).toBeInstanceOf(Float32Array);
    expect(Array.from(back.p.latent)).toEqual(Array.from(latent));
    expect(() => decodeFrame(new Uint8Array([0xc0]))).toThrow(/not a Ganvas frame/);
  });
});
