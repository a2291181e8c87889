import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.js';
import { LayerUpdateV1 } from '../engine/store/op-schemas.js';
import { OpCodec, OpFormatError, opVersions } from '../engine/store/op-versions.js';
import { ProjectStore } from '../engine/store/project-store.js';
import { makePng, tempDir } from './helpers.js';

// A synthetic older shape of layer.update (no real old format exists yet): v0 named the layer `layerId` and said
// `left`, `top` and `hidden`; v1 (today) says `id` and patches `x`, `y` and `visible`.
const LayerUpdateV0 = z.object({
  kind: z.literal('layer.update'),
  layerId: z.string(),
  changes: z.object({ left: z.number().optional(), top: z.number().optional(), hidden: z.boolean().optional() }),
});
const withV0 = new OpCodec({
  ...opVersions,
  'layer.update': {
    version: 1,
    schema: LayerUpdateV1,
    upgrades: {
      0: {
        schema: LayerUpdateV0,
        upgrade: (old: z.infer<typeof LayerUpdateV0>) => ({
          kind: 'layer.update', id: old.layerId,
          patch: {
            ...(old.changes.left !== undefined && { x: old.changes.left }),
            ...(old.changes.top !== undefined && { y: old.changes.top }),
            ...(old.changes.hidden !== undefined && { visible: !old.changes.hidden }),
          },
        }),
      },
    },
  },
});
const v0Move = JSON.stringify({ kind: 'layer.update', layerId: 'abc123', changes: { left: 12, top: -3, hidden: true } });

describe('versioned ops', () => {
  it('upgrades a v0 op to today’s shape on read', () => {
    expect(withV0.decode('layer.update', 0, v0Move)).toEqual({ kind: 'layer.update', id: 'abc123', patch: { x: 12, y: -3, visible: false } });
    expect(withV0.decode('layer.update', 0, '{"kind":"layer.update","layerId":"abc123","changes":{"top":4}}')).toStrictEqual({ kind: 'layer.update', id: 'abc123', patch: { y: 4 } });
    expect(withV0.decode('layer.update', 1, JSON.stringify({ kind: 'layer.update', id: 'abc123', patch: { opacity: 0.5 } })))
      .toEqual({ kind: 'layer.update', id: 'abc123', patch: { opacity: 0.5 } });
  });

  it('refuses, with the reason, what it cannot read', () => {
    const reason = (codec: OpCodec, kind: string, version: number, params: string) => {
      try {
        codec.decode(kind, version, params);
      } catch (err) {
        expect(err).toBeInstanceOf(OpFormatError);
        return (err as Error).message;
      }
      return 'read';
    };
    const today = new OpCodec();
    expect(reason(today, 'layer.update', 0, v0Move)).toBe('layer.update v0 has no upgrade to v1');
    expect(reason(today, 'layer.update', 2, v0Move)).toBe('layer.update v2 was written by a newer Ganvas (this one reads up to v1)');
    expect(reason(today, 'layer.explode', 1, '{"kind":"layer.explode"}')).toBe('unknown op kind "layer.explode"');
    expect(reason(today, 'layer.update', 1, '{"kind":"layer.upd')).toBe('its parameters are not JSON');
    expect(reason(today, 'layer.update', 1, '{"kind":"layer.update","patch":{}}')).toMatch(/^its parameters are not a valid layer.update v1 op \(id: /);
    expect(reason(today, 'layer.delete', 1, '{"kind":"layer.update","id":"a","patch":{}}')).toMatch(/not a valid layer.delete v1 op/);
    expect(reason(withV0, 'layer.update', 0, '{"kind":"layer.update","changes":{}}')).toMatch(/^its parameters are not a valid layer.update v0 op \(layerId: /);
  });

  it('a project holding a v0 edit replays it upgraded, and a Ganvas without the upgrade calls the file damaged at that edit', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    engine.projects.create('P', 64, 64, file);
    const layer = (await engine.layers.import('a.png', await makePng(32, 32, 1))).layers[0]!;
    engine.close();
    // An edit as an older Ganvas would have written it, after the undo pointer (so redo replays it).
    const db = new Database(file);
    db.prepare("INSERT INTO edits (parent_id, kind, label, params, op_version, created_at) VALUES (1, 'layer.update', 'Move a.png', ?, 0, '2026-01-01')")
      .run(v0Move.replace('abc123', layer.id));
    db.close();

    const store = ProjectStore.open(file, { codec: withV0 });
    expect(store.state()).toMatchObject({ headEditId: 1, canRedo: true, redoLabel: 'Move a.png' });
    expect(store.redo().layers).toEqual([{ ...layer, x: 12, y: -3, visible: false }]);
    store.close();

    expect(() => ProjectStore.open(file)).toThrow('this project is damaged at edit 2: layer.update v0 has no upgrade to v1');
  });

  it('refuses to record an op that is not valid, writing nothing', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    engine.projects.create('P', 64, 64, file);
    const layer = (await engine.layers.import('a.png', await makePng(16, 16, 1))).layers[0]!;
    engine.close();
    const store = ProjectStore.open(file);
    expect(() => store.commit(() => ({ kind: 'layer.update', id: layer.id, patch: { opacity: 2 } }))).toThrow(/refused to record an edit: .*patch.opacity/);
    expect(() => store.commit(() => ({ kind: 'layer.add', layer: { ...layer, id: 'new', assetHash: 'not-a-hash' } }))).toThrow(/layer.assetHash/);
    expect(store.editCount()).toBe(1);
    expect(store.state().layers).toEqual([layer]);
    store.close();
  });

  it('applies exactly what it records: a patch key set to undefined changes nothing, now or on replay', async () => {
    const home = tempDir();
    const file = join(home, 'p.ganvas');
    const engine = new Engine({ host: 'cli', hostDetail: 'test', home });
    engine.projects.create('P', 64, 64, file);
    const layer = (await engine.layers.import('a.png', await makePng(16, 16, 1))).layers[0]!;
    engine.close();
    let store = ProjectStore.open(file);
    const live = store.commit(() => ({ kind: 'layer.update', id: layer.id, patch: { x: 5, visible: undefined } }));
    expect(live.layers).toEqual([{ ...layer, x: 5 }]);
    store.close();
    store = ProjectStore.open(file);
    expect(store.undo().layers).toEqual([layer]);
    expect(store.redo().layers).toEqual([{ ...layer, x: 5 }]); // replayed from the log
    store.close();
  });
});
