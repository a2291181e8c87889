import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDispatcher, limits, type Handlers } from '../engine/api/index.js';
import { Engine } from '../engine/engine.js';
import { MAX_BYTES, MAX_PIXELS } from '../engine/image/raster.js';
import { tempDir } from './helpers.js';

/** A PNG whose header says width×height, with one row of data: enough for a header read, not a decode. */
function pngHeader(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))), chunk('IEND', Buffer.alloc(0))]));
}

function engine() {
  const home = tempDir();
  const e = new Engine({ host: 'cli', hostDetail: 'test', home, shippedModels: tempDir() });
  return { e, home, dispatch: createDispatcher(e.handlers) };
}

describe('resource limits of the contract (issue 12)', () => {
  it('states them in the contract', () => {
    expect(limits).toMatchObject({ maxImagePixels: 120e6, maxDocumentPixels: 120e6, maxDocumentSide: 32768, maxDepth: 16, maxConcurrentJobs: 4 });
    // The pixel module enforces the image limits the contract states.
    expect([MAX_PIXELS, MAX_BYTES]).toEqual([limits.maxImagePixels, limits.maxImageBytes]);
  });

  it('refuses a 30000×30000 PNG as over the pixel limit, not as unreadable', async () => {
    const { e, dispatch } = engine();
    e.openOrCreate();
    const r = await dispatch('layer.import', { name: 'huge.png', bytes: pngHeader(30000, 30000) });
    expect(r).toMatchObject({ ok: false, e: { code: 'bad_image', message: 'huge.png is 30000×30000, over the 120 MP limit' } });
    e.close();
  });

  it('refuses a document over the pixel limit at create, and its export before allocating anything', async () => {
    const { e, home, dispatch } = engine();
    expect(await dispatch('project.create', { name: 'big', width: 16384, height: 16384 })).toMatchObject({ ok: false, e: { code: 'bad_request', message: expect.stringMatching(/at most 120 MP/) } });
    // The command line is not bound by the contract: such a document can exist, and its export is refused.
    e.projects.create('big', 16384, 16384, join(home, 'big.ganvas'));
    const before = process.memoryUsage().rss;
    const t0 = Date.now();
    const r = await dispatch('project.export', {});
    expect(r).toMatchObject({ ok: false, e: { code: 'bad_request', message: 'the document is 16384×16384 (268 MP), over the limit of 120 MP and 32768 px a side' } });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
    e.close();
  });

  it('refuses deep, wide, long and large requests before validation', async () => {
    const seen: unknown[] = [];
    const dispatch = createDispatcher({ 'engine.info': (r: unknown) => { seen.push(r); return {}; } } as unknown as Handlers);
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(await dispatch('engine.info', deep)).toMatchObject({ ok: false, e: { code: 'bad_request', message: expect.stringMatching(/nested deeper than the limit of 16 levels/) } });
    expect(await dispatch('engine.info', { a: new Array(5000).fill(0) })).toMatchObject({ ok: false, e: { message: expect.stringMatching(/more than 4096 items/) } });
    expect(await dispatch('engine.info', { a: 'x'.repeat(5000) })).toMatchObject({ ok: false, e: { message: expect.stringMatching(/4096-character limit/) } });
    expect(await dispatch('engine.info', { a: [new Uint8Array(limits.maxRequestBytes), new Uint8Array(8)] })).toMatchObject({ ok: false, e: { message: expect.stringMatching(/larger than the 420 MiB limit/) } });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(await dispatch('engine.info', loop)).toMatchObject({ ok: false, e: { code: 'bad_request' } });
    expect(await dispatch({ m: [[['engine.info']]] }, {})).toMatchObject({ ok: false, e: { code: 'bad_request', message: 'a method name is a string, not an object' } });
    expect(seen).toEqual([]);
  });

  it('refuses long calls beyond the concurrent-job limit at once, and takes them again when one ends', async () => {
    const gates: (() => void)[] = [];
    const dispatch = createDispatcher({ 'project.export': () => new Promise((ok) => gates.push(() => ok({ png: new Uint8Array(1), width: 1, height: 1 }))), 'engine.info': () => ({}) } as unknown as Handlers);
    const running = Array.from({ length: limits.maxConcurrentJobs }, () => dispatch('project.export', {}));
    await new Promise((r) => setTimeout(r, 10));
    expect(await dispatch('project.export', {})).toMatchObject({ ok: false, e: { code: 'conflict', message: expect.stringMatching(/4 long tasks are already running/) } });
    expect(await dispatch('engine.info', {})).toMatchObject({ ok: true }); // short calls are not held up
    gates.shift()!();
    await running[0];
    const again = dispatch('project.export', {});
    await new Promise((r) => setTimeout(r, 10));
    for (const g of gates.splice(0)) g();
    expect(await again).toMatchObject({ ok: true });
    await Promise.all(running);
  });
});
