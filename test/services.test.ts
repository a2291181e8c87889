import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { methodNames } from '../engine/api/index.js';
import { Engine } from '../engine/engine.js';
import { makePng, tempDir } from './helpers.js';

const services = (e: Engine) => ({
  host: e.host, models: e.models, projects: e.projects, layers: e.layers, history: e.history, inpaint: e.inpaint, latent: e.latent, training: e.training,
});

describe('the composition root', () => {
  it('serves every contract method from exactly one feature service, grouped by the method\'s room', () => {
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home: tempDir() });
    const owners = new Map<string, string[]>();
    for (const [name, s] of Object.entries(services(engine))) for (const m of Object.keys(s.handlers)) owners.set(m, [...(owners.get(m) ?? []), name]);
    expect([...owners.keys()].sort()).toEqual([...methodNames].sort());
    for (const [m, who] of owners) expect(who, m).toHaveLength(1);
    // The room of each method is the prefix of its name (direction.* belongs to the latent studio, asset.get to layers).
    const room: Record<string, string> = { engine: 'host', job: 'host', project: 'projects', layer: 'layers', asset: 'layers', history: 'history', inpaint: 'inpaint', latent: 'latent', direction: 'latent', models: 'models', train: 'training' };
    for (const [m, [who]] of owners) expect(who, m).toBe(room[m.split('.')[0]!]);
    engine.close();
  });

  it('calls go through the dispatcher: requests are validated and defaults applied, errors thrown as EngineError', async () => {
    const home = tempDir();
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    const s = await engine.call('project.create', { name: 'P', path: 'p.ganvas' }); // in the library folder: a page may name no other place
    expect([s.width, s.height]).toEqual([1280, 800]); // the contract's defaults, not the handler's
    await expect(engine.call('project.create', { name: '' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(engine.call('layer.delete', { id: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    engine.close();
  });

  it('re-renders through the registry of op kinds: an ordinary edit has nothing to compute', async () => {
    const home = tempDir();
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    await engine.call('project.create', { name: 'P', width: 64, height: 64, path: 'p.ganvas' }); // in the library folder: a page may name no other place
    const s = await engine.call('layer.import', { name: 'a.png', bytes: await makePng(16, 16, 1) });
    await expect(engine.call('history.rerender', { editId: s.headEditId! })).rejects.toThrow(/\(layer\.add\) has nothing to compute/);
    engine.close();
  });
});
